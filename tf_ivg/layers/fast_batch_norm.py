"""Batch normalisation whose training pass is TensorFlow's fused kernel. Shape key: B batch,
S... spatial sides (2 or 3), C channels (the normalised axis, last).

Keras 3's `BatchNormalization` builds its training pass from generic ops (moments, then the affine
normalisation: about 25 graph ops forward and backward per layer). `FastBatchNormalization` runs
`tf.compat.v1.nn.fused_batch_norm` instead (one `FusedBatchNormV3` op forward, one gradient op
backward) and updates the moving statistics exactly as Keras does (the fused op returns the batch
variance with Bessel's correction; Keras averages the biased variance, so it is converted back).
Like Keras's, it computes in float32 for float32, bfloat16 and float16 inputs. Inference, masks,
renormalisation, synchronised statistics, another axis than the last, float64 inputs, or inputs other
than `[B, S.., C]` with 2 or 3 spatial dims use Keras's own pass.

The class is *named* `BatchNormalization` (registered as `tf_ivg>FastBatchNormalization`) for the
same reason as `FastConv2D`: Keras 3 files store weights under the snake-cased class name, so files
written with Keras's layer load into this one and back.
"""

import keras
import tensorflow as tf


# Class name BatchNormalization on purpose (module docstring): the weight paths of saved files.
@keras.saving.register_keras_serializable(package="tf_ivg", name="FastBatchNormalization")
class BatchNormalization(keras.layers.BatchNormalization):
    """`keras.layers.BatchNormalization` (same arguments, weights and config) whose training pass
    over `[B, H, W, C]` or `[B, D, H, W, C]` is one fused TensorFlow op."""

    def _fused(self, inputs, training, mask):
        rank = len(inputs.shape)
        return (
            training
            and self.trainable
            and mask is None
            and not self.renorm
            and not self.synchronized
            and rank in (4, 5)
            and self.axis in (-1, rank - 1)
            and inputs.dtype in (tf.float32, tf.bfloat16, tf.float16)
        )  # Keras computes float64 in float64

    def call(self, inputs, training=None, mask=None):
        if not self._fused(inputs, training, mask):
            return super().call(inputs, training=training, mask=mask)
        x = tf.cast(inputs, tf.float32)
        channels = x.shape[-1]
        scale = tf.cast(self.gamma, tf.float32) if self.scale else tf.ones([channels])
        offset = tf.cast(self.beta, tf.float32) if self.center else tf.zeros([channels])
        y, mean, corrected = tf.compat.v1.nn.fused_batch_norm(
            x,
            scale,
            offset,
            epsilon=self.epsilon,
            data_format="NHWC" if len(x.shape) == 4 else "NDHWC",
            is_training=True,
        )
        count = tf.cast(tf.size(x) // channels, tf.float32)
        variance = corrected * (count - 1.0) / tf.maximum(count, 1.0)
        momentum = self.momentum
        self.moving_mean.assign(tf.cast(self.moving_mean, tf.float32) * momentum + mean * (1.0 - momentum))
        self.moving_variance.assign(tf.cast(self.moving_variance, tf.float32) * momentum + variance * (1.0 - momentum))
        return tf.cast(y, self.compute_dtype)


FastBatchNormalization = BatchNormalization
