"""Optimizers: `make_optimizer`, the one factory every config's optimizer comes from.

It builds stock Keras optimizers, so a checkpoint's compile config names only Keras's classes. (`"adam"`
built `FusedAdam`, Keras's Adam with a one-op update, until 2026-12-02: it saved 1-3% of a VolumeIGN
training step and was removed; `benchmarks/BENCHMARKS.md`.)
"""

import keras


@keras.saving.register_keras_serializable(package="tf_ivg")
class FusedAdam(keras.optimizers.Adam):
    """Keras's `Adam`, under the name that compile configs saved before 2026-12-02 give it, so that those
    files still load compiled. Nothing builds it any more."""


def make_optimizer(spec):
    """The one optimizer factory of every config: `{"class_name": name, **keras arguments}` -> an optimizer.

    The spec is passed to `keras.optimizers.deserialize` ("adam", "rmsprop", "adamw", "sgd", ...), so its
    arguments are Keras's own (a `learning_rate` may be a serialised schedule such as `CosineDecay`).

    Raises:
      ValueError: a spec without `class_name`, an unknown optimizer or arguments it does not take.
    """
    if not isinstance(spec, dict) or "class_name" not in spec:
        raise ValueError(f"an optimizer spec is a dict with 'class_name' (e.g. {{'class_name': 'adam'}}); got {spec!r}")
    spec = dict(spec)
    name = spec.pop("class_name")
    try:
        optimizer = keras.optimizers.deserialize({"class_name": name, "config": spec})
    except (ValueError, TypeError) as error:
        raise ValueError(f"bad optimizer {name!r} with arguments {spec}: {error}") from None
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise ValueError(f"unknown optimizer {name!r}; expected a Keras optimizer name such as 'adam' or 'rmsprop'")
    return optimizer
