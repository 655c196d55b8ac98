"""Gaussian reparameterisation (Kingma & Welling 2014). Shape key: B batch, Z latent units."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="tf_ivg")
class GaussianSample(keras.layers.Layer):
    """Draws `z = mean + exp(log_var / 2) * eps`, `eps ~ N(0, I)`.

    Args:
      seed: optional int seed.
      sample_at_inference: if False (default), inference returns the mean.

    Call: `sample([mean, log_var], training=...)`, both `[B, Z]`. Returns `[B, Z]`.

    Example:
      >>> sample = GaussianSample(seed=1)
      >>> z = sample([tf.zeros([8, 4]), tf.zeros([8, 4])], training=True)  # ~N(0, 1)
    """

    def __init__(self, seed=None, sample_at_inference=False, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.sample_at_inference = bool(sample_at_inference)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        _check_pair(input_shape, self.name)
        self.built = True

    def call(self, inputs, training=None):
        mean, log_var = inputs
        _check_pair([tuple(mean.shape), tuple(log_var.shape)], self.name)
        if not (training or self.sample_at_inference):
            return mean
        eps = keras.random.normal(ops.shape(mean), dtype=mean.dtype, seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * eps

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "sample_at_inference": self.sample_at_inference}


def _check_pair(shapes, name):
    if not isinstance(shapes, (list, tuple)) or len(shapes) != 2:
        raise ValueError(f"{name}: expected inputs [mean [B, Z], log_var [B, Z]]; got {shapes!r}")
    mean_shape, log_var_shape = (tuple(s) for s in shapes)
    if len(mean_shape) != 2 or len(log_var_shape) != 2:
        raise ValueError(f"{name}: expected mean and log_var of rank 2 [B, Z]; got {mean_shape} and {log_var_shape}")
    for a, b in zip(mean_shape, log_var_shape):
        if a is not None and b is not None and a != b:
            raise ValueError(f"{name}: mean and log_var must have the same shape; got {mean_shape} and {log_var_shape}")
