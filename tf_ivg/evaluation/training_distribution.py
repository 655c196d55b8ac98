"""The distribution a VolumeIGN checkpoint was trained on, read from its training config.

An experiment scores a model on the images it was trained to read, and searches nearest neighbours in
the images it actually trained on (Grant et al. 2016, 4.3). Poses and lights beyond that are a second,
labelled question (`generalisation_scenes`).

Shape key: N examples, S image side, C channels (3), D volume side, K shape coefficients.

- tfds configs of kind "volumes" (`ivg_faces/volumes_80`: each identity at 5 azimuths x 3 ambient
  levels, elevation 0, one light): the training images are the config's train split, regenerated
  example for example (`tf_ivg.data.examples.volume_views`, images quantised to uint8 as stored), and the
  test pairs its test split (identities disjoint from training by construction).
- `generated/<family>` configs (the shipped `faces_volume_32`): `make_volume_pairs(generated_examples,
  seed=config seed)` as `tf-ivg train` made them; test pairs are fresh pairs from another seed, their
  identities checked disjoint from training.
"""

import numpy as np

from tf_ivg.data.scenes import Scenes, check_disjoint

GENERATED_PREFIX = "generated/"


class TrainingDistribution:
    """Training images, test pairs and volumes of one checkpoint's training data.

    Attributes:
      description: one line naming the data (for reports).
      family, image_size, volume_size: as the model's.
    """

    def __init__(self, description, family, image_size, volume_size, volume_scenes=None):
        self.description = description
        self.family = family
        self.image_size = image_size
        self.volume_size = volume_size
        # the viewing conditions of `scenes()` (default: the family's full factor ranges)
        self._volume_scenes = volume_scenes or Scenes(family, image_size=image_size, volume_size=volume_size)

    def training_identities(self):
        """Identity id of every training example, in order -> `[N]` int64."""
        raise NotImplementedError

    def training_images(self, chunk=500):
        """Yields the training images in order, `chunk` at a time, as `[n, S, S, C]` float32 in [0, 1]."""
        raise NotImplementedError

    def training_database(self, num_train=None, chunk=500):
        """`(identities [n], images [n, S, S, C])`: the first `num_train` training examples (None: all), the
        images rendered `chunk` at a time (the nearest-neighbour search database)."""
        ids = self.training_identities()
        n = len(ids) if num_train is None else min(int(num_train), len(ids))
        parts, have = [], 0
        for part in self.training_images(chunk=chunk):
            parts.append(part[: n - have])
            have += len(parts[-1])
            if have >= n:
                break
        return ids[:n], np.concatenate(parts)

    def test_pairs(self, n, seed=0):
        """`n` held-out `(images [n, S, S, C], volumes [n, D, D, D], identities [n])` of this distribution."""
        raise NotImplementedError

    def spread_test_pairs(self, n, seed=0):
        """Like `test_pairs`, but `n` different identities each in a random one of its views where the test
        split holds that many (for figures, whose rows should not repeat one face)."""
        return self.test_pairs(n, seed)

    def scenes(self):
        """`Scenes` (with volumes) whose viewing conditions are drawn as this training data's were: the
        dataset's grid of azimuths and ambient levels, or the full factor ranges (the experiments' batches
        where only shape, pose or lighting changes, Grant et al. 2016, 4.4-4.5)."""
        return self._volume_scenes

    def volumes_of(self, identities):
        """Occupancy `[n, D, D, D]` of identities `[n]`."""
        from tf_ivg.data.factors import identity_coefficients

        return self._volume_scenes.volumes(np.asarray(identity_coefficients(self.family, identities)[1], np.float32))

    def mean_volume(self, identities, chunk=500):
        """The voxel-wise mean `[D, D, D]` float32 of the volumes of `identities [M]`, voxelized `chunk` at a time
        (the mean-volume baseline)."""
        total = None
        for start in range(0, len(identities), chunk):
            part = self.volumes_of(identities[start : start + chunk]).sum(axis=0, dtype=np.float64)
            total = part if total is None else total + part
        return (total / len(identities)).astype(np.float32)

    def shape_coefficients(self, identities):
        """The true shape coefficients `[n, K]` of identities `[n]` (what the oracle baseline reads)."""
        from tf_ivg.data.factors import identity_coefficients

        return np.asarray(identity_coefficients(self.family, identities)[0]["shape"], np.float64)


