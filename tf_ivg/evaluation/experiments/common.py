"""Shared pieces of the experiments: loading checkpoints, results, and volume figure cells.

Shape key: B batch, S image side, D volume side, K shape code, Z transformation code.
"""

import dataclasses
from pathlib import Path

import numpy as np

# Viewpoints (azimuth, elevation) in radians for volume figures: the paper shows three views.
THREE_VIEWS = ((0.0, 0.0), (-0.7, 0.2), (0.7, 0.2))


@dataclasses.dataclass
class ExperimentResult:
    """What an experiment returns: its name, the report it wrote, numbers and figure paths."""

    name: str
    report: Path
    metrics: dict
    figures: list

    def summary(self):
        return {
            "name": self.name,
            "report": str(self.report),
            "metrics": self.metrics,
            "figures": [str(f) for f in self.figures],
        }


def as_model(model_or_checkpoint):
    """Accepts a model or anything `tf_ivg.load` takes (pretrained name, `.keras` file, workdir); returns the model."""
    if isinstance(model_or_checkpoint, (str, Path)):
        from tf_ivg.checkpoints import load

        return load(model_or_checkpoint)
    return model_or_checkpoint


def as_model_and_config(model_or_checkpoint, config=None):
    """`(model, config)`: a checkpoint (pretrained name, `.keras` file, workdir) is loaded with the config
    it was trained from; a model object is returned with the `config` given."""
    if isinstance(model_or_checkpoint, (str, bytes)) or hasattr(model_or_checkpoint, "__fspath__"):
        from tf_ivg.checkpoints import load_with_config

        return load_with_config(model_or_checkpoint)
    return model_or_checkpoint, config


def model_kind(model):
    """ "volume_ign" or "dcign" (by the methods the model offers)."""
    if hasattr(model, "volume_decoder") and hasattr(model, "reconstruct"):
        return "volume_ign"
    if hasattr(model, "rerender") and hasattr(model, "latent_index"):
        return "dcign"
    raise ValueError(f"expected a VolumeIGN or DCIGN model, got {type(model).__name__}")


def require_kind(model, kind, experiment):
    if model_kind(model) != kind:
        raise ValueError(f"experiment {experiment!r} needs a {kind} model, got {type(model).__name__}")


def reconstruct(model, images, batch_size=16):
    """VolumeIGN volumes for `images [N, ...]` -> `[N, D, D, D]` float32 numpy."""
    from tf_ivg.evaluation.probes import batched

    return batched(lambda x: np.asarray(model.reconstruct(x)), images, batch_size).astype(np.float32)


def encode(model, images, batch_size=32):
    """VolumeIGN codes -> `(shape [N, K], transformation [N, Z])` numpy."""
    from tf_ivg.evaluation.probes import batched

    def fn(x):
        shape, transformation = model.encode(x)
        return np.asarray(shape), np.asarray(transformation)

    return batched(fn, images, batch_size)


def volume_views(volume, threshold, views=THREE_VIEWS, image_size=64, color=(0.85, 0.85, 0.85)):
    """Binarised volume rendered from each viewpoint -> list of `[image_size, image_size, 3]` (blank if empty)."""
    from tf_ivg.evaluation.metrics import binarize
    from tf_ivg.graphics.volume_rendering import render_volume

    mask = binarize(volume, threshold).astype(np.float32)
    return [render_volume(mask, azimuth=a, elevation=e, image_size=image_size, color=color) for a, e in views]


def frame(image):
    """First frame of a clip `[T, S, S, C]`, or the image `[S, S, C]` itself (for figures)."""
    image = np.asarray(image)
    return image[0] if image.ndim == 4 else image


def family_of(config, default="faces"):
    """Shape family named by a training config ("faces" or "chairs"), else `default`."""
    if not config:
        return default
    if config.get("family") in ("faces", "chairs"):
        return config["family"]
    dataset = str(config.get("dataset", ""))
    return "chairs" if "chairs" in dataset else "faces" if "faces" in dataset else default


def build_untrained(config_name, variant="smoke"):
    """An untrained model of config `config_name` (for smoke runs and tests) -> `(model, config)`."""
    from tf_ivg.configs import get_config
    from tf_ivg.training.tasks import build

    config = get_config(config_name, variant)
    return build(config), config


def volume_scenes(model, family="faces"):
    """`Scenes` matching a VolumeIGN's image and volume sizes."""
    from tf_ivg.data.scenes import Scenes

    return Scenes(family, image_size=model.image_size, volume_size=model.volume_size)


def training_conditions(model, config, family):
    """`(scenes, description, generalisation scenes or None)`: the viewing conditions an experiment that
    varies shape, pose or lighting (Grant et al. 2016, 4.4-4.6) uses for a VolumeIGN.

    With its training config, they are drawn as its training data's were (for a tfds grid config such as
    `ivg_faces/volumes_80`, the paper's conditions: the 5 azimuths and the 3 ambient levels), and the full
    factor ranges are a second, generalisation run. Without one, the full factor ranges of `family`.
    """
    if config is None:
        return volume_scenes(model, family), f"{family}: the full factor ranges (no training config)", None
    from tf_ivg.evaluation.training_distribution import DatasetDistribution, from_config

    distribution = from_config(config, model)
    wider = volume_scenes(model, distribution.family) if isinstance(distribution, DatasetDistribution) else None
    return distribution.scenes(), distribution.description, wider


def dcign_scenes(model, family="faces"):
    """Grayscale `Scenes` matching a DC-IGN's image size."""
    from tf_ivg.data.scenes import Scenes

    return Scenes(family, image_size=model.image_size, grayscale=model.channels == 1)


def start(workdir, name):
    """Creates `workdir/name/` and returns it."""
    out = Path(workdir) / name
    out.mkdir(parents=True, exist_ok=True)
    return out


def paired_ttest_rows(test, paper, label_a, key_a, label_b, key_b):
    """Table rows comparing a paired t-test with the paper's: M (SD) of both conditions, t and p.

    Args:
      test: the result of `tf_ivg.evaluation.stats.paired_ttest(a, b)`.
      paper: dict with `{key_a}_mean`, `{key_a}_sd`, `{key_b}_mean`, `{key_b}_sd`, `dof`, `t`, `p`.
      label_a, label_b: row labels of the two conditions.
    """
    return [
        [
            f"{label_a} M (SD)",
            f"{paper[key_a + '_mean']} ({paper[key_a + '_sd']})",
            f"{test.mean_a:.4g} ({test.sd_a:.2g})",
        ],
        [
            f"{label_b} M (SD)",
            f"{paper[key_b + '_mean']} ({paper[key_b + '_sd']})",
            f"{test.mean_b:.4g} ({test.sd_b:.2g})",
        ],
        ["paired t", f"t({paper['dof']}) = {paper['t']}", f"t({test.dof}) = {test.t:.4f}"],
        ["p", f"{paper['p']:.4e}", f"{test.p:.4e}"],
    ]
