"""Conv2D / Conv3D whose gradients run as forward convolutions. Shape key: B batch, S... spatial
sides (2 or 3 of them), k... kernel sides, Ci / Co input / output channels.

TensorFlow's CPU kernels for the convolution gradients (`Conv{2,3}DBackpropInput`,
`Conv{2,3}DBackpropFilter`) are several times slower than the forward convolution at this
library's shapes. For a stride-1, undilated convolution with "valid" padding,
or "same" padding and an odd kernel, both gradients are themselves forward convolutions:

- input gradient: the output gradient convolved with the kernel flipped in space and with its
  input and output channels swapped ("same"; for "valid", "valid" over the output gradient padded
  by k - 1). "same" with an even kernel runs as an explicit pad ((k - 1) // 2 before, k // 2 after,
  TensorFlow's rule) and then "valid";
- kernel gradient: `dw[k, i, o] = sum_{b, p} x_pad[b, p + k, i] dy[b, p, o]`, a "valid"
  convolution of the (padded) input with batch and channels swapped (`[Ci, S..., B]`) by the output
  gradient used as the kernel (`[S..., B, Co]`), giving `[Ci, k..., Co]`.

`python benchmarks/conv_gradients.py` times forward + both gradients either way at VolumeIGN's shapes
(2-core AVX2 machine, batch 10: 1.5-2.1x faster for most of them, 1.06x for the encoder's second
convolution). `fast_convolution` computes the forward pass with `tf.nn.convolution` and these gradients
(`tf.custom_gradient`). `install` makes it the `convolution_op` of one stock Keras `Conv2D` / `Conv3D`
instance whose arguments allow it (`eligible`): the method Keras's documentation has subclasses override,
here set on the instance only, so the layer's class, config, weights and saved files stay Keras's.
`tf_ivg.fast.apply` calls it for every convolution of a model when the "conv" path is on.
"""

import types

import keras
import tensorflow as tf


def _swap(rank):
    """Permutations for a spatial rank N: x `[B, S.., C]` -> `[C, S.., B]` (its own inverse) and
    `[B, S.., C]` -> `[S.., B, C]`."""
    spatial = list(range(1, rank + 1))
    return [rank + 1] + spatial + [0], spatial + [0, rank + 1]


