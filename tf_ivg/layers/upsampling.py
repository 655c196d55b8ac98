"""Volumetric sub-voxel up-sampling. Shape key: B batch, D side, r block size, C channels.

`DepthToSpace3D(r)`: `[B, D, D, D, r^3 * C]` -> `[B, rD, rD, rD, C]`, the 3D analogue of
`tf.nn.depth_to_space` (a "sub-pixel convolution" when it follows a convolution). The volume decoder
uses it for its last up-sampling: a 3^3 convolution at D/r with r^3 outputs, then this shuffle,
computes the same number of multiply-adds as nearest up-sampling followed by a one-channel
convolution at full resolution, but in a layout the CPU convolution kernels run about twice as fast
(`benchmarks/train_volume_ign.py`), and without the full-resolution up-sampled feature tensor.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="tf_ivg")
class DepthToSpace3D(keras.layers.Layer):
    """Moves blocks of channels into space: `[B, D1, D2, D3, r^3 C]` -> `[B, r D1, r D2, r D3, C]`.

    Channel index `((i * r + j) * r + k) * C + c` goes to voxel offset `(i, j, k)` of each block,
    matching `tf.nn.depth_to_space`'s order in 2D.

    Args:
      block_size: r, a positive int.
    """

    def __init__(self, block_size, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(block_size, int) or isinstance(block_size, bool) or block_size < 1:
            raise ValueError(f"block_size must be a positive int; got {block_size!r}")
        self.block_size = block_size

    def _check(self, input_shape):
        if len(input_shape) != 5:
            raise ValueError(f"DepthToSpace3D expects [B, D1, D2, D3, C]; got shape {tuple(input_shape)}")
        channels = input_shape[-1]
        if channels is not None and channels % self.block_size**3:
            raise ValueError(
                f"DepthToSpace3D(block_size={self.block_size}) needs channels divisible by "
                f"{self.block_size**3}; got {channels}"
            )

    def build(self, input_shape):
        self._check(input_shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        r = self.block_size
        b, d1, d2, d3, c = input_shape
        scale = lambda d: None if d is None else d * r  # noqa: E731
        return (b, scale(d1), scale(d2), scale(d3), None if c is None else c // r**3)

    def call(self, inputs):
        r = self.block_size
        if r == 1:
            return inputs
        static = inputs.shape
        dynamic = ops.shape(inputs)
        d1, d2, d3 = (static[i] if static[i] is not None else dynamic[i] for i in (1, 2, 3))
        out_c = static[-1] // r**3
        x = ops.reshape(inputs, (-1, d1, d2, d3, r, r, r, out_c))
        x = ops.transpose(x, (0, 1, 4, 2, 5, 3, 6, 7))
        return ops.reshape(x, (-1, d1 * r, d2 * r, d3 * r, out_c))

    def get_config(self):
        return {**super().get_config(), "block_size": self.block_size}
