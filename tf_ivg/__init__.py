"""tf_ivg: vision as inverse graphics in TensorFlow/Keras.

One way to do each job:

    import tf_ivg
    config = tf_ivg.configs.get_config("faces_volume", "small")  # a JSON-able dict
    model = tf_ivg.build(config)                      # untrained, compiled (tf_ivg.training.tasks.build)
    model, history = tf_ivg.train(config, "runs/faces")  # checkpoints, resumes (tf_ivg.training.loop.train)
    model = tf_ivg.load("faces_volume_32")            # pretrained name, .keras file or workdir (tf_ivg.checkpoints)

Importing the package is cheap: TensorFlow and the submodules (configs, data, graphics, layers, models,
training, evaluation, serving, pretrained) are imported on first use.
"""

import importlib

__version__ = "0.1.0"

_FUNCTIONS = {
    "build": "tf_ivg.training.tasks",
    "train": "tf_ivg.training.loop",
    "load": "tf_ivg.checkpoints",
    "load_with_config": "tf_ivg.checkpoints",
}
_SUBMODULES = (
    "checkpoints",
    "configs",
    "data",
    "evaluation",
    "graphics",
    "layers",
    "metrics",
    "models",
    "novelty",
    "optimizers",
    "pretrained",
    "serving",
    "training",
    "utils",
)

__all__ = ["__version__", *_FUNCTIONS, *_SUBMODULES]


def __getattr__(name):
    if name in _FUNCTIONS:
        return getattr(importlib.import_module(_FUNCTIONS[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'tf_ivg' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
