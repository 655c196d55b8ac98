"""Serving endpoints of a DCIGN (Kulkarni et al. 2015).

Shape key: B batch, S image side, C channels (1), Z latents.

| signature         | inputs                                              | outputs                              |
|-------------------|-----------------------------------------------------|--------------------------------------|
| `serving_default` | `image [B,S,S,C]`                                   | `reconstruction [B,S,S,C]` in (0, 1) |
| `encode`          | `image [B,S,S,C]`                                   | `z_mean [B,Z]`, `z_log_var [B,Z]`    |
| `decode`          | `z [B,Z]` float32                                   | `image [B,S,S,C]` in (0, 1)          |
| `rerender`        | `image [B,S,S,C]`, `factor [B]` int32, `value [B]`  | `image [B,S,S,C]` in (0, 1)          |

`factor` is a DC-IGN factor id (0 azimuth, 1 elevation, 2 light, 3 identity); `rerender` sets the
first latent of that factor's block to `value` (as `DCIGN.rerender(images, name, value)`), per
example. Images are float32 in [0, 1]; each image signature has a `_uint8` twin.
"""

import numpy as np
import tensorflow as tf

from tf_ivg.serving.endpoints import Endpoint


def dcign_endpoints(model):
    """The four DCIGN endpoints (see module docstring)."""
    from tf_ivg.models.dcign import FACTOR_NAMES

    side, channels, latent_dim = model.image_size, model.channels, model.latent_dim
    image = tf.TensorSpec([None, side, side, channels], tf.float32, name="image")
    first_latent = tf.constant([model.latent_index(name) for name in FACTOR_NAMES], tf.int32)

    def serve(inputs):
        mean = model.encode(inputs["image"])
        return {"reconstruction": model.decode(mean)}

    def encode(inputs):
        mean, log_var = model.encode(inputs["image"], return_log_var=True)
        return {"z_mean": tf.cast(mean, tf.float32), "z_log_var": tf.cast(log_var, tf.float32)}

    def decode(inputs):
        return {"image": model.decode(inputs["z"])}

    def rerender(inputs):
        factor = inputs["factor"]
        message = f"rerender: factor must be a factor id in [0, {len(FACTOR_NAMES)}) ({', '.join(FACTOR_NAMES)})"
        checks = [
            tf.debugging.assert_non_negative(factor, message=message),
            tf.debugging.assert_less(factor, len(FACTOR_NAMES), message=message),
        ]
        with tf.control_dependencies(checks):  # check before the gather, which has its own vaguer error
            factor = tf.identity(factor)
        z = tf.cast(model.encode(inputs["image"]), tf.float32)
        onehot = tf.one_hot(tf.gather(first_latent, factor), latent_dim)  # [B, Z]
        z = z * (1.0 - onehot) + inputs["value"][:, None] * onehot
        return {"image": model.decode(z)}

    def factors(batch, rng):
        return rng.integers(0, len(FACTOR_NAMES), size=[batch]).astype(np.int32)

    def values(batch, rng):
        return rng.uniform(-3.0, 3.0, size=[batch]).astype(np.float32)

    return [
        Endpoint("serving_default", serve, {"image": image}, ["image"], doc="image -> reconstruction"),
        Endpoint("encode", encode, {"image": image}, ["image"], doc="image -> posterior mean and log-variance"),
        Endpoint("decode", decode, {"z": tf.TensorSpec([None, latent_dim], tf.float32)}, doc="latents -> image"),
        Endpoint(
            "rerender",
            rerender,
            {"image": image, "factor": tf.TensorSpec([None], tf.int32), "value": tf.TensorSpec([None], tf.float32)},
            ["image"],
            samplers={"factor": factors, "value": values},
            doc="image with one factor's latent set to value -> image",
        ),
    ]
