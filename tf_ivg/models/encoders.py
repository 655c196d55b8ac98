"""Grant et al. 2016's image (or video) encoder: conv + BN + RReLU stages, two down-sampling spatial
transformers, max pooling, an optional fully connected RReLU layer, and a linear graphics code
split into a shape code and a transformation code.

Shape key: B batch, S image side, T frames, C channels, K shape-code units, Z transformation-code units.

Layers (paper scale, 80x80 RGB in):
  conv 5x5 valid -> BN -> RReLU            [B, 76, 76, f1]
  STN1 (paper_stn1) down-samples by 2      [B, 38, 38, f1]
  conv 5x5 valid -> BN -> RReLU            [B, 34, 34, f2]
  STN2 (paper_stn2) down-samples by 2      [B, 17, 17, f2]
  conv 3x3 same -> BN -> RReLU -> maxpool  [B, 8, 8, f3]   (one such stage per extra filter entry)
  flatten -> [dense fc_units -> RReLU]     (optional; 3,000 in the disentangled setting)
  dense K + Z (linear)                     -> shape code [B, K], transformation code [B, Z]

Video input (section 4.7) uses frames-on-channels: a clip `[B, T, S, S, 3]` is laid out as
`[B, S, S, T*3]` before the first convolution. Why not a 3D first layer: the paper's clips are a
fixed sweep (left profile to right profile at equidistant angles), so frame t always means "the
view at angle t": a position, not a time to be translation-invariant over. A Conv3D whose temporal
kernel spans all T frames with valid padding computes exactly the same function as a Conv2D on
T*3 channels, and any shorter temporal kernel would share weights across views that mean different
things. Frames-on-channels therefore loses nothing, keeps every later layer identical to the
single-image network ("the first layer was adapted"), and runs as a plain Conv2D (faster on CPU
than Conv3D).
"""

import keras

from tf_ivg.layers import RReLU, SpatialTransformer


def _check_positive(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} must be a positive int; got {value!r}")


def build_encoder(
    image_size=80,
    frames=1,
    channels=3,
    filters=(32, 64, 96),
    stn_filters=20,
    fc_units=0,
    shape_code=185,
    transformation_code=15,
    rrelu=(1.0 / 8.0, 1.0 / 3.0),
    stn_theta_scale=1.0,
    name="encoder",
):
    """Builds the encoder as a functional `keras.Model`.

    Args:
      image_size: S, the square input side (80 in the paper; 32 in smoke configs).
      frames: T; 1 for single images `[B, S, S, C]`, > 1 for clips `[B, T, S, S, C]`.
      channels: C (3 for RGB).
      filters: feature maps of each conv stage; at least 2 (the two STN stages), every entry
        after the second adds a 3x3 conv + BN + RReLU + 2x2 max-pool stage.
      stn_filters: feature maps of the STN localisation networks.
      fc_units: units of the optional fully connected RReLU layer (0 = none).
      shape_code: K. transformation_code: Z (may be 0 for a volume-only model).
      rrelu: (lower, upper) RReLU slope bounds.
      stn_theta_scale: both STNs' `theta_scale`, a learning-rate multiplier for their transforms
        (`SpatialTransformer`; the paper-scale configs use 0.01, without which Adam at lr 1e-3
        throws STN1's sampling grid off the image within the first hundred steps).

    Returns:
      a model mapping images to `[shape_code [B, K], transformation_code [B, Z]]`.
    """
    for key, value in (
        ("image_size", image_size),
        ("frames", frames),
        ("channels", channels),
        ("stn_filters", stn_filters),
        ("shape_code", shape_code),
    ):
        _check_positive(key, value)
    if not isinstance(transformation_code, int) or transformation_code < 0:
        raise ValueError(f"transformation_code must be an int >= 0; got {transformation_code!r}")
    if not isinstance(fc_units, int) or fc_units < 0:
        raise ValueError(f"fc_units must be an int >= 0; got {fc_units!r}")
    filters = [int(f) for f in filters]
    if len(filters) < 2 or min(filters) <= 0:
        raise ValueError(f"encoder filters must list at least 2 positive ints; got {filters!r}")
    side = image_size - 4  # after the first 5x5 valid conv
    if side // 2 - 4 < 2:
        raise ValueError(f"image_size {image_size} is too small for the encoder (needs >= 16)")
    lower, upper = rrelu

    if frames == 1:
        inputs = keras.Input((image_size, image_size, channels), name="images")
        x = inputs
    else:
        inputs = keras.Input((frames, image_size, image_size, channels), name="clips")
        x = keras.layers.Permute((2, 3, 1, 4), name="frames_last")(inputs)  # [B, S, S, T, C]
        x = keras.layers.Reshape((image_size, image_size, frames * channels), name="frames_on_channels")(x)

    def conv_bn_rrelu(x, f, k, padding, tag):
        x = keras.layers.Conv2D(f, k, padding=padding, use_bias=False, name=f"conv{tag}")(x)
        # momentum 0.9 = Torch's default (0.1 there), which the paper used; Keras's 0.99 makes the
        # inference statistics lag far behind in runs of a few hundred steps.
        x = keras.layers.BatchNormalization(momentum=0.9, name=f"bn{tag}")(x)
        return RReLU(lower, upper, name=f"rrelu{tag}")(x)

    x = conv_bn_rrelu(x, filters[0], 5, "valid", 1)
    x = SpatialTransformer.paper_stn1(
        output_size=side // 2, filters=stn_filters, name="stn1", theta_scale=stn_theta_scale
    )(x)
    x = conv_bn_rrelu(x, filters[1], 5, "valid", 2)
    side = side // 2 - 4
    x = SpatialTransformer.paper_stn2(
        output_size=max(side // 2, 1), filters=stn_filters, name="stn2", theta_scale=stn_theta_scale
    )(x)
    for i, f in enumerate(filters[2:], start=3):
        x = conv_bn_rrelu(x, f, 3, "same", i)
        x = keras.layers.MaxPooling2D(2, padding="same", name=f"pool{i}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    if fc_units:
        x = keras.layers.Dense(fc_units, name="fc")(x)
        x = RReLU(lower, upper, name="rrelu_fc")(x)
    code = keras.layers.Dense(shape_code + transformation_code, name="graphics_code")(x)
    # A registered slice layer rather than Lambda: Lambda does not reload from .keras safely.
    shape = _Slice(0, shape_code, name="shape_code")(code)
    transformation = _Slice(shape_code, shape_code + transformation_code, name="transformation_code")(code)
    return keras.Model(inputs, [shape, transformation], name=name)


@keras.saving.register_keras_serializable(package="tf_ivg")
class _Slice(keras.layers.Layer):
    """`[B, N]` -> `[B, stop - start]`: columns `start:stop` of the graphics code."""

    def __init__(self, start, stop, **kwargs):
        super().__init__(**kwargs)
        self.start = int(start)
        self.stop = int(stop)

    def call(self, inputs):
        return inputs[:, self.start : self.stop]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.stop - self.start)

    def get_config(self):
        return {**super().get_config(), "start": self.start, "stop": self.stop}
