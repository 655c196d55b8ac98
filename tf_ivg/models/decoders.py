"""Grant et al. 2016's two decoders (section 3.1).

Shape key: B batch, K shape-code units, Z transformation-code units, D volume side, S image side,
T frames, g grid side before up-sampling, f feature maps.

- Volume decoder: shape code only. dense -> RReLU -> `[B, g, g, g, f0]`, then per stage
  Conv3D 3^3 -> RReLU -> UpSampling3D, then a 3^3 Conv3D and PReLU (one slope,
  `shared_axes=[1, 2, 3, 4]`) -> `[B, D, D, D]`. D = g * prod(up-sampling factors).
  Each "UpSampling3D(r) -> Conv3D 3^3 with f maps" can instead run as a sub-voxel convolution:
  a 3^3 Conv3D with f * r^3 maps at the LOW resolution, then `DepthToSpace3D(r)` shuffles the maps
  into an r-times larger grid of f maps. It has exactly the multiply-adds of the pair it replaces
  (r^3 fewer voxels, r^3 more maps) and can express everything the pair can (nearest up-sampling
  followed by a 3^3 convolution is the sub-voxel convolution with some taps tied to zero; in
  training the following RReLU then draws a slope per sub-voxel where the pair shares one), but
  it reads its input once instead of r^3 times and its matrix products are r^3 times wider,
  which is what a CPU needs (`benchmarks/train_volume_ign.py --stage-upsampling repeat` compares).
  `output_upsampling` chooses this for the output layer, `stage_upsampling` for the hidden
  stages: "depth_to_space" (the default for both) or "repeat" (the plain UpSampling3D + conv).
- Image decoder: shape and transformation codes; the shape code first passes a `GradientBlock`,
  so the image loss never trains the shape code (Fig. 2). dense -> RReLU -> `[B, g, g, f0]`, per
  stage Conv2D 3x3 -> RReLU -> UpSampling2D, then a 3x3 Conv2D to T*3 channels and PReLU
  (`shared_axes=[1, 2]`) -> `[B, S, S, 3]` (or `[B, T, S, S, 3]` for clips).
"""

import math

import keras
import numpy as np

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
    stage_upsampling="depth_to_space",
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
      stage_upsampling: the same choice for the up-sampling in front of every hidden stage's
        convolution (stages 2, 3, ...).

    Layer names: `conv3d{i}` / `rrelu{i}` per stage; `up{i}` (repeat) or `d2s{i}` (depth_to_space)
    for the up-sampling after stage i; `conv3d_out`, `prelu_out`, then `to_voxels` (depth_to_space).
    """
    filters, upsampling = _stages(volume_size, grid, filters, upsampling, "volume decoder")
    for key, mode in (("output_upsampling", output_upsampling), ("stage_upsampling", stage_upsampling)):
        if mode not in OUTPUT_UPSAMPLING:
            raise ValueError(f"{key} must be one of {OUTPUT_UPSAMPLING}; got {mode!r}")
    lower, upper = rrelu
    code = keras.Input((shape_code,), name="shape_code")
    x = keras.layers.Dense(grid**3 * filters[0], name="dense")(code)
    x = RReLU(lower, upper, name="rrelu_dense")(x)
    x = keras.layers.Reshape((grid, grid, grid, filters[0]), name="grid")(x)
    pending = 1  # the up-sampling factor still to apply in front of the next convolution
    for i, (f, up) in enumerate(zip(filters, upsampling), start=1):
        x = keras.layers.Conv3D(f * pending**3, 3, padding="same", name=f"conv3d{i}")(x)
        x = RReLU(lower, upper, name=f"rrelu{i}")(x)  # element-wise, so it commutes with the shuffle
        if pending > 1:
            x = DepthToSpace3D(pending, name=f"d2s{i - 1}")(x)
        pending = 1
        if up > 1:
            mode = output_upsampling if i == len(filters) else stage_upsampling
            if mode == "depth_to_space":
                pending = up
            else:
                x = keras.layers.UpSampling3D(up, name=f"up{i}")(x)
    x = keras.layers.Conv3D(pending**3, 3, padding="same", name="conv3d_out")(x)
    x = keras.layers.PReLU(
        alpha_initializer=keras.initializers.Constant(0.25), shared_axes=[1, 2, 3, 4], name="prelu_out"
    )(x)
    if pending > 1:
        x = DepthToSpace3D(pending, name="to_voxels")(x)
    volume = keras.layers.Reshape((volume_size,) * 3, name="volume", dtype="float32")(x)
    return keras.Model(code, volume, name=name)


def sub_voxel_weights(kernel, bias, factor):
    """The sub-voxel convolution equal to nearest up-sampling by `factor` then `kernel`.

    `UpSampling3D(r)` followed by a 3^3 "same" convolution puts, along each axis, high-resolution
    voxel r*q + s (phase s) on taps reading low-resolution voxels q + floor((s + k) / r) for
    k in {-1, 0, 1}; summing the taps that read the same voxel gives, per phase, a 3^3 kernel at the
    low resolution. Stacking the r^3 phases in `DepthToSpace3D`'s channel order makes one Conv3D.

    Args:
      kernel: `[3, 3, 3, Cin, Cout]` weights of the convolution after the up-sampling.
      bias: `[Cout]`.
      factor: r, the up-sampling factor.

    Returns:
      `(kernel [3, 3, 3, Cin, r^3 Cout], bias [r^3 Cout])` for a "same" Conv3D at the low
      resolution followed by `DepthToSpace3D(r)`: the same output, exactly (up to float rounding).
    """
    kernel = np.asarray(kernel)
    if kernel.ndim != 5 or kernel.shape[:3] != (3, 3, 3):
        raise ValueError(f"kernel must be [3, 3, 3, Cin, Cout]; got shape {kernel.shape}")
    if not isinstance(factor, int) or factor < 1:
        raise ValueError(f"factor must be a positive int; got {factor!r}")
    # taps[s][j, k] = 1 where phase s's high-resolution tap k reads low-resolution offset j - 1.
    taps = np.zeros((factor, 3, 3), kernel.dtype)
    for s in range(factor):
        for k in (-1, 0, 1):
            taps[s, (s + k) // factor + 1, k + 1] = 1
    # [i, j, k, a, b, c, Cin, Cout]: phases (i, j, k) and low-resolution taps (a, b, c).
    phased = np.einsum("iax,jby,kcz,xyzmn->ijkabcmn", taps, taps, taps, kernel)
    cin, cout = kernel.shape[3:]
    phased = np.transpose(phased, (3, 4, 5, 6, 0, 1, 2, 7)).reshape(3, 3, 3, cin, factor**3 * cout)
    return phased, np.tile(np.asarray(bias), factor**3)


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
    x = keras.layers.PReLU(alpha_initializer=keras.initializers.Constant(0.25), shared_axes=[1, 2], name="prelu_out")(x)
    if frames > 1:
        x = keras.layers.Reshape((image_size, image_size, frames, channels), name="split_frames")(x)
        x = keras.layers.Permute((3, 1, 2, 4), name="frames_first")(x)
    image = keras.layers.Activation("linear", dtype="float32", name="image")(x)
    return keras.Model([shape, transformation], image, name=name)
