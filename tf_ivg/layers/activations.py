"""Activations used by the models. Shape key: any shape `[...]`; outputs match inputs.

- `RReLU` (Xu et al. 2015): randomised leaky ReLU, written here because Keras
  has none and tensorflow-addons no longer imports with Keras 3.
- PReLU: the models use `keras.layers.PReLU(shared_axes=...)` on their output
  layers, as Grant et al. 2016 do (section 3.1), to avoid dead units early in training
  while learning a threshold later. The volume decoder's output `[B, D, D, D, 1]`
  uses `shared_axes=[1, 2, 3]` (one slope per channel) and the image decoder's
  output `[B, H, W, C]` uses `shared_axes=[1, 2]`.
"""

import keras
import tensorflow as tf
from keras import ops


@keras.saving.register_keras_serializable(package="tf_ivg")
class RReLU(keras.layers.Layer):
    """Randomised leaky ReLU.

    In training each element's negative slope is drawn from U(lower, upper);
    at inference the slope is the mean (lower + upper) / 2.

    Args:
      lower: lower bound of the slope, default 1/8.
      upper: upper bound of the slope, default 1/3.
      seed: optional int seed for the slope draws.

    Inputs: `[...]` float. Returns: the same shape.

    Example:
      >>> act = RReLU(seed=0)
      >>> act(tf.constant([-3.0, 2.0]))  # inference: slope 11/48
      <tf.Tensor: ... numpy=array([-0.6875,  2.    ], dtype=float32)>
    """

    def __init__(self, lower=1.0 / 8.0, upper=1.0 / 3.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        lower, upper = float(lower), float(upper)
        if not 0.0 <= lower <= upper:
            raise ValueError(f"RReLU needs 0 <= lower <= upper; got lower={lower}, upper={upper}")
        self.lower = lower
        self.upper = upper
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=None):
        if training:
            slope = keras.random.uniform(
                ops.shape(inputs), self.lower, self.upper, dtype=inputs.dtype, seed=self.seed_generator
            )
            return _leaky(inputs, slope)
        slope = ops.cast((self.lower + self.upper) / 2.0, inputs.dtype)
        return ops.where(inputs >= 0, inputs, inputs * slope)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "lower": self.lower, "upper": self.upper, "seed": self.seed}


@tf.custom_gradient
def _leaky(x, slope):
    """`x * (1 where x >= 0, else slope)`, element-wise. The gradient is the same factor times the
    upstream gradient, one pass, where autodiff of `where` spends three (two selects against zeros and
    a product); the slopes are random draws, so they get no gradient."""
    factor = tf.where(x >= 0, tf.ones_like(x), slope)

    def grad(dy):
        return dy * factor, None

    return x * factor, grad