def fast_convolution(x, kernel, padding):
    """`[B, S.., Ci]`, `[k.., Ci, Co]` -> `[B, S'.., Co]`: a stride-1 convolution (2 or 3 spatial
    dims; padding "SAME" or "VALID") whose gradients are forward convolutions."""
    padding = padding.upper()
    rank = len(kernel.shape) - 2
    ks = list(kernel.shape[:rank])
    if rank not in (2, 3) or padding not in ("SAME", "VALID"):
        raise ValueError(
            f"fast_convolution needs a 2D/3D kernel and 'same' or 'valid' padding; "
            f"got kernel shape {tuple(kernel.shape)} and padding {padding!r}"
        )
    if padding == "SAME" and not all(k % 2 for k in ks):
        # TensorFlow's "same" for an even kernel pads one more after than before: pad so, then "valid".
        x = tf.pad(x, [[0, 0]] + [[(k - 1) // 2, k // 2] for k in ks] + [[0, 0]])
        padding = "VALID"

    @tf.custom_gradient
    def convolve(x, kernel):
        y = tf.nn.convolution(x, kernel, padding=padding)

        def grad(dy):
            channels_first, kernel_layout = _swap(rank)
            flipped = tf.transpose(tf.reverse(kernel, axis=list(range(rank))), list(range(rank)) + [rank + 1, rank])
            if padding == "SAME":
                dx = tf.nn.convolution(dy, flipped, padding="SAME")
                pad = [[(k - 1) // 2] * 2 for k in ks]
            else:
                dx = tf.nn.convolution(
                    tf.pad(dy, [[0, 0]] + [[k - 1] * 2 for k in ks] + [[0, 0]]), flipped, padding="VALID"
                )
                pad = [[0, 0]] * rank
            padded = tf.pad(x, [[0, 0]] + pad + [[0, 0]])
            splits = _kernel_gradient_splits(rank, dy.shape[rank])
            if splits == 1:
                dw = tf.nn.convolution(
                    tf.transpose(padded, channels_first), tf.transpose(dy, kernel_layout), padding="VALID"
                )  # [Ci, k.., Co]
            else:
                dw = _split_kernel_gradient(padded, dy, ks[-1], splits)
            return dx, tf.transpose(dw, kernel_layout)

        return y, grad

    return convolve(x, kernel)


def _kernel_gradient_splits(rank, last_side):
    """How many pieces the kernel gradient of a 3D convolution cuts its last output axis into.

    The kernel-gradient convolution reads the batch as its input channels; with batches of about 10
    the CPU kernels, which work on blocks of 8 channels, run it a tenth or more below their speed at
    20+ channels (`benchmarks/conv_gradients.py`). Cutting the last spatial axis into s pieces, each
    with the k - 1 columns its kernel offsets reach beyond it, and stacking the pieces beside the batch
    gives s * B channels for the same multiply-adds. Measured faster for 3D (VolumeIGN's decoder);
    2D convolutions were as fast or slower, so they keep one piece.
    """
    if rank != 3 or last_side is None:
        return 1
    for splits in (4, 2):
        if last_side % splits == 0 and last_side // splits >= 4:
            return splits
    return 1


def _split_kernel_gradient(padded, dy, k, splits):
    """`[B, D', H', W', Ci]` padded input, `[B, D, H, W, Co]` output gradient, last kernel side k ->
    `[Ci, kD, kH, k, Co]`: the kernel gradient with W cut into `splits` pieces (W' = W + k - 1)."""
    d, h, w, co = dy.shape[1], dy.shape[2], dy.shape[3], dy.shape[4]
    ci = padded.shape[-1]
    chunk = w // splits
    # Columns of piece p: p * chunk .. p * chunk + chunk + k - 2 of the padded input.
    columns = [c for p in range(splits) for c in range(p * chunk, p * chunk + chunk + k - 1)]
    pieces = tf.reshape(
        tf.gather(padded, columns, axis=3), [-1, padded.shape[1], padded.shape[2], splits, chunk + k - 1, ci]
    )
    x = tf.reshape(tf.transpose(pieces, [5, 1, 2, 4, 3, 0]), [ci, padded.shape[1], padded.shape[2], chunk + k - 1, -1])
    g = tf.reshape(
        tf.transpose(tf.reshape(dy, [-1, d, h, splits, chunk, co]), [1, 2, 4, 3, 0, 5]), [d, h, chunk, -1, co]
    )
    return tf.nn.convolution(x, g, padding="VALID")


def eligible(layer):
    """Can `layer`'s convolution run as `fast_convolution`? A stock Keras `Conv2D` / `Conv3D` (its class
    does not override `convolution_op`) with stride 1, dilation 1, one group, channels-last and "valid" or
    "same" padding."""
    if not isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv3D)):
        return False
    plain = (1,) * len(layer.kernel_size)
    return (
        type(layer).convolution_op is keras.layers.Conv2D.convolution_op
        and tuple(layer.strides) == plain
        and tuple(layer.dilation_rate) == plain
        and layer.groups == 1
        and layer.data_format == "channels_last"
        and layer.padding in ("valid", "same")
    )


def install(layer, on):
    """Gives `layer` (if `eligible`) `fast_convolution` as its own `convolution_op` (on) or takes it off
    again (off). Other layers are left alone."""
    if on and eligible(layer):
        # On the instance, bypassing Keras's attribute tracking: the class keeps Keras's method.
        object.__setattr__(layer, "convolution_op", types.MethodType(_convolution_op, layer))
    elif "convolution_op" in vars(layer) and getattr(layer.convolution_op, "__func__", None) is _convolution_op:
        del layer.__dict__["convolution_op"]


def _convolution_op(self, inputs, kernel):
    # Tensors, not the variable: custom_gradient would otherwise want a gradient per variable.
    return fast_convolution(tf.convert_to_tensor(inputs), tf.convert_to_tensor(kernel), self.padding)
