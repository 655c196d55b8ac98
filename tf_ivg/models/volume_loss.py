"""VolumeIGN's volume loss and IoU, computed at the volume decoder's output layer in one fused step.

Shape key: B batch, D volume side, r the output layer's sub-voxel block (4 at paper scale: the
decoder's last up-sampling is a `DepthToSpace3D(r)`), g = D / r, N = D^3 voxels.

The volume decoder ends `conv3d_out -> PReLU (one slope) -> [DepthToSpace3D(r)] -> Reshape`, so
at 80^3 its last layers and the loss are a dozen element-wise passes over 5.12M voxels per batch
of 10, plus two shuffles (forward and backward) into and out of voxel order, all memory-bound
(`benchmarks/profile_volume_ign.py` shows what a training step spends on them now). Both the MSE and the IoU are sums over
voxels, so they do not depend on the order of the voxels: `volume_terms` compares the
pre-activation in its sub-voxel layout `[B, g, g, g, r^3]` with the target moved into the same
layout (`space_to_depth_3d`, one shuffle without a gradient), and `prelu_mse_iou` applies the PReLU,
the MSE and the IoU with a hand-written gradient (`tf.custom_gradient`: one pass for the
pre-activation's gradient, one reduction for the slope's). The values equal
`per_example_mse(decoder(code), volumes)` and `voxel_iou(...)`, and the gradients those of the
unfused layers, to float rounding (`tests/models/test_volume_loss.py`), with two fine points: at a
pre-activation of exactly 0 the fused gradient takes the positive side's slope 1 (Keras's PReLU,
built from two ReLUs, gives 0 there), and under mixed_bfloat16 the fused PReLU runs in float32 on the
bfloat16 pre-activation (Keras's ran in bfloat16), so the loss is slightly more precise than before.

Decoders of another structure (built by hand, or with a PReLU of several slopes), and targets whose
sides are not known statically, get the plain path: the decoder's output, then `per_example_mse` and
`voxel_iou`.
"""

import math

import keras
import tensorflow as tf
from keras import ops

from tf_ivg.layers import DepthToSpace3D
from tf_ivg.metrics import voxel_iou


def per_example_mse(predicted, target):
    """`[B, ...]`, `[B, ...]` -> `[B]` mean squared error over all but the batch axis (float32)."""
    diff = ops.cast(predicted, "float32") - ops.cast(target, "float32")
    return ops.mean(ops.square(ops.reshape(diff, (ops.shape(diff)[0], -1))), axis=1)


def space_to_depth_3d(volumes, block):
    """The inverse of `DepthToSpace3D(block)` for one channel: `[B, D, D, D]` -> `[B, g, g, g, r^3]`."""
    if block == 1:
        return volumes[..., None]
    d = volumes.shape[1]
    g = d // block
    x = ops.reshape(volumes, (-1, g, block, g, block, g, block))
    x = ops.transpose(x, (0, 1, 3, 5, 2, 4, 6))
    return ops.reshape(x, (-1, g, g, g, block**3))


def output_head(decoder):
    """Splits a volume decoder built by `build_volume_decoder` at its output activation.

    Returns:
      `(trunk, prelu, block)`: the layers up to and including `conv3d_out` (a chain, each fed by
      the one before), the one-slope `PReLU`, and r (1 when the output layer is not sub-voxel); or
      None when the decoder does not have that structure.
    """
    layers = [layer for layer in decoder.layers if not isinstance(layer, keras.layers.InputLayer)]
    names = [layer.name for layer in layers]
    if "prelu_out" not in names or names[-1] != "volume":
        return None
    at = names.index("prelu_out")
    prelu, tail = layers[at], layers[at + 1 : -1]
    if not isinstance(prelu, keras.layers.PReLU) or math.prod(prelu.alpha.shape) != 1:
        return None
    if not tail:
        block = 1
    elif len(tail) == 1 and isinstance(tail[0], DepthToSpace3D):
        block = tail[0].block_size
    else:
        return None
    chain = [decoder.inputs[0]] + [layer.output for layer in layers[: at + 1]]
    if len(decoder.inputs) != 1 or any(layer.input is not fed for layer, fed in zip(layers[: at + 1], chain)):
        return None  # not a plain chain
    return layers[:at], prelu, block


