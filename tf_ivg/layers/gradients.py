"""Layers that rewrite gradients with `tf.custom_gradient`.

Shape key: B batch, Z latent units.

- `GradientBlock`: identity forward, `scale * upstream` backward (0 by default).
  Paper 000 blocks the image decoder's gradient to the shape code with it.
- `BatchMeanClamp`: DC-IGN's clamp for factor-batched training (paper 001, 3.1).
"""

import keras
import tensorflow as tf
from keras import ops


@keras.saving.register_keras_serializable(package="tf_ivg")
class GradientBlock(keras.layers.Layer):
    """Identity in the forward pass; scales the gradient in the backward pass.

    Args:
      scale: the backward pass returns `scale * upstream`; 0 (default) blocks it.

    Inputs: any float tensor `[...]`. Returns: the same tensor.

    Example:
      >>> block = GradientBlock()
      >>> with tf.GradientTape() as tape:
      ...     tape.watch(x); y = tf.reduce_sum(block(x) ** 2)
      >>> tape.gradient(y, x)  # zeros
    """

    def __init__(self, scale=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = float(scale)

    def call(self, inputs):
        scale = self.scale

        @tf.custom_gradient
        def scaled_identity(x):
            def grad(upstream):
                return upstream * ops.cast(scale, upstream.dtype)

            return tf.identity(x), grad

        return scaled_identity(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


@keras.saving.register_keras_serializable(package="tf_ivg")
class BatchMeanClamp(keras.layers.Layer):
    """DC-IGN's batch-mean clamp for latents that should not vary in a batch.

    In a training batch where one factor varies, the active units pass
    unchanged; every inactive unit is replaced by its mean over the batch.
    Backward, active units get the upstream gradient; inactive units get
    `strength * (z - batch_mean)` in place of it, which pulls them towards the
    batch mean (paper 001: strength 1/100). With `inactive_gradient="zero"`
    they get zero instead (what the authors' code did by default).
    At inference the layer is the identity.

    Args:
      strength: invariance strength for `inactive_gradient="mean"`.
      inactive_gradient: "mean" (paper) or "zero".

    Call: `clamp(z, active, training=...)` with
      z: `[B, Z]` float latents.
      active: `[Z]` boolean (or 0/1) mask of the units assigned to the varying factor.

    Returns: `[B, Z]`.

    Example:
      >>> clamp = BatchMeanClamp()
      >>> z = tf.constant([[1., 2.], [3., 6.]])
      >>> clamp(z, tf.constant([True, False]), training=True)  # [[1, 4], [3, 4]]
    """

    def __init__(self, strength=0.01, inactive_gradient="mean", **kwargs):
        super().__init__(**kwargs)
        if inactive_gradient not in ("mean", "zero"):
            raise ValueError(f"inactive_gradient must be 'mean' or 'zero'; got {inactive_gradient!r}")
        self.strength = float(strength)
        self.inactive_gradient = inactive_gradient

    def build(self, z_shape, active_shape=None):
        z_shape = tuple(z_shape)
        if len(z_shape) != 2:
            raise ValueError(f"{self.name}: expected z of rank 2 [B, Z]; got shape {z_shape}")
        self.units = z_shape[-1]
        self.built = True

    def call(self, z, active, training=None):
        z_shape = tuple(z.shape)
        if len(z_shape) != 2:
            raise ValueError(f"{self.name}: expected z of rank 2 [B, Z]; got shape {z_shape}")
        active = ops.convert_to_tensor(active)
        if len(active.shape) != 1:
            raise ValueError(f"{self.name}: expected active mask of shape [Z]; got shape {tuple(active.shape)}")
        if active.shape[0] is not None and z_shape[-1] is not None and active.shape[0] != z_shape[-1]:
            raise ValueError(
                f"{self.name}: active mask must have length Z={z_shape[-1]} (one flag per latent unit); "
                f"got length {active.shape[0]}"
            )
        if active.dtype != "bool":
            active = ops.not_equal(active, 0)
        if not training:
            return z
        strength = self.strength
        zero_inactive = self.inactive_gradient == "zero"

        @tf.custom_gradient
        def clamp(latents):
            mean = ops.mean(latents, axis=0, keepdims=True)
            out = ops.where(active[None, :], latents, ops.broadcast_to(mean, ops.shape(latents)))

            def grad(upstream):
                if zero_inactive:
                    pull = ops.zeros_like(latents)
                else:
                    pull = ops.cast(strength, latents.dtype) * (latents - mean)
                return ops.where(active[None, :], upstream, pull)

            return out, grad

        return clamp(z)

    def compute_output_shape(self, z_shape, active_shape=None):
        return z_shape

    def get_config(self):
        return {**super().get_config(), "strength": self.strength, "inactive_gradient": self.inactive_gradient}
