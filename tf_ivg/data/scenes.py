"""Controlled test scenes for the experiments, rendered with the procedural world (`tf_ivg.graphics`).

The experiments need more control than random image/volume pairs: batches where only shape, only
pose or only lighting changes (Grant et al. 2016, 4.4-4.5), the same face in two poses or two lightings
(4.6), rotating clips (4.7), single-factor groups (DC-IGN), batches with one factor fixed (the FactorVAE
score). `Scenes` renders all of them from explicit factors with the same renderer and voxelizer as the
training data.

Shape key: N scenes, S image side, C channels (3 RGB, 1 grayscale), D volume side, T frames,
P family parameters.
"""

import numpy as np

# Render and voxelize in fixed-size chunks: the XLA-compiled renderer compiles once per batch shape.
CHUNK = 8


def _positive(name, value):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} must be a positive int; got {value!r}")
    return int(value)


def check_disjoint(train_ids, test_ids):
    """Raises ValueError if an identity of `test_ids [M]` also appears in `train_ids [N]`."""
    shared = np.intersect1d(train_ids, test_ids)
    if shared.size:
        raise ValueError(f"{shared.size} test identities also appear in training: {shared[:5].tolist()}")


class Scenes:
    """Renders image / volume pairs of one shape family from explicit factors.

    Args:
        family: "faces" or "chairs".
        image_size: S. volume_size: D (None: no volumes needed).
        grayscale: one luminance channel (DC-IGN) instead of RGB.
        ranges: `{factor: (low, high)}` overriding the sampling ranges.
        levels: `{factor: values}`: factors drawn uniformly from these discrete values instead of a range
            (the paper's grid: 5 azimuths, 3 ambient levels).
    """

    def __init__(self, family="faces", image_size=80, volume_size=None, grayscale=False, ranges=None, levels=None):
        from tf_ivg.data import factors as data_factors

        data_factors.check_family(family)
        self.family = family
        self.image_size = _positive("image_size", image_size)
        self.volume_size = None if volume_size is None else _positive("volume_size", volume_size)
        self.grayscale = bool(grayscale)
        # The training data's ranges (tf_ivg.data.RANGES), so test scenes come from the same distribution.
        self.ranges = {**{k: tuple(v) for k, v in data_factors.RANGES[family].items()}, **(ranges or {})}
        self.levels = {k: np.asarray(v, np.float32) for k, v in (levels or {}).items()}
        unknown = sorted(set(self.levels) - set(self.ranges))
        if unknown or any(v.ndim != 1 or not v.size for v in self.levels.values()):
            raise ValueError(
                f"levels must map factors of {sorted(self.ranges)} to non-empty lists of values; got {levels!r}"
            )

    # ---- sampling ------------------------------------------------------------------------------
    def identities(self, n, rng):
        """`n` random identities -> `(ids [n] int64, params [n, P] float32)`; an id always gives the
        same face or chair as in `tf_ivg.data` (`tf_ivg.data.factors.identity_coefficients`)."""
        from tf_ivg.data import factors as data_factors

        ids = rng.integers(0, 2**31 - 1, n).astype(np.int64)
        _, params = data_factors.identity_coefficients(self.family, ids)
        return ids, np.asarray(params, np.float32)

    def factors(self, n, rng):
        """`n` random viewing conditions -> `{azimuth, elevation, light, ambient: [n]}` (from `levels` where given)."""
        return {
            name: rng.choice(self.levels[name], size=n)
            if name in self.levels
            else rng.uniform(low, high, size=n).astype(np.float32)
            for name, (low, high) in self.ranges.items()
        }

    # ---- rendering -----------------------------------------------------------------------------
    def images(self, params, factors):
        """params `[N, P]`, factors `{name: [N]}` -> images `[N, S, S, C]` float32 in [0, 1]."""
        from tf_ivg.graphics import sphere_tracing

        # XLA: one compile per image size (the renderer pads batches to CHUNK), then fast; the
        # renderer's "auto" mode would run small batches eagerly, which is far slower per call.
        images, _ = sphere_tracing.render(
            self.family,
            params,
            *(np.asarray(factors[k], np.float32) for k in ("azimuth", "elevation", "light", "ambient")),
            self.image_size,
            grayscale=self.grayscale,
            batch_size=CHUNK,
            mode="xla",
        )
        return images.astype(np.float32)

    def volumes(self, params):
        """params `[N, P]` -> occupancy `[N, D, D, D]` float32 in {0, 1}."""
        from tf_ivg.graphics import voxelize

        if self.volume_size is None:
            raise ValueError("this Scenes was made without volume_size")
        volumes = voxelize.voxelize(self.family, params, self.volume_size, batch_size=CHUNK, mode="xla")
        return volumes.astype(np.float32)

    # ---- scene sets ----------------------------------------------------------------------------
    def sample(self, n, seed=0):
        """`n` random scenes -> `(params [n, P], factors)`; render with `images`, voxelize with `volumes`."""
        rng = np.random.default_rng(seed)
        ids, params = self.identities(n, rng)
        factors = self.factors(n, rng)
        factors["identity"] = ids
        return params, factors

    def pairs(self, n, seed=0, chunk=250, progress=False, desc=None):
        """`n` random identities in random viewing conditions, each with its volume: the in-memory pairs
        of `tf_ivg.data.make_volume_pairs`, the `generated/<family>` training data and the experiments.

        Rendered in chunks of `chunk`; chunk k draws from `default_rng([seed, k])`, so the pairs depend
        only on `(n, seed, chunk)` and `pair_identities(n, seed, chunk)` gives their ids without rendering.

        Args:
            progress: show a tqdm bar (only on a terminal or in a notebook; never in redirected logs).

        Returns:
            `(images [n, S, S, C] float32 in [0, 1], volumes [n, D, D, D] float32 in {0, 1}, factors)`;
            factors: azimuth, elevation, light, ambient `[n]` float32, identity `[n]` int64, and the
            identities' coefficients (shape `[n, K]`, albedo `[n, A]`, style `[n]` for chairs).
        """
        from tf_ivg.data import factors as data_factors
        from tf_ivg.utils.progress import progress_bar

        n, chunk = _positive("n", n), _positive("chunk", chunk)
        images, volumes, drawn = [], [], []
        with progress_bar(
            total=n, desc=desc or f"rendering {self.family}", unit=self.family[:-1], enabled=progress
        ) as bar:
            for k, start in enumerate(range(0, n, chunk)):
                size = min(chunk, n - start)
                rng = np.random.default_rng([int(seed), k])
                ids, params = self.identities(size, rng)
                factors = self.factors(size, rng)
                factors["identity"] = ids
                images.append(self.images(params, factors))
                if self.volume_size is not None:
                    volumes.append(self.volumes(params))
                drawn.append(factors)
                bar.update(size)
        factors = {key: np.concatenate([f[key] for f in drawn]) for key in drawn[0]}
        coefficients, _ = data_factors.identity_coefficients(self.family, factors["identity"])
        factors.update(coefficients)
        return np.concatenate(images), (np.concatenate(volumes) if volumes else None), factors

    def pair_identities(self, n, seed=0, chunk=250):
        """The identity ids `pairs(n, seed, chunk)` draws, without rendering -> `[n]` int64."""
        n, chunk = _positive("n", n), _positive("chunk", chunk)
        return np.concatenate(
            [
                self.identities(min(chunk, n - start), np.random.default_rng([int(seed), k]))[0]
                for k, start in enumerate(range(0, n, chunk))
            ]
        )

    def vary(self, condition, batch_size, seed=0, with_volumes=False):
        """A batch where only `condition` changes: "shape" (identity), "pose" (azimuth and elevation),
        "lighting" (light azimuth and ambient), or one factor name ("azimuth", "elevation", "light").

        Returns:
            `(images [B, S, S, C], factors)` (+ volumes `[B, D, D, D]` when `with_volumes`).
        """
        groups = {"shape": (), "pose": ("azimuth", "elevation"), "lighting": ("light", "ambient")}
        varying = groups.get(condition, (condition,))
        if condition != "shape" and not set(varying) <= set(self.ranges):
            raise ValueError(f"condition must be 'shape', 'pose', 'lighting' or a factor name, got {condition!r}")
        rng = np.random.default_rng(seed)
        base = self.factors(1, rng)
        factors = {name: np.repeat(value, batch_size) for name, value in base.items()}
        for name in varying:
            factors[name] = self.factors(batch_size, rng)[name]
        ids, params = self.identities(batch_size if condition == "shape" else 1, rng)
        if condition != "shape":
            ids, params = np.repeat(ids, batch_size), np.repeat(params, batch_size, axis=0)
        factors["identity"] = ids
        images = self.images(params, factors)
        return (images, factors, self.volumes(params)) if with_volumes else (images, factors)

    def fix(self, condition, batch_size, seed=0):
        """A batch where only `condition` is held fixed and everything else is random (the opposite of
        `vary`; the FactorVAE score's batches): "shape" (one identity) or one factor name ("azimuth",
        "elevation", "light", "ambient"). Each image is marginally a random scene, as in `sample`.

        Returns:
            `(images [B, S, S, C], factors)`; factors as `sample`'s, with `condition` constant.
        """
        if condition != "shape" and condition not in self.ranges:
            raise ValueError(f"condition must be 'shape' or a factor name, got {condition!r}")
        batch_size = _positive("batch_size", batch_size)
        rng = np.random.default_rng(seed)
        ids, params = self.identities(batch_size, rng)
        factors = self.factors(batch_size, rng)
        if condition == "shape":
            ids, params = np.repeat(ids[:1], batch_size), np.repeat(params[:1], batch_size, axis=0)
        else:
            factors[condition] = np.repeat(factors[condition][:1], batch_size)
        factors["identity"] = ids
        return self.images(params, factors), factors

    def same_identity_pairs(self, n, vary, seed=0):
        """`n` identities each rendered twice, differing only in pose (`vary="pose"`) or lighting; a factor
        drawn from `levels` takes another level in the second image.

        Returns:
            `(images_a [n, S, S, C], images_b [n, S, S, C])`.
        """
        if vary not in ("pose", "lighting"):
            raise ValueError(f"vary must be 'pose' or 'lighting', got {vary!r}")
        rng = np.random.default_rng(seed)
        _, params = self.identities(n, rng)
        a = self.factors(n, rng)
        b = dict(a)
        changed = self.factors(n, rng)
        for name in ("azimuth", "elevation") if vary == "pose" else ("light", "ambient"):
            b[name] = changed[name]
            levels = self.levels.get(name)
            if levels is not None and len(levels) > 1:  # on a grid: another level than the first image's
                first = np.abs(a[name][:, None] - levels[None, :]).argmin(axis=1)
                b[name] = levels[(first + rng.integers(1, len(levels), size=n)) % len(levels)]
        return self.images(params, a), self.images(params, b)

    def clips(self, n, frames=5, seed=0):
        """Paper 4.7 clips: each face turns from left to right profile in `frames` equal steps.

        Returns:
            `(clips [n, T, S, S, C], volumes [n, D, D, D])`.
        """
        rng = np.random.default_rng(seed)
        _, params = self.identities(n, rng)
        base = self.factors(n, rng)
        low, high = self.ranges["azimuth"]
        # profile to profile at most, as the tfds video configs (chairs' azimuth range is a full turn)
        low, high = max(low, -np.pi / 2), min(high, np.pi / 2)
        sweep = np.linspace(low, high, frames, dtype=np.float32)
        frames_out = []
        for azimuth in sweep:
            factors = dict(base)
            factors["azimuth"] = np.full(n, azimuth, np.float32)
            factors["elevation"] = np.zeros(n, np.float32)
            frames_out.append(self.images(params, factors))
        return np.stack(frames_out, axis=1), self.volumes(params)