def prelu_mse_iou(pre, alpha, target, threshold=0.5):
    """PReLU, then per-example MSE and IoU against `target`, with a fused gradient.

    Args:
      pre: `[B, ...]` pre-activations (any float dtype; computed in float32).
      alpha: the PReLU's slope, one element (any shape).
      target: `[B, ...]` as `pre`, occupancy in {0, 1} (occupied where > 0.5).
      threshold: a voxel is predicted occupied where the activation is > threshold.

    Returns:
      `(mse [B], iou [B])`, float32; only `mse` has a gradient (to `pre` and `alpha`).
    """
    target = ops.cast(target, "float32")
    alpha_shape = ops.shape(alpha)

    @tf.custom_gradient
    def fused(pre, alpha):
        batch = tf.shape(pre)[0]
        x = tf.reshape(tf.cast(pre, tf.float32), [batch, -1])
        goal = tf.reshape(target, [batch, -1])
        voxels = tf.cast(tf.shape(x)[1], tf.float32)
        slope = tf.reshape(tf.cast(alpha, tf.float32), [])
        negative_part = tf.minimum(x, 0.0)
        y = x + (slope - 1.0) * negative_part  # PReLU
        diff = y - goal
        mse = tf.reduce_mean(tf.square(diff), axis=1)
        # d loss / d alpha = sum_b (2 / N) d_mse[b] * sum_n diff[b, n] * min(x[b, n], 0): the inner sums now.
        diff_dot_negative = tf.einsum("bn,bn->b", diff, negative_part)
        iou = voxel_iou(y, goal, threshold)

        def grad(d_mse, d_iou):
            del d_iou  # the IoU is a metric: no gradient
            scale = d_mse * (2.0 / voxels)
            d_pre = tf.where(x < 0.0, slope * diff, diff) * scale[:, None]
            d_alpha = tf.reduce_sum(scale * diff_dot_negative)
            return (
                tf.cast(tf.reshape(d_pre, tf.shape(pre)), pre.dtype),
                tf.cast(tf.reshape(d_alpha, alpha_shape), alpha.dtype),
            )

        return (mse, tf.stop_gradient(iou)), grad

    return fused(tf.convert_to_tensor(pre), tf.convert_to_tensor(alpha))


def volume_terms(decoder, code, volumes, threshold=0.5, training=False):
    """Per-example volume MSE and IoU of `decoder(code)` against `volumes`, fused where possible.

    Args:
      decoder: a volume decoder (`build_volume_decoder`); other structures take the plain path.
      code: `[B, K]` shape codes. volumes: `[B, D, D, D]` targets in {0, 1}.
      threshold: IoU occupancy threshold. training: passed to the decoder's layers.

    Returns:
      `(mse [B], iou [B])` float32, as `per_example_mse(decoder(code), volumes)` and
      `voxel_iou(decoder(code), volumes, threshold)`.
    """
    head = output_head(decoder)
    expected = tuple(decoder.output.shape[1:])
    if None not in volumes.shape[1:] and tuple(volumes.shape[1:]) != expected:
        raise ValueError(
            f"volume targets must be [B, {', '.join(map(str, expected))}] like the decoder's output; "
            f"got shape {tuple(volumes.shape)}"
        )
    if head is None or None in volumes.shape[1:]:
        predicted = decoder(code, training=training)
        return per_example_mse(predicted, volumes), voxel_iou(predicted, volumes, threshold)
    trunk, prelu, block = head
    x = code
    for layer in trunk:
        x = layer(x, training=training)
    target = space_to_depth_3d(ops.cast(volumes, "float32"), block)
    return prelu_mse_iou(x, prelu.alpha, target, threshold)
