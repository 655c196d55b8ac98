"""Affine spatial transformer: grid generator, bilinear sampler and localisation nets.

Shape key: B batch, H/W input height/width, h/w output height/width, C channels.

The sampler is written with differentiable gathers and interpolation weights,
so gradients flow to both the image and the affine parameters theta. (No
maintained TF op gives d/dtheta: `ImageProjectiveTransformV3` and
`keras.ops.image.affine_transform` return None for it.)

Coordinates follow Jaderberg et al. (2015): the output grid spans [-1, 1] in
x (width) and y (height), with -1 and 1 at the centres of the corner pixels,
and theta maps output coordinates to input coordinates:
`[x_s, y_s]^T = theta @ [x_t, y_t, 1]^T`. Samples outside the input read zero.
"""

import math
import numbers

import keras
import tensorflow as tf
from keras import ops

_PACKAGE = "tf_ivg"


def _pair(size, name):
    if isinstance(size, int):
        size = (size, size)
    size = tuple(int(s) for s in size)
    if len(size) != 2 or min(size) <= 0:
        raise ValueError(f"{name} must be a positive int or a pair (h, w) of positive ints; got {size!r}")
    return size


def affine_grid(theta, output_size):
    """Sampling coordinates for an affine transform.

    Args:
      theta: `[B, 2, 3]` affine matrices mapping output to input coordinates.
      output_size: `(h, w)`.

    Returns:
      `[B, h, w, 2]` input coordinates `(x, y)` in [-1, 1] units.
    """
    h, w = output_size
    ys = ops.linspace(-1.0, 1.0, h) if h > 1 else ops.zeros((1,))
    xs = ops.linspace(-1.0, 1.0, w) if w > 1 else ops.zeros((1,))
    grid_x, grid_y = ops.meshgrid(xs, ys)  # [h, w] each, "xy" indexing
    ones = ops.ones_like(grid_x)
    grid = ops.stack([grid_x, grid_y, ones], axis=-1)  # [h, w, 3]
    grid = ops.cast(ops.reshape(grid, (h * w, 3)), theta.dtype)
    coords = ops.einsum("pk,bjk->bpj", grid, theta)  # [B, h*w, 2]
    return ops.reshape(coords, (-1, h, w, 2))


def bilinear_sample(image, coords):
    """Bilinear sampling with zero padding.

    Args:
      image: `[B, H, W, C]`.
      coords: `[B, h, w, 2]` sample points `(x, y)` in [-1, 1] units.

    Returns:
      `[B, h, w, C]` samples; points outside the image read zero.

    The four neighbours of every sample are read with one gather (`[B, h, w, 4, C]`, the corners of
    a sample next to each other), and the gradient is written by hand (`tf.custom_gradient`): the
    image's as one segment sum of the weighted output gradient over the gathered rows, the
    coordinates' from the neighbours' differences. Autodiff of four separate gathers spends four
    segment sums and about twice the element-wise passes. The
    coordinates get the gradient of the interpolation weights (the pixel indices and the inside
    mask are piecewise constant), as autodiff would give.
    """
    height, width, channels = image.shape[1], image.shape[2], image.shape[3]
    out_h, out_w = coords.shape[1], coords.shape[2]
    x_scale, y_scale = 0.5 * (width - 1), 0.5 * (height - 1)

    @tf.custom_gradient
    def sample(image, coords):
        batch = tf.shape(image)[0]
        coords_dtype = coords.dtype
        xy = tf.cast(coords, image.dtype)
        x = (xy[..., 0] + 1.0) * x_scale
        y = (xy[..., 1] + 1.0) * y_scale
        x0, y0 = tf.floor(x), tf.floor(y)
        fx, fy = x - x0, y - y0
        gx, gy = 1.0 - fx, 1.0 - fy
        xs = tf.stack([x0, x0 + 1, x0, x0 + 1], axis=-1)  # [B, h, w, 4]
        ys = tf.stack([y0, y0, y0 + 1, y0 + 1], axis=-1)
        inside = tf.cast((xs >= 0) & (xs <= width - 1) & (ys >= 0) & (ys <= height - 1), image.dtype)
        weights = tf.stack([gx * gy, fx * gy, gx * fy, fx * fy], axis=-1) * inside  # [B, h, w, 4]
        rows = tf.reshape(
            tf.cast(tf.clip_by_value(ys, 0, height - 1), tf.int32) * width
            + tf.cast(tf.clip_by_value(xs, 0, width - 1), tf.int32)
            + tf.range(batch)[:, None, None, None] * (height * width),
            [-1],
        )
        values = tf.reshape(tf.gather(tf.reshape(image, [-1, channels]), rows), [batch, out_h, out_w, 4, channels])
        out = tf.reduce_sum(weights[..., None] * values, axis=3)

        def grad(d_out):
            weighted = tf.reshape(weights[..., None] * d_out[:, :, :, None], [-1, channels])
            d_image = tf.reshape(tf.math.unsorted_segment_sum(weighted, rows, batch * height * width), tf.shape(image))
            g = tf.reduce_sum(values * d_out[:, :, :, None], axis=-1) * inside  # [B, h, w, 4]: d out / d weight
            d_x = ((g[..., 1] - g[..., 0]) * gy + (g[..., 3] - g[..., 2]) * fy) * x_scale
            d_y = ((g[..., 2] - g[..., 0]) * gx + (g[..., 3] - g[..., 1]) * fx) * y_scale
            return d_image, tf.cast(tf.stack([d_x, d_y], axis=-1), coords_dtype)

        return out, grad

    return sample(tf.convert_to_tensor(image), tf.convert_to_tensor(coords))


