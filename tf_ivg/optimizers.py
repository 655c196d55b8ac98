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
and non-float32 variables use Keras's own `update_step`. `volume_task.make_optimizer` builds it for
`"class_name": "adam"`, so VolumeIGN checkpoints name it in their compile config: `tf_ivg.models` imports
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