class DatasetDistribution(TrainingDistribution):
    """A tfds "volumes" config (`tf_ivg.data.specs`), regenerated from its spec."""

    def __init__(self, spec):
        if spec.kind != "volumes":
            raise ValueError(f"{spec.full_name} is a {spec.kind!r} config; the volume experiments need a 'volumes' one")
        super().__init__(
            f"{spec.full_name}: {spec.num_examples('train')} training images, each identity at azimuths "
            f"{[round(a, 2) for a in spec.azimuths]} x ambient levels {list(spec.ambients)}, elevation 0, light "
            f"{spec.light}",
            spec.family,
            spec.image_size,
            spec.volume_size,
            volume_scenes=Scenes(
                spec.family,
                image_size=spec.image_size,
                volume_size=spec.volume_size,
                ranges={"elevation": (0.0, 0.0), "light": (spec.light, spec.light)},
                levels={"azimuth": spec.azimuths, "ambient": spec.ambients},
            ),
        )
        self.spec = spec
        self._images = Scenes(spec.family, image_size=spec.image_size)

    def _views(self, split, start, stop):
        from tf_ivg.data.examples import volume_views

        return volume_views(self.spec, split, start, stop)[:2]

    def _render(self, ids, factors):
        from tf_ivg.data.factors import identity_coefficients

        images = self._images.images(np.asarray(identity_coefficients(self.family, ids)[1], np.float32), factors)
        return np.round(np.clip(images, 0.0, 1.0) * 255.0) / 255.0  # stored as uint8 in the dataset

    def training_identities(self):
        return self._views("train", 0, self.spec.num_examples("train"))[0]

    def training_images(self, chunk=500):
        total = self.spec.num_examples("train")
        for start in range(0, total, chunk):
            yield self._render(*self._views("train", start, min(start + chunk, total))).astype(np.float32)

    def test_pairs(self, n, seed=0):
        available = self.spec.num_examples("test")
        if n > available:
            raise ValueError(f"{self.spec.full_name} has {available} test examples; asked for {n}")
        # The first n of the test split: whole identities in every view, like the split itself.
        return self._pairs(*self._views("test", 0, n))

    def spread_test_pairs(self, n, seed=0):
        views = len(self.spec.azimuths) * len(self.spec.ambients)
        identities = self.spec.num_examples("test") // views
        if n > identities:
            return self.test_pairs(n, seed)
        rng = np.random.default_rng(seed)
        picks = rng.choice(identities, n, replace=False) * views + rng.integers(0, views, n)
        parts = [self._views("test", int(i), int(i) + 1) for i in picks]
        ids = np.concatenate([p[0] for p in parts])
        return self._pairs(ids, {k: np.concatenate([p[1][k] for p in parts]) for k in parts[0][1]})

    def _pairs(self, ids, factors):
        """`(images, volumes, ids)` of test views `ids` seen under `factors`."""
        return self._render(ids, factors).astype(np.float32), self.volumes_of(ids), ids


class GeneratedDistribution(TrainingDistribution):
    """`generated/<family>`: `make_volume_pairs(examples, seed)`, the full factor ranges."""

    def __init__(self, family, image_size, volume_size, examples, seed):
        super().__init__(
            f"generated/{family}: {examples} pairs of make_volume_pairs(seed={seed}), pose and light drawn from "
            "the full factor ranges",
            family,
            image_size,
            volume_size,
        )
        self.examples, self.seed = int(examples), int(seed)
        self._images = Scenes(family, image_size=image_size)

    def training_identities(self):
        return self._images.pair_identities(self.examples, seed=self.seed)

    def training_images(self, chunk=500):
        yield from np.array_split(self._images.pairs(self.examples, seed=self.seed)[0], max(1, self.examples // chunk))

    def test_pairs(self, n, seed=0):
        # Seeds of make_volume_pairs are small ints; this offset keeps test scenes apart from any training seed.
        images, volumes, factors = self._volume_scenes.pairs(n, seed=10_000 + seed)
        check_disjoint(self.training_identities(), factors["identity"])
        return images, volumes, factors["identity"]


def from_config(config, model):
    """The `TrainingDistribution` of a VolumeIGN trained with `config` (a `tf-ivg train` config dict).

    Raises:
      ValueError: no config, a dataset of another kind, or sizes that disagree with the model.
    """
    if not config or "dataset" not in config:
        raise ValueError(
            "this experiment evaluates a model on the data it was trained on and needs its training config: pass a "
            "`tf-ivg train` workdir or a pretrained name rather than a bare .keras file"
        )
    dataset = str(config["dataset"])
    model_config = config.get("model_config", {})
    if dataset.startswith(GENERATED_PREFIX):
        distribution = GeneratedDistribution(
            dataset[len(GENERATED_PREFIX) :],
            model.image_size,
            model.volume_size,
            config.get("generated_examples", 64),
            config.get("seed", 0),
        )
    else:
        from tf_ivg.data.specs import get_spec

        distribution = DatasetDistribution(get_spec(dataset))
    sizes = (distribution.image_size, distribution.volume_size)
    if sizes != (model.image_size, model.volume_size) or model_config.get("frames", 1) != 1:
        raise ValueError(
            f"the model reads {model.image_size}px images into {model.volume_size}^3 volumes but its training data "
            f"{dataset} has {sizes[0]}px images and {sizes[1]}^3 volumes (or clips); is this the right config?"
        )
    return distribution


def generalisation_scenes(distribution):
    """Scenes with pose and light drawn from the full factor ranges (`tf_ivg.data.RANGES`): beyond the
    training distribution of a grid-trained model, the same as it for a `generated/` one."""
    return Scenes(distribution.family, image_size=distribution.image_size, volume_size=distribution.volume_size)
