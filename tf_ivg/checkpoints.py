"""The one way to load a model: `load(source)` for a shipped pretrained name, a `.keras` file or a
`tf-ivg train` workdir.

- `load(source, compile=False)` -> the `keras.Model` (VolumeIGN or DCIGN, or any model of tf_ivg layers).
- `load_with_config(source)` -> `(model, config or None)`: the config it was trained from (a workdir's
  `config.json`, a `.keras` file's neighbouring `config.json`, or a pretrained model's record).
- `resolve(source)` -> `(path to the .keras file, config or None)` without loading anything.
- `describe(source, model, config)` -> what a results table says about a checkpoint: size, training, data.
"""

import json
import zipfile
from pathlib import Path

MODEL_FILE = "model.keras"
CONFIG_FILE = "config.json"


def resolve(source):
    """Where `source` points: `(Path of a .keras file, config dict or None)`.

    Raises:
      FileNotFoundError: no such pretrained name, file or workdir (the message lists the pretrained names).
      ValueError: a file that is not a `.keras` file.
    """
    from tf_ivg import pretrained

    text = str(source)
    if text in pretrained.names():
        return pretrained.model_path(text), pretrained.info(text).get("config")
    path = Path(source)
    if path.is_dir():
        path = path / MODEL_FILE
        if not path.is_file():
            raise FileNotFoundError(
                f"{source} is a folder without {MODEL_FILE}; expected a `tf-ivg train` workdir (train with "
                f"`tf-ivg train CONFIG --workdir {source}`)"
            )
    elif not path.exists():
        raise FileNotFoundError(
            f"{source} is neither a pretrained model name ({', '.join(pretrained.names())}), "
            "a .keras file nor a training workdir"
        )
    if path.suffix != ".keras":
        raise ValueError(f"{source} is not a .keras file (expected a .keras file written by Keras or `tf-ivg train`)")
    config_path = path.parent / CONFIG_FILE
    config = None
    if config_path.is_file():
        try:
            config = json.loads(config_path.read_text())
        except json.JSONDecodeError as error:
            raise ValueError(f"{config_path} is not valid JSON ({error}); it should be the run's config") from None
    return path, config


def load_with_config(source, compile=False):
    """Loads a model and the config it was trained from -> `(keras.Model, config or None)`.

    Args:
      source: a pretrained name (`tf_ivg.pretrained.names()`), a `.keras` file, or a `tf-ivg train` workdir.
      compile: restore the training configuration (optimizer, for resuming); False for inference.

    Raises:
      FileNotFoundError, ValueError: see `resolve`; ValueError also for a file Keras cannot read.
    """
    import keras

    import tf_ivg.models  # noqa: F401  (registers tf_ivg's models, layers and optimizers)

    path, config = resolve(source)
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not a Keras model file (a .keras file is a zip archive); is it truncated?")
    try:
        model = keras.models.load_model(path, compile=compile)
    except (ValueError, TypeError, KeyError, OSError, zipfile.BadZipFile) as error:
        raise ValueError(f"could not load {path} as a Keras model: {error}") from None
    return model, config


def describe(source, model, config):
    """`{source, parameters, config, steps, batch_size, data, finished}` of a loaded checkpoint.

    `steps` and `batch_size` are the config's; `finished` is False for a workdir whose run left a backup
    (it was interrupted: the model is from its last completed epoch), None where it cannot be told.
    """
    config = config or {}
    data = config.get("dataset")
    if data and str(data).startswith("generated/") and config.get("generated_examples"):
        data = f"{data} ({config['generated_examples']} pairs)"
    finished = None
    text = str(source)
    from tf_ivg import pretrained

    if text in pretrained.names():
        finished = True
    elif Path(source).is_dir():
        finished = not (Path(source) / "backup").exists()
    name = config.get("name")
    return {
        "source": text,
        "parameters": int(model.count_params()),
        "config": f"{name}/{config.get('variant')}" if name else None,
        "steps": config.get("steps"),
        "batch_size": config.get("batch_size"),
        "data": data,
        "finished": finished,
    }


def load(source, compile=False):
    """Loads a model from a pretrained name, a `.keras` file or a training workdir (see `load_with_config`)."""
    return load_with_config(source, compile=compile)[0]


def save_for_inference(model, path, weights_dtype=None):
    """Writes `model`'s architecture and weights, without optimizer state, to the `.keras` file `path`
    atomically (a smaller file for shipping); returns its size in bytes.

    `weights_dtype="float16"` stores the weights at half size; loading casts them back to the float32 the
    model is built with (layers built float32 explicitly, such as DC-IGN's heads, keep float32 weights)."""
    import keras
    import numpy as np

    from tf_ivg.utils.files import atomic_path

    before = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(weights_dtype or before)
    try:
        copy = type(model).from_config(model.get_config())
        if len(copy.weights) != len(model.weights):  # a subclassed model creates its variables on first call
            copy(_zeros_like_input(model))
    finally:
        keras.mixed_precision.set_global_policy(before)
    for source, target in zip(model.weights, copy.weights):
        target.assign(np.asarray(source).astype(target.dtype))
    with atomic_path(path) as tmp:
        copy.save(tmp)
        return tmp.stat().st_size


def _zeros_like_input(model):
    import numpy as np

    frames = getattr(model, "frames", 1)
    shape = (model.image_size, model.image_size, model.channels)
    return np.zeros((1, *((frames,) if frames > 1 else ()), *shape), np.float32)
