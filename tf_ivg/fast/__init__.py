"""CPU fast paths for training, behind one switch. Shape key: B batch, S... spatial sides, C channels.

tf_ivg's models are built from stock Keras classes (`keras.layers.Conv2D`, `Conv3D`,
`BatchNormalization`, `keras.optimizers.Adam`, ...) and tf_ivg's own layers, so their `.keras` files name
nothing else and load without this package. For training, `apply` gives stock objects a faster
implementation of the same computation, per instance (never by patching a Keras class), through a method
Keras's documentation has subclasses override. One path is left:

- `"conv"` (`conv.py`): a `Conv2D` / `Conv3D`'s `convolution_op` (stride 1, no dilation, one group,
  channels-last, "same" or "valid" padding) -> the same forward convolution, with both gradients computed
  as forward convolutions (TensorFlow's CPU gradient kernels are slow at these shapes). Values and
  gradients equal the plain layer's to float rounding (`tests/fast/`).

Whether it pays depends on the CPU's instruction set, which decides TensorFlow's (oneDNN's) gradient
kernels (`benchmarks/BENCHMARKS.md`): on a 2-core AVX2 machine a whole VolumeIGN training step ran 1.5x
faster with the "conv" path (14 vs 9.4 samples/s); on a 2-core AVX-512 machine it ran at 0.68x (12.9 vs
18.9 samples/s), TensorFlow's own gradient kernels there being 1.1-11x faster than the path's. The fused
batch norm, the one-op Adam update and the fused volume loss were removed on 2026-12-02: the stock-Keras
step (path off) ran 1.3x faster than the build with all four on, on the AVX-512 machine.

The switch is the environment variable `TF_IVG_FAST`, read whenever `apply` runs:

- `auto` (or unset, the default): every path on a machine with no GPU or TPU whose CPU lacks AVX-512
  (Linux's `/proc/cpuinfo` flags; elsewhere none), none otherwise (cuDNN's gradient kernels: not measured);
- `1`: every path; `0`: none;
- a comma list of path names (`PATHS`): those paths only.

Measure on your machine: `benchmarks/compare_revisions.py` with `TF_IVG_FAST=0` and `=1`.

`configure(spec)` sets the same in Python for this process (it wins over the variable; `configure(None)`
hands back to it), and `with override(spec):` for a block; `enabled(path)` and `enabled_paths()` say what
is on. `VolumeIGN` calls `apply` on itself whenever Keras builds its train function (the first `fit` or
`train_on_batch`, and again after each `compile`), so the switch is read then. Any other model:
`tf_ivg.fast.apply(model)` before training.
"""

import contextlib
import functools
import os

import keras
import tensorflow as tf

from tf_ivg.fast import conv

PATHS = ("conv",)
ENV = "TF_IVG_FAST"

_configured = None  # configure(): a spec that wins over the environment variable, or None


def _parse(spec):
    """A switch value -> the frozenset of paths it turns on."""
    text = "auto" if spec is None else str(spec).strip().lower()
    if text in ("", "auto"):
        return frozenset(PATHS) if _auto() else frozenset()
    if text == "1":
        return frozenset(PATHS)
    if text == "0":
        return frozenset()
    paths = {p.strip() for p in text.split(",") if p.strip()}
    unknown = sorted(paths - set(PATHS))
    if unknown:
        raise ValueError(
            f"{ENV} / tf_ivg.fast.configure takes 'auto', '1', '0' or a comma list of {list(PATHS)}; "
            f"unknown {unknown} in {spec!r}"
        )
    return frozenset(paths)


def cpu_flags():
    """The CPU's feature flags from Linux's `/proc/cpuinfo` (an empty set elsewhere)."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


@functools.cache
def _auto():
    """What `auto` means here: the paths pay on a CPU-only machine whose CPU lacks AVX-512."""
    if tf.config.list_physical_devices("GPU") or tf.config.list_physical_devices("TPU"):
        return False
    flags = cpu_flags()
    return bool(flags) and "avx512f" not in flags


def enabled_paths():
    """The frozenset of fast paths now on (`configure`'s spec if set, else `TF_IVG_FAST`)."""
    return _parse(_configured if _configured is not None else os.environ.get(ENV))


def enabled(path):
    """Is fast path `path` (one of `PATHS`) on now?"""
    if path not in PATHS:
        raise ValueError(f"unknown fast path {path!r}; the paths are {list(PATHS)}")
    return path in enabled_paths()


def configure(spec):
    """Sets the switch for this process, as `TF_IVG_FAST` would ("auto", "1", "0", a comma list of paths);
    None hands it back to the environment variable. Models pick it up when they next call `apply`."""
    global _configured
    if spec is not None:
        _parse(spec)  # refuse a bad spec now
    _configured = spec


@contextlib.contextmanager
def override(spec):
    """`configure(spec)` for the duration of a `with` block."""
    before = _configured
    configure(spec)
    try:
        yield
    finally:
        configure(before)


def apply(*layers):
    """Installs the enabled fast paths on `layers` and takes the disabled ones off again.

    Args:
      *layers: Keras layers or models, walked with every nested layer (a model's, an STN's localisation
        network's...): their stock `Conv2D` / `Conv3D` instances get the "conv" path where it applies.

    Returns:
      the frozenset of enabled paths.
    """
    paths = enabled_paths()
    for obj in layers:
        if not isinstance(obj, keras.layers.Layer):
            raise TypeError(f"tf_ivg.fast.apply takes Keras layers and models; got {type(obj).__name__}")
        # Keras's own walk over a layer's nested layers (attributes and functional graphs alike).
        for layer in obj._flatten_layers(include_self=True, recursive=True):
            conv.install(layer, "conv" in paths)
    return paths
