"""DC-IGN encoder and decoder networks (Kulkarni et al. 2015, section 3; Kulkarni et al. 2015).

Shape key: B batch, S image side, C image channels (1, grayscale), Z latent units,
g decoder grid side (S = g * prod(up_factors)).

Encoder: `[B, S, S, C]` -> three stages of 5x5 conv + ReLU + 2x2 max-pool (96, 48, 24 maps, as
in the authors' code) -> flatten -> two dense heads, the posterior mean `[B, Z]` and
log-variance `[B, Z]`. With 'valid' convolutions a 150x150 image ends on a 15x15x24 grid
(150 -> 146 -> 73 -> 69 -> 34 -> 30 -> 15), the authors' layout.

Decoder: `[B, Z]` -> dense -> `[B, g, g, F0]` -> for each up-sampling factor f: nearest
up-sampling by repetition (`UpSampling2D(f)`, integer factors only: the gradient of a resize
by a non-integer factor does not compile under XLA) + 7x7 conv + ReLU -> 7x7 conv to C
channels. It returns *logits* `[B, S, S, C]`; the model applies the sigmoid (and computes the
Bernoulli loss from logits, which is numerically stable). For 150x150 the default is
g = 15, factors (2, 5): 15 -> 30 -> 150, with the wide maps at low resolution
(96 at 15x15, 48 at 30x30, 24 at 150x150), which keeps the 150x150 stage cheap.
"""

import math

import keras

ENCODER_PADDINGS = ("valid", "same")


def encoder_output_side(image_size, num_stages, kernel_size, padding):
    """Side of the encoder's last feature grid (floor pooling, as Keras and Torch do)."""
    side = image_size
    for _ in range(num_stages):
        if padding == "valid":
            side -= kernel_size - 1
        side //= 2
    return side


def dcign_encoder(
    image_size=150, channels=1, filters=(96, 48, 24), kernel_size=5, padding="valid", latent_dim=200, name="encoder"
):
    """Builds the DC-IGN encoder.

    Args:
      image_size: S, the input side.
      channels: C.
      filters: feature maps of each conv + max-pool stage.
      kernel_size: conv kernel side.
      padding: "valid" (authors: 150 -> 15x15) or "same" (lets small smoke images keep a grid).
      latent_dim: Z.

    Returns:
      a functional `keras.Model` mapping `[B, S, S, C]` to `[mean [B, Z], log_var [B, Z]]`.
    """
    if padding not in ENCODER_PADDINGS:
        raise ValueError(f"encoder padding must be one of {ENCODER_PADDINGS}; got {padding!r}")
    side = encoder_output_side(image_size, len(filters), kernel_size, padding)
    if side < 1:
        raise ValueError(
            f"a {image_size}x{image_size} image is too small for {len(filters)} stages of {kernel_size}x{kernel_size} "
            f"'{padding}' conv + 2x2 pooling; use a larger image, fewer stages or padding='same'"
        )
    inputs = keras.Input((image_size, image_size, channels), name="images")
    x = inputs
    for i, f in enumerate(filters):
        x = keras.layers.Conv2D(f, kernel_size, padding=padding, activation="relu", name=f"conv{i + 1}")(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool{i + 1}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    # Heads in float32 so the KL and the reparameterisation stay exact under mixed precision.
    mean = keras.layers.Dense(latent_dim, name="z_mean", dtype="float32")(x)
    log_var = keras.layers.Dense(latent_dim, name="z_log_var", dtype="float32")(x)
    return keras.Model(inputs, [mean, log_var], name=name)


def dcign_decoder(
    image_size=150,
    channels=1,
    latent_dim=200,
    grid_size=15,
    grid_channels=24,
    filters=(48, 24),
    up_factors=(2, 5),
    kernel_size=7,
    name="decoder",
):
    """Builds the DC-IGN decoder (returns logits; the sigmoid is applied by the model).

    Args:
      image_size: S; must equal `grid_size * prod(up_factors)`.
      channels: C of the output image.
      latent_dim: Z.
      grid_size: g, side of the dense layer's feature grid.
      grid_channels: feature maps of that grid.
      filters: feature maps of the conv after each up-sampling (one per factor).
      up_factors: integer nearest up-sampling factors.
      kernel_size: conv kernel side (7 in the authors' code).

    Returns:
      a functional `keras.Model` mapping `[B, Z]` to logits `[B, S, S, C]` (float32).
    """
    up_factors = [int(f) for f in up_factors]
    if len(filters) != len(up_factors):
        raise ValueError(
            f"decoder needs one filter count per up-sampling factor; got filters={list(filters)} "
            f"and up_factors={up_factors}"
        )
    if min(up_factors, default=1) < 1 or grid_size * math.prod(up_factors) != image_size:
        raise ValueError(
            f"decoder grid_size * prod(up_factors) must equal image_size={image_size}; got "
            f"{grid_size} * {up_factors} = {grid_size * math.prod(up_factors)}"
        )
    z = keras.Input((latent_dim,), name="z")
    x = keras.layers.Dense(grid_size * grid_size * grid_channels, activation="relu", name="dense_grid")(z)
    x = keras.layers.Reshape((grid_size, grid_size, grid_channels), name="grid")(x)
    for i, (f, factor) in enumerate(zip(filters, up_factors)):
        x = keras.layers.UpSampling2D(factor, interpolation="nearest", name=f"unpool{i + 1}")(x)
        x = keras.layers.Conv2D(f, kernel_size, padding="same", activation="relu", name=f"conv{i + 1}")(x)
    logits = keras.layers.Conv2D(channels, kernel_size, padding="same", name="logits", dtype="float32")(x)
    return keras.Model(z, logits, name=name)