@keras.saving.register_keras_serializable(package=_PACKAGE)
class AffineGridSampler(keras.layers.Layer):
    """Warps an image by per-example affine transforms (grid generator + bilinear sampler).

    Call: `sampler([image, theta])`.

    Args:
      output_size: int or `(h, w)`: the output's spatial size. Smaller than the
        input, this down-samples (Grant et al. 2016 use it in place of pooling).

    Inputs:
      image: `[B, H, W, C]` float.
      theta: `[B, 2, 3]` affine matrices (output -> input coordinates in [-1, 1]).

    Returns:
      `[B, h, w, C]`.

    Example:
      >>> sampler = AffineGridSampler(output_size=(16, 16))
      >>> theta = tf.tile([[[1., 0., 0.], [0., 1., 0.]]], [4, 1, 1])
      >>> sampler([tf.random.uniform([4, 32, 32, 3]), theta]).shape
      TensorShape([4, 16, 16, 3])
    """

    def __init__(self, output_size, **kwargs):
        super().__init__(**kwargs)
        self.output_size = _pair(output_size, "output_size")

    def build(self, input_shape):
        image_shape, theta_shape = _split_shapes(input_shape, self.name)
        _check_image_theta(image_shape, theta_shape, self.name)
        self.channels = image_shape[-1]
        self.built = True

    def call(self, inputs):
        image, theta = inputs
        _check_image_theta(tuple(image.shape), tuple(theta.shape), self.name)
        if self.channels is not None and image.shape[-1] != self.channels:
            raise ValueError(
                f"{self.name}: expected image with {self.channels} channels (as built); got shape {tuple(image.shape)}"
            )
        theta = ops.cast(theta, image.dtype)
        return bilinear_sample(image, affine_grid(theta, self.output_size))

    def compute_output_shape(self, input_shape):
        image_shape, _ = _split_shapes(input_shape, self.name)
        return (image_shape[0], *self.output_size, image_shape[-1])

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size}


def _split_shapes(input_shape, name):
    if (
        not isinstance(input_shape, (list, tuple))
        or len(input_shape) != 2
        or not isinstance(input_shape[0], (list, tuple))
    ):
        raise ValueError(f"{name}: expected inputs [image [B,H,W,C], theta [B,2,3]]; got shapes {input_shape!r}")
    return tuple(input_shape[0]), tuple(input_shape[1])


def _check_image_theta(image_shape, theta_shape, name):
    if len(image_shape) != 4:
        raise ValueError(f"{name}: expected image of rank 4 [B, H, W, C]; got shape {image_shape}")
    if None in image_shape[1:]:
        raise ValueError(f"{name}: image height, width and channels must be known; got shape {image_shape}")
    if len(theta_shape) != 3 or tuple(theta_shape[1:]) != (2, 3):
        raise ValueError(f"{name}: expected theta of shape [B, 2, 3]; got shape {theta_shape}")
    if image_shape[0] is not None and theta_shape[0] is not None and image_shape[0] != theta_shape[0]:
        raise ValueError(
            f"{name}: image and theta must have the same batch size; got {image_shape[0]} and {theta_shape[0]}"
        )


