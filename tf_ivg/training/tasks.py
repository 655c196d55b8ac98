"""Maps a config's `model` name to the task module that `tf-ivg train` drives.

A task module exposes (docs/CONTRACTS.md, "Training tasks"):
- `build_model(config) -> keras.Model`, compiled; called inside the strategy scope.
- `make_datasets(config, data_dir) -> (train_ds, val_ds)`: batched `tf.data.Dataset`s, the
  training one repeating; `val_ds` may be None.
- `check_compatible(config, element_spec)`: raises ValueError when the data's shapes do not fit
  the model the config describes.
- `summary_images(model, batch) -> dict[str, [N, H, W, C] float32 in [0, 1]]` for TensorBoard.
Optional: `validate_config(config)` raising ValueError for a bad config, called before anything
is built.

To add a task, add one line to `TASKS` below.
"""

import importlib
import inspect

TASKS = {
    "volume_ign": "tf_ivg.training.volume_task",
    "dcign": "tf_ivg.training.dcign_task",
}

REQUIRED_FUNCTIONS = ("build_model", "make_datasets", "check_compatible", "summary_images")


def get_task(model_name):
    """Returns the task module for `model_name` (a config's `model` entry).

    Raises:
      ValueError: `model_name` is not one of `TASKS`.
    """
    if model_name not in TASKS:
        raise ValueError(f"unknown model {model_name!r} in config; expected one of {sorted(TASKS)}")
    module = importlib.import_module(TASKS[model_name])
    missing = [name for name in REQUIRED_FUNCTIONS if not callable(getattr(module, name, None))]
    if missing:
        raise ValueError(f"task module {module.__name__} lacks {missing} (see docs/CONTRACTS.md)")
    return module


def build(config):
    """The one way to build a model from a config: an untrained, compiled `keras.Model` with its variables.

    Checks the config (`tf_ivg.configs.check_config` and the task's own `validate_config`), then calls the
    task's `build_model` (inside the current distribution strategy's scope, if any).

    Args:
      config: a config dict (`tf_ivg.configs.get_config(name, variant)` or a JSON config).

    Raises:
      ValueError: a config the model cannot be built from.
    """
    from tf_ivg.configs import check_config

    check_config(config)
    task = get_task(config["model"])
    if hasattr(task, "validate_config"):
        task.validate_config(config)
    return task.build_model(config)


def check_model_arguments(model_class, model_config, config_name):
    """Raises ValueError unless `model_config` is a dict of `model_class`'s constructor arguments whose values
    have the type of each argument's default (an int where the default is an int, and so on)."""
    from tf_ivg.configs import did_you_mean

    if not isinstance(model_config, dict):
        raise ValueError(f"config {config_name!r}: 'model_config' must be a dict of {model_class.__name__} arguments")
    parameters = {
        name: p
        for name, p in inspect.signature(model_class.__init__).parameters.items()
        if name not in ("self", "kwargs")
    }
    for key, value in model_config.items():
        if key not in parameters:
            raise ValueError(
                f"config {config_name!r}: unknown keys in model_config: {key!r} is not a {model_class.__name__} "
                f"argument{did_you_mean(key, parameters)}"
            )
        default = parameters[key].default
        expected = {
            bool: (bool,),
            int: (int,),
            float: (int, float),
            str: (str,),
            tuple: (list, tuple),
            list: (list, tuple),
        }
        types = expected.get(type(default))
        wrong = (
            types is not None
            and value is not None
            and (not isinstance(value, types) or (isinstance(value, bool) and type(default) is not bool))
        )
        if wrong:
            raise ValueError(
                f"config {config_name!r}: model_config[{key!r}] must be {_article(type(default).__name__)} like its default "
                f"{default!r}; got {value!r}"
            )


def _article(noun):
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"
