"""Experiment configs: one module per experiment, each with `get_config(variant)`.

`get_config(name, variant="full")` imports `tf_ivg.configs.<name>` and returns its config, a plain
JSON-serialisable dict (docs/CONTRACTS.md). Variants: "full" (paper settings) and "smoke" (tiny
shapes for tests and demos); a module may offer more by listing them in its own `VARIANTS`
(`faces_volume` adds "small", the recipe of the shipped pretrained model). `load_config(path)` reads a config saved as JSON (e.g. a workdir's
`config.json`).
"""

import difflib
import importlib
import json
import os
import pkgutil

VARIANTS = ("full", "smoke")
REQUIRED_KEYS = ("name", "variant", "model", "dataset", "batch_size", "steps", "optimizer")
# Optional keys: read by the training loop or a task (docs/CONTRACTS.md), or written into a run's config.json
# by the loop (`epochs`, `strategy_class`, `replicas`, `mixed_bf16`). Any other key is a typo.
OPTIONAL_KEYS = (
    "model_config", "family", "source", "seed", "steps_per_epoch", "validation_steps", "strategy", "mixed_bf16",
    "jit_compile", "shuffle_buffer", "generated_examples", "generated_validation_examples", "num_groups",
    "validation_groups", "train_split", "validation_split", "epochs", "strategy_class", "replicas",
)  # fmt: skip
# Values of the optional `strategy` key (tf_ivg.training.strategies.make_strategy); absent = "auto".
STRATEGIES = ("auto", "default", "mirrored", "multi_worker", "tpu")


def available():
    """Names of the config modules in this package."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def variants(name):
    """The variants config module `name` offers: its `VARIANTS`, else ("full", "smoke")."""
    return tuple(getattr(importlib.import_module(f"{__name__}.{name}"), "VARIANTS", VARIANTS))


def get_config(name, variant="full"):
    """Returns config `name` (a module of this package) in `variant` ("full", "smoke", or one of the
    module's own `VARIANTS`).

    Raises:
      ValueError: unknown name or variant, or the module returns a config missing required keys.
    """
    names = available()
    if name not in names:
        raise ValueError(f"unknown config {name!r}; expected one of {names}")
    if variant not in variants(name):
        raise ValueError(f"unknown variant {variant!r} for config {name!r}; expected one of {variants(name)}")
    config = importlib.import_module(f"{__name__}.{name}").get_config(variant)
    check_config(config)
    return config


def load_config(path):
    """Reads a JSON config file and checks its required keys."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"config file {path} does not exist")
    with open(path) as f:
        config = json.load(f)
    check_config(config)
    return config


def did_you_mean(name, choices):
    """` (did you mean 'x'?)` for the closest of `choices` to `name`, or "" when none is close."""
    close = difflib.get_close_matches(str(name), list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_config(config):
    """Raises ValueError unless `config` is a dict with the required keys of sensible types."""
    if not isinstance(config, dict):
        raise ValueError(f"a config must be a dict; got {type(config).__name__}")
    missing = [k for k in REQUIRED_KEYS if k not in config]
    if missing:
        raise ValueError(f"config {config.get('name', '?')!r} lacks required keys {missing}")
    known = REQUIRED_KEYS + OPTIONAL_KEYS
    for key in config:
        if key not in known:
            hint = did_you_mean(key, known) or f"; expected keys among {sorted(known)}"
            raise ValueError(f"config {config['name']!r} has an unknown key {key!r}{hint}")
    for key in ("batch_size", "steps"):
        value = config[key]
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"config key {key!r} must be a positive int; got {value!r}")
    if not isinstance(config["optimizer"], dict) or "class_name" not in config["optimizer"]:
        raise ValueError(
            "config key 'optimizer' must be a dict with 'class_name' (e.g. {'class_name': 'adam', "
            f"'learning_rate': 0.001}}); got {config['optimizer']!r}"
        )
    if config.get("strategy", "auto") not in STRATEGIES:
        raise ValueError(f"config key 'strategy' must be one of {list(STRATEGIES)}; got {config['strategy']!r}")
    try:
        json.dumps(config)
    except TypeError as error:
        raise ValueError(f"config {config['name']!r} is not JSON-serialisable: {error}") from None
