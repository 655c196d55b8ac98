"""Layers that shape gradients: `tf.custom_gradient`, or a stop-gradient and a penalty.

Shape key: B batch, Z latent units.

- `GradientBlock`: identity forward, `scale * upstream` backward (0 by default).
  Grant et al. 2016 block the image decoder's gradient to the shape code with it.
- `BatchMeanClamp`: DC-IGN's clamp for factor-batched training (Kulkarni et al. 2015, 3.1), and its
  invariance penalty, whose gradient is the authors' pull.
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
    """DC-IGN's batch-mean clamp for latents that should not vary in a batch (Kulkarni et al. 2015, 3.1-3.2).

    In a training batch where one factor varies, the active units pass unchanged; every inactive unit is
    replaced by its mean over the batch, through which no gradient flows (the authors' `SelectiveOutputClamp`
    and `SelectiveGradientFilter`: the filter *replaces* the inactive units' gradient, KL included when the
    clamp sits on the encoder's outputs). What replaces it is the invariance pull: add
    `invariance_penalty(z, active)` (`[B]`, `strength / 2 * sum_inactive (z - batch_mean)^2` per example) to
    each example's loss, and the gradient every inactive unit receives is `strength * (z - batch_mean)`
    relative to one example's loss, which is the authors' filter (strength 1/100), at any batch size, under
    loss averaging, loss scaling and distribution strategies alike. (The mean's own dependence on `z`
    contributes nothing: the deviations sum to zero.) With `inactive_gradient="zero"` the penalty is 0 (the
    authors' code without `--force_invariance`). At inference the layer is the identity.

    Args:
      strength: invariance strength for `inactive_gradient="mean"`.
      inactive_gradient: "mean" (paper) or "zero".

    Call: `clamp(z, active, training=...)` and `clamp.invariance_penalty(z, active)` with
      z: `[B, Z]` float latents.
      active: `[Z]` boolean (or 0/1) mask of the units assigned to the varying factor.

    Returns: `[B, Z]` (call); `[B]` float32 (penalty).

    Example:
      >>> clamp = BatchMeanClamp()
      >>> z = tf.constant([[1., 2.], [3., 6.]])
      >>> clamp(z, tf.constant([True, False]), training=True)  # [[1, 4], [3, 4]]
      >>> clamp.invariance_penalty(z, tf.constant([True, False]))  # 0.005 * [4, 4]
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

    def _check(self, z, active):
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
        return active if active.dtype == "bool" else ops.not_equal(active, 0)

    def call(self, z, active, training=None):
        active = self._check(z, active)
        if not training:
            return z
        mean = ops.stop_gradient(ops.mean(z, axis=0, keepdims=True))
        return ops.where(active[None, :], z, ops.broadcast_to(mean, ops.shape(z)))

    def invariance_penalty(self, z, active):
        """`[B, Z]`, `[Z]` -> `[B]` float32: `strength / 2 * sum over inactive units of (z - batch mean)^2`."""
        active = self._check(z, active)
        z = ops.cast(z, "float32")
        if self.inactive_gradient == "zero":
            return ops.zeros_like(z[:, 0])
        deviation = z - ops.mean(z, axis=0, keepdims=True)
        inactive = ops.cast(ops.logical_not(active), "float32")
        return 0.5 * self.strength * ops.sum(ops.square(deviation) * inactive[None, :], axis=1)

    def compute_output_shape(self, z_shape, active_shape=None):
        return z_shape

    def get_config(self):
        return {**super().get_config(), "strength": self.strength, "inactive_gradient": self.inactive_gradient}
