"""Pretrained models shipped inside the package.

Shape key: B batch, S image side, D volume side.

- `names()` -> the shipped names:
  - `faces_volume_32` (the default): a VolumeIGN (Grant et al. 2016, volume decoder only), 32x32 RGB image
    in [0, 1] -> `[B, 32, 32, 32]` occupancy in the face's canonical frame;
  - `dcign_faces_64`: a DC-IGN (Kulkarni et al. 2015), 64x64 grayscale image in [0, 1] <-> 200 latents
    (z[0] azimuth, z[1] elevation, z[2] light, z[3:] identity); its record holds the latent <-> radians lines
    `tf-ivg rerender` uses.
  Both were trained on procedural faces rendered on a dark background and never shown a photograph: on
  real photos the first returns a generic head and the second a face of its training world.
- `load(name)` -> the model (uncompiled), the same as `tf_ivg.load(name)`.
- `info(name)` -> its record (`<name>.json`): config, the exact command that trained it, seed, data
  sizes, and test figures beside the mean-volume baseline.
- `model_path(name)`, `info_path(name)`: the shipped files. Rebuild them with `python -m tf_ivg.pretrained.build [NAME]`.
"""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = "faces_volume_32"


def names():
    """Names of the pretrained models in this install (each a `<name>.keras` with a `<name>.json` record)."""
    return tuple(sorted(p.stem for p in HERE.glob("*.keras") if (HERE / f"{p.stem}.json").is_file()))


def _require(path):
    if not path.is_file():
        raise FileNotFoundError(
            f"the pretrained file {path} is missing from this install; reinstall tf_ivg or rebuild it with "
            "`python -m tf_ivg.pretrained.build`"
        )
    return path


def _check_name(name):
    known = names()
    if name not in known and name != DEFAULT:
        raise FileNotFoundError(f"no pretrained model named {name!r}; this install has {list(known)}")


def model_path(name=DEFAULT):
    """The shipped `.keras` file of `name`."""
    _check_name(name)
    return _require(HERE / f"{name}.keras")


def info_path(name=DEFAULT):
    """The shipped JSON record of `name`."""
    _check_name(name)
    return _require(HERE / f"{name}.json")


def info(name=DEFAULT):
    """The record of pretrained model `name` (dict): config, command, seed, data, test figures."""
    return json.loads(info_path(name).read_text())


def load(name=DEFAULT):
    """The pretrained model `name`, uncompiled (for inference); see `tf_ivg.load`."""
    from tf_ivg.checkpoints import load

    model_path(name)  # a clear error for an unknown name
    return load(name)
