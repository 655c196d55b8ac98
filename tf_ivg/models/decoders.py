"""Paper 000's two decoders (section 3.1).

Shape key: B batch, K shape-code units, Z transformation-code units, D volume side, S image side,
T frames, g grid side before up-sampling, f feature maps.

- Volume decoder: shape code only. dense -> RReLU -> `[B, g, g, g, f0]`, then per stage
  Conv3D 3^3 -> RReLU -> UpSampling3D, then a 3^3 Conv3D and PReLU (one slope,
  `shared_axes=[1, 2, 3, 4]`) -> `[B, D, D, D]`. D = g * prod(up-sampling factors).
  `output_upsampling="depth_to_space"` (the default) does the last up-sampling (factor r) as a
  sub-voxel convolution instead: the output Conv3D runs at D/r with r^3 channels and
  `DepthToSpace3D(r)` shuffles them into `[B, D, D, D]`: the same multiply-adds as nearest
  up-sampling plus a one-channel convolution at D^3, in about half the time on CPU.
  `"repeat"` is the plain nearest up-sampling + full-resolution convolution.
- Image decoder: shape and transformation codes; the shape code first passes a `GradientBlock`,
  so the image loss never trains the shape code (Fig. 2). dense -> RReLU -> `[B, g, g, f0]`, per
  stage Conv2D 3x3 -> RReLU -> UpSampling2D, then a 3x3 Conv2D to T*3 channels and PReLU
  (`shared_axes=[1, 2]`) -> `[B, S, S, 3]` (or `[B, T, S, S, 3]` for clips).
"""
import math

import keras

from tf_ivg.layers import DepthToSpace3D, GradientBlock, RReLU

OUTPUT_UPSAMPLING = ("depth_to_space", "repeat")


def _stages(side, grid, filters, upsampling, what):
    filters = [int(f) for f in filters]
    upsampling = [int(u) for u in upsampling]
    if not filters or min(filters) <= 0:
        raise ValueError(f"{what} filters must be a non-empty list of positive ints; got {filters!r}")
    if len(upsampling) != len(filters) or min(upsampling) < 1:
        raise ValueError(
            f"{what} upsampling must give one factor >= 1 per filter entry ({len(filters)}); got {upsampling!r}"
        )
    if not isinstance(grid, int) or grid <= 0 or grid * math.prod(upsampling) != side:
        raise ValueError(
            f"{what}: grid {grid!r} times the up-sampling factors {upsampling} is "
            f"{grid * math.prod(upsampling) if isinstance(grid, int) else '?'}, but the output side is {side}"
        )
    return filters, upsampling


def build_volume_decoder(
    volume_size=80,
    shape_code=185,
    grid=5,
    filters=(64, 32, 16, 8),
    upsampling=(2, 2, 2, 2),
    rrelu=(1.0 / 8.0, 1.0 / 3.0),
    output_upsampling="depth_to_space",
    name="volume_decoder",
):
    """Builds the volume decoder: shape code `[B, K]` -> occupancy `[B, D, D, D]`.

    Args:
      volume_size: D. shape_code: K.
      grid: side g of the first 3D grid; g * prod(upsampling) must equal D.
      filters: Conv3D feature maps per stage (the dense layer fills the grid with filters[0] maps).
      upsampling: the UpSampling3D factor after each stage.
      rrelu: (lower, upper) RReLU slope bounds.
      output_upsampling: "depth_to_space" (last up-sampling as a sub-voxel convolution) or
        "repeat" (UpSampling3D, then the output convolution at full resolution).
    """
    filters, upsampling = _stages(volume_size, grid, filters, upsampling, "volume decoder")
    if output_upsampling not in OUTPUT_UPSAMPLING:
        raise ValueError(f"output_upsampling must be one of {OUTPUT_UPSAMPLING}; got {output_upsampling!r}")
    shuffle = upsampling[-1] if output_upsampling == "depth_to_space" else 1
    lower, upper = rrelu
    code = keras.Input((shape_code,), name="shape_code")
    x = keras.layers.Dense(grid**3 * filters[0], name="dense")(code)
    x = RReLU(lower, upper, name="rrelu_dense")(x)
    x = keras.layers.Reshape((grid, grid, grid, filters[0]), name="grid")(x)
    for i, (f, up) in enumerate(zip(filters, upsampling), start=1):
        x = keras.layers.Conv3D(f, 3, padding="same", name=f"conv3d{i}")(x)
        x = RReLU(lower, upper, name=f"rrelu{i}")(x)
        if up > 1 and not (i == len(filters) and shuffle > 1):
            x = keras.layers.UpSampling3D(up, name=f"up{i}")(x)
    x = keras.layers.Conv3D(shuffle**3, 3, padding="same", name="conv3d_out")(x)
    x = keras.layers.PReLU(
        alpha_initializer=keras.initializers.Constant(0.25), shared_axes=[1, 2, 3, 4], name="prelu_out"
    )(x)
    if shuffle > 1:
        x = DepthToSpace3D(shuffle, name="to_voxels")(x)
    volume = keras.layers.Reshape((volume_size,) * 3, name="volume", dtype="float32")(x)
    return keras.Model(code, volume, name=name)


def build_image_decoder(
    image_size=80,
    frames=1,
    channels=3,
    shape_code=185,
    transformation_code=15,
    grid=10,
    filters=(64, 32, 16),
    upsampling=(2, 2, 2),
    rrelu=(1.0 / 8.0, 1.0 / 3.0),
    name="image_decoder",
):
    """Builds the image decoder: `[shape [B, K], transformation [B, Z]]` -> `[B, S, S, C]`
    (`[B, T, S, S, C]` when frames > 1). The shape input passes a `GradientBlock`.

    Args:
      image_size: S. frames: T. channels: C. shape_code: K. transformation_code: Z (>= 0).
      grid: side g of the first 2D grid; g * prod(upsampling) must equal S.
      filters, upsampling: per stage Conv2D feature maps and UpSampling2D factor.
    """
    filters, upsampling = _stages(image_size, grid, filters, upsampling, "image decoder")
    lower, upper = rrelu
    shape = keras.Input((shape_code,), name="shape_code")
    transformation = keras.Input((transformation_code,), name="transformation_code")
    blocked = GradientBlock(name="block_shape_gradient")(shape)
    x = keras.layers.Concatenate(name="code")([blocked, transformation])
    x = keras.layers.Dense(grid**2 * filters[0], name="dense")(x)
    x = RReLU(lower, upper, name="rrelu_dense")(x)
    x = keras.layers.Reshape((grid, grid, filters[0]), name="grid")(x)
    for i, (f, up) in enumerate(zip(filters, upsampling), start=1):
        x = keras.layers.Conv2D(f, 3, padding="same", name=f"conv{i}")(x)
        x = RReLU(lower, upper, name=f"rrelu{i}")(x)
        if up > 1:
            x = keras.layers.UpSampling2D(up, name=f"up{i}")(x)
    x = keras.layers.Conv2D(frames * channels, 3, padding="same", name="conv_out")(x)
    x = keras.layers.PReLU(
        alpha_initializer=keras.initializers.Constant(0.25), shared_axes=[1, 2], name="prelu_out"
    )(x)
    if frames > 1:
        x = keras.layers.Reshape((image_size, image_size, frames, channels), name="split_frames")(x)
        x = keras.layers.Permute((3, 1, 2, 4), name="frames_first")(x)
    image = keras.layers.Activation("linear", dtype="float32", name="image")(x)
    return keras.Model([shape, transformation], image, name=name)