@keras.saving.register_keras_serializable(package=_PACKAGE)
class SpatialTransformer(keras.layers.Layer):
    """Spatial transformer network: localisation net -> theta -> affine sampler.

    The localisation network (any Keras layer or model) reads the input; its
    output is flattened and a dense layer regresses the 6 affine parameters,
    initialised to the identity transform (zero kernel, identity bias), so at
    initialisation the layer is a plain bilinear resize to `output_size`.

    `theta_scale` s scales the regressed departure from the identity,
    `theta = I + s * (dense(features) - I)`: a learning-rate multiplier for the
    transform. Adam moves each of the head's F weights by about the learning
    rate per step, all in the direction that moves theta, so theta moves by
    about `lr * sum|features|` per step: with F = 2,000 features (paper scale)
    and lr 1e-3 that is about 1 per step, and the sampling grid leaves the image
    within a few steps (the output becomes all zeros and the network input-blind).
    s = 0.01 brings it to about 0.01 per step. s = 1 is the plain STN. (Under plain
    SGD, whose steps scale with the gradient, the effective multiplier is s^2.)

    Args:
      localization: a Keras layer or model mapping `[B, H, W, C]` to any `[B, ...]`.
      output_size: int or `(h, w)`.
      theta_scale: s above, a positive float (default 1.0: the plain STN).

    Inputs: `[B, H, W, C]`. Returns: `[B, h, w, C]`.
    `predict_theta(x)` returns the regressed `[B, 2, 3]` transforms.

    Example:
      >>> stn = SpatialTransformer.paper_stn1(output_size=38)
      >>> stn(tf.random.uniform([2, 76, 76, 32])).shape
      TensorShape([2, 38, 38, 32])
    """

    def __init__(self, localization, output_size, theta_scale=1.0, **kwargs):
        super().__init__(**kwargs)
        if (
            isinstance(theta_scale, bool)
            or not isinstance(theta_scale, numbers.Real)
            or not math.isfinite(theta_scale)
            or not theta_scale > 0
        ):
            raise ValueError(f"theta_scale must be a positive float; got {theta_scale!r}")
        self.theta_scale = float(theta_scale)
        if isinstance(localization, dict):
            localization = keras.saving.deserialize_keras_object(localization)
        if not isinstance(localization, keras.layers.Layer):
            raise ValueError(f"localization must be a Keras layer or model; got {type(localization).__name__}")
        self.localization = localization
        self.output_size = _pair(output_size, "output_size")
        self.flatten = keras.layers.Flatten()
        self.theta_head = keras.layers.Dense(
            6,
            kernel_initializer="zeros",
            bias_initializer=keras.initializers.Constant([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
            name="theta",
        )
        self.sampler = AffineGridSampler(self.output_size, name="sampler")

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != 4:
            raise ValueError(f"{self.name}: expected input of rank 4 [B, H, W, C]; got shape {input_shape}")
        self.localization.build(input_shape)
        loc_shape = self.localization.compute_output_shape(input_shape)
        flat_shape = self.flatten.compute_output_shape(loc_shape)
        self.theta_head.build(flat_shape)
        self.sampler.build([input_shape, (input_shape[0], 2, 3)])
        self.built = True

    def predict_theta(self, inputs, training=None):
        """`[B, H, W, C]` -> `[B, 2, 3]` affine parameters."""
        features = self.flatten(self.localization(inputs, training=training))
        theta = self.theta_head(features)
        if self.theta_scale != 1.0:
            identity = ops.convert_to_tensor([1.0, 0.0, 0.0, 0.0, 1.0, 0.0], dtype=theta.dtype)
            theta = identity + ops.cast(self.theta_scale, theta.dtype) * (theta - identity)
        return ops.reshape(theta, (-1, 2, 3))

    def call(self, inputs, training=None):
        theta = self.predict_theta(inputs, training=training)
        return self.sampler([inputs, theta])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.output_size, input_shape[-1])

    def get_config(self):
        return {
            **super().get_config(),
            "localization": keras.saving.serialize_keras_object(self.localization),
            "output_size": self.output_size,
            "theta_scale": self.theta_scale,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["localization"] = keras.saving.deserialize_keras_object(config["localization"])
        return cls(**config)

    @classmethod
    def paper_stn1(cls, output_size, filters=20, name="stn1", **kwargs):
        """Grant et al. 2016's first STN (after the first conv): four 5x5 conv + batch norm, 2x2 max-pool after the first three."""
        return cls(
            localization_network([5, 5, 5, 5], [True, True, True, False], filters, name=f"{name}_loc"),
            output_size,
            name=name,
            **kwargs,
        )

    @classmethod
    def paper_stn2(cls, output_size, filters=20, name="stn2", **kwargs):
        """Grant et al. 2016's second STN (after the second conv): 5x5, 5x5, 6x6 conv + batch norm, max-pool after the last two."""
        return cls(
            localization_network([5, 5, 6], [False, True, True], filters, name=f"{name}_loc"),
            output_size,
            name=name,
            **kwargs,
        )


def localization_network(kernel_sizes, pool_after, filters, name=None):
    """A conv + batch norm (+ optional 2x2 max-pool) stack regressing STN features.

    Args:
      kernel_sizes: kernel size of each conv layer.
      pool_after: for each conv, whether a 2x2 max-pool follows it.
      filters: feature maps per conv layer.

    Returns:
      a `keras.Sequential` mapping `[B, H, W, C]` to `[B, h', w', filters]`.
      Convs use 'same' padding so small inputs (smoke configs) still fit.
    """
    if len(kernel_sizes) != len(pool_after):
        raise ValueError("kernel_sizes and pool_after must have the same length")
    layers = []
    for k, pool in zip(kernel_sizes, pool_after):
        layers += [
            keras.layers.Conv2D(filters, k, padding="same"),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
        ]
        if pool:
            layers.append(keras.layers.MaxPooling2D(2, padding="same"))
    return keras.Sequential(layers, name=name)
