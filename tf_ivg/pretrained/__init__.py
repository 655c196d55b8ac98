"""The pretrained VolumeIGN shipped inside the package (32x32 RGB face image -> 32^3 occupancy).

Shape key: B batch, S image side (32), D volume side (32).

- `load()` -> the VolumeIGN (uncompiled, inference only): `model.reconstruct(images [B, 32, 32, 3] in
  [0, 1]) -> [B, 32, 32, 32]` occupancy in the face's canonical frame (docs/CONTRACTS.md, volume axes).
- `info()` -> its record (`faces_volume_32.json`): config, the exact command that trained it, seed,
  data sizes, and test figures beside the mean-volume baseline.
- `MODEL_PATH`, `INFO_PATH`: the shipped files. Rebuild them with `python -m tf_ivg.pretrained.build`.
"""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAME = "faces_volume_32"
MODEL_PATH = HERE / f"{NAME}.keras"
INFO_PATH = HERE / f"{NAME}.json"


def _require(path):
    if not path.is_file():
        raise FileNotFoundError(
            f"the pretrained file {path} is missing from this install; rebuild it with "
            "`python -m tf_ivg.pretrained.build` or reinstall tf_ivg"
        )
    return path


def info():
    """The shipped model's record (dict), read from `faces_volume_32.json`."""
    return json.loads(_require(INFO_PATH).read_text())


def load():
    """The pretrained VolumeIGN (uncompiled); `model.reconstruct(images [B, 32, 32, 3])` -> `[B, 32, 32, 32]`."""
    import keras

    import tf_ivg.models.volume_ign  # noqa: F401  (registers VolumeIGN and its layers)

    return keras.models.load_model(_require(MODEL_PATH), compile=False)
