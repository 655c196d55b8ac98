"""How unlike a model's training images an input is, measured on the code its encoder gives it.

Shape key: B batch, K code units.

A network trained on one narrow distribution (procedural faces on a dark background) still returns an
answer for any input. `InputNovelty` holds, as non-trainable weights, a Gaussian fitted to the codes of
the training images (mean `[K]` and a whitening matrix `L [K, K]` with `L L^T` the precision, e.g. from
scikit-learn's `LedoitWolf`) and a threshold. A code's novelty is its squared Mahalanobis distance from
that Gaussian, divided by K, so a typical training image scores about 1 (the feature-space Gaussian
detector of Lee et al. 2018, "A simple unified framework for detecting out-of-distribution samples"):

    novelty(z) = |(z - mean) L|^2 / K

`tf_ivg.novelty` fits the statistics and picks the threshold from held-out training-distribution
images. Until then the layer is unfitted (`is_fitted` False).
"""

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="tf_ivg")
class InputNovelty(keras.layers.Layer):
    """Codes `[B, K]` -> novelty `[B]` float32 (see the module docstring).

    Args:
      features: K, the code size.
    """

    def __init__(self, features, **kwargs):
        kwargs.setdefault("dtype", "float32")
        kwargs.setdefault("trainable", False)
        super().__init__(**kwargs)
        if isinstance(features, bool) or not isinstance(features, int) or features <= 0:
            raise ValueError(f"features must be a positive int; got {features!r}")
        self.features = features
        zeros = keras.initializers.Zeros()
        self.mean = self.add_weight(shape=(features,), initializer=zeros, trainable=False, name="mean")
        self.whitening = self.add_weight(
            shape=(features, features), initializer=keras.initializers.Identity(), trainable=False, name="whitening"
        )
        self.threshold = self.add_weight(shape=(), initializer=zeros, trainable=False, name="threshold")
        self.fitted = self.add_weight(shape=(), initializer=zeros, trainable=False, name="fitted")
        self.built = True

    @property
    def is_fitted(self):
        return bool(float(ops.convert_to_numpy(self.fitted)) > 0.5)

    def set_statistics(self, mean, precision, threshold):
        """Stores the Gaussian (`mean [K]`, `precision [K, K]` symmetric positive definite) and the
        novelty above which an input counts as out of distribution."""
        mean = np.asarray(mean, np.float64).reshape(self.features)
        precision = np.asarray(precision, np.float64)
        if precision.shape != (self.features, self.features):
            raise ValueError(f"precision must be [{self.features}, {self.features}]; got {precision.shape}")
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(precision)) and np.isfinite(threshold)):
            raise ValueError("the novelty statistics must be finite")
        try:
            whitening = np.linalg.cholesky((precision + precision.T) / 2)
        except np.linalg.LinAlgError:
            raise ValueError("precision must be positive definite") from None
        self.mean.assign(mean.astype(np.float32))
        self.whitening.assign(whitening.astype(np.float32))
        self.threshold.assign(np.float32(threshold))
        self.fitted.assign(1.0)

    def call(self, codes):
        centred = ops.cast(codes, "float32") - self.mean
        return ops.sum(ops.square(ops.matmul(centred, self.whitening)), axis=-1) / float(self.features)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],)

    def get_config(self):
        return {**super().get_config(), "features": self.features}
