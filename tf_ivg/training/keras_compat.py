"""The one place tf_ivg reaches into Keras's private modules: a workaround for keras-team/keras#20585.

Keras 3's TensorFlow trainer cannot `fit` under MultiWorkerMirroredStrategy with more than one worker
(checked in the installed Keras 3.15.1 source, `keras/src/backend/tensorflow/trainer.py`):
1. before `fit`/`evaluate`, `TensorFlowTrainer._maybe_symbolic_build` passes the whole first batch, a
   tuple of PerReplica values, to `strategy.reduce` ("Attempt to convert a value (PerReplica...)");
2. the per-step logs are reduced by `reduce_per_replica` with `strategy.reduce("MEAN", v, axis=0)`,
   which fails on the scalar metric results ("Invalid reduction dimension 0").
No public setting avoids either (the train function hard-codes `reduction="auto"`, so
`Model.distribute_reduction_method` does not reach 2), so `patch_keras_for_multi_worker` replaces
those two private names of `keras.src.backend.tensorflow.trainer`.

The patch is applied only to the Keras minor versions in `VERIFIED_KERAS` (where the two-worker
test, tests/training/test_multi_worker.py, passes with it) and only while the private names have the
signatures in `EXPECTED_SIGNATURES`. Otherwise importing this module warns, naming what differs, and
the patch does nothing (Keras's own code runs: fine if Keras has fixed the bug; otherwise `fit` fails
with the errors above). test_multi_worker.py also fails as soon as the installed Keras is not a
verified one: run its two-worker test on the new Keras, then add the minor version to
`VERIFIED_KERAS`, or drop the patch if Keras fixed #20585. tf_ivg imports this module only when it
makes a "multi_worker" strategy (`strategies.make_strategy`).
"""

import inspect
import warnings

import keras
import tensorflow as tf

VERIFIED_KERAS = ("3.15",)
# Private names the patch replaces or calls -> their parameters.
EXPECTED_SIGNATURES = {
    "TensorFlowTrainer._maybe_symbolic_build": ("self", "iterator", "data_batch"),
    "reduce_per_replica": ("values", "strategy", "reduction"),
    "_collective_all_reduce_multi_worker": ("strategy",),
}
ISSUE = "https://github.com/keras-team/keras/issues/20585"


def _trainer_module():
    from keras.src.backend.tensorflow import trainer

    return trainer


def problems():
    """What stops the patch on the installed Keras: [] when it is a verified version whose private
    names have the expected signatures; else one line per difference."""
    found = []
    series = ".".join(keras.__version__.split(".")[:2])
    if series not in VERIFIED_KERAS:
        found.append(f"Keras {keras.__version__} is not a verified version ({', '.join(VERIFIED_KERAS)})")
    try:
        trainer = _trainer_module()
    except ImportError as error:
        return [*found, f"keras.src.backend.tensorflow.trainer cannot be imported ({error})"]
    for name, expected in EXPECTED_SIGNATURES.items():
        target = trainer
        for part in name.split("."):
            target = getattr(target, part, None)
        if not callable(target):
            found.append(f"keras.src.backend.tensorflow.trainer.{name} is gone")
            continue
        params = tuple(inspect.signature(original(target)).parameters)
        if params != expected:
            found.append(f"keras.src.backend.tensorflow.trainer.{name} takes {params}, not {expected}")
    return found


def original(function):
    """`function` as Keras defines it, whether or not this module has patched it."""
    return getattr(function, "_tf_ivg_original", function)


def warn_if_unverified():
    """Warns (RuntimeWarning) naming `problems()`, if any; returns them. Runs when this module is imported."""
    found = problems()
    if found:
        warnings.warn(
            f"tf_ivg's workaround for {ISSUE} (fit under MultiWorkerMirroredStrategy with several workers) "
            f"is off: {'; '.join(found)}. Multi-worker `fit` runs Keras's own code and may fail with "
            "'Attempt to convert a value (PerReplica...)' or 'Invalid reduction dimension 0'; see "
            "tf_ivg/training/keras_compat.py",
            RuntimeWarning,
            stacklevel=2,
        )
    return found


warn_if_unverified()


def _is_multi_worker(strategy):
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def _first_local_values(batch):
    return tf.nest.map_structure(lambda v: v.values[0] if isinstance(v, tf.distribute.DistributedValues) else v, batch)


def patch_keras_for_multi_worker():
    """Works around keras-team/keras#20585 (see the module docstring); single-worker runs and other
    strategies are untouched:
    1. `_maybe_symbolic_build` gets the first local replica's values of the first batch instead of
       the PerReplica batch (the batch only serves to build the model from its shapes);
    2. per-step logs are averaged over replicas with `axis=None`, as the one-worker path does. (The
       epoch's history comes from the metrics' variables, summed over all replicas by tf.distribute,
       either way.)
    Idempotent. Returns True when the patch is in place, False when `problems()` kept it off (the
    import warned why)."""
    if problems():
        return False
    if is_patched():
        return True
    trainer = _trainer_module()
    build, reduce_per_replica = trainer.TensorFlowTrainer._maybe_symbolic_build, trainer.reduce_per_replica

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        if iterator is not None and _is_multi_worker(self.distribute_strategy):
            for _, _, batches in iterator:
                data_batch = _first_local_values(next(batches))
                break
            iterator = None
        return build(self, iterator=iterator, data_batch=data_batch)

    def _reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and trainer._collective_all_reduce_multi_worker(strategy):
            return tf.nest.map_structure(lambda v: strategy.reduce("MEAN", v, axis=None), values)
        return reduce_per_replica(values, strategy, reduction)

    _maybe_symbolic_build._tf_ivg_original = build
    _reduce_per_replica._tf_ivg_original = reduce_per_replica
    trainer.TensorFlowTrainer._maybe_symbolic_build = _maybe_symbolic_build
    trainer.reduce_per_replica = _reduce_per_replica
    return True


def is_patched():
    """True once `patch_keras_for_multi_worker` has replaced Keras's two functions in this process."""
    return hasattr(_trainer_module().reduce_per_replica, "_tf_ivg_original")
