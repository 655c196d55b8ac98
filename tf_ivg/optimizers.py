"""Optimizers: `FusedAdam`, Adam whose per-variable update is one TensorFlow op. Shape key: each
variable's own shape.

Keras 3's `Adam.update_step` writes the update from generic ops: about fifteen graph ops per
variable (powers of the betas, the moments' two assignments, the square root, the division...),
so VolumeIGN's ~100 variables cost some 1,500 small ops per training step (see the "optimizer
updates" of `benchmarks/profile_volume_ign.py`). `FusedAdam` runs TensorFlow's `ResourceApplyAdam`
kernel instead, which computes the same update:

    alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
    m += (g - m) * (1 - beta_1);  v += (g^2 - v) * (1 - beta_2)
    w -= alpha * m / (sqrt(v) + epsilon)

with t the step count plus one, as Keras's `Adam` does. Everything else (variables, learning-rate
schedules, weight decay, clipping, gradient accumulation, EMA, config) is Keras's `Adam`; AMSGrad
and non-float32 variables use Keras's own `update_step`. `make_optimizer` (below) builds it for
`"class_name": "adam"`, so checkpoints name it in their compile config: `tf_ivg.models` imports
this module, so that `keras.models.load_model` finds the class whenever it can find `VolumeIGN`.
"""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tf_ivg")
class FusedAdam(keras.optimizers.Adam):
    """`keras.optimizers.Adam` (same arguments and state) with a fused `ResourceApplyAdam` update."""

    def update_step(self, gradient, variable, learning_rate):
        if self.amsgrad or variable.dtype != "float32":
            return super().update_step(gradient, variable, learning_rate)
        index = self._get_variable_index(variable)
        step = tf.cast(self.iterations + 1, tf.float32)
        beta_1 = tf.constant(self.beta_1, tf.float32)
        beta_2 = tf.constant(self.beta_2, tf.float32)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle,
            m=self._momentums[index].handle,
            v=self._velocities[index].handle,
            beta1_power=tf.pow(beta_1, step),
            beta2_power=tf.pow(beta_2, step),
            lr=tf.cast(learning_rate, tf.float32),
            beta1=beta_1,
            beta2=beta_2,
            epsilon=tf.constant(self.epsilon, tf.float32),
            grad=tf.cast(gradient, tf.float32),
        )


def make_optimizer(spec):
    """The one optimizer factory of every config: `{"class_name": name, **keras arguments}` -> an optimizer.

    `"adam"` builds `FusedAdam` (Keras's Adam with the one-op update above); any other name is passed to
    `keras.optimizers.deserialize` ("rmsprop", "adamw", "sgd", ...), so its arguments are Keras's own
    (a `learning_rate` may be a serialised schedule such as `CosineDecay`).

    Raises:
      ValueError: a spec without `class_name`, an unknown optimizer or arguments it does not take.
    """
    if not isinstance(spec, dict) or "class_name" not in spec:
        raise ValueError(f"an optimizer spec is a dict with 'class_name' (e.g. {{'class_name': 'adam'}}); got {spec!r}")
    spec = dict(spec)
    name = spec.pop("class_name")
    try:
        if str(name).lower() == "adam":
            return FusedAdam.from_config(spec)
        optimizer = keras.optimizers.deserialize({"class_name": name, "config": spec})
    except (ValueError, TypeError) as error:
        raise ValueError(f"bad optimizer {name!r} with arguments {spec}: {error}") from None
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise ValueError(f"unknown optimizer {name!r}; expected a Keras optimizer name such as 'adam' or 'rmsprop'")
    return optimizer
