"""Self-checks of the custom layers, run by `tf-ivg check-layers` and the demo.

Each check returns a dict with `name`, `ok` and the measured numbers, so a user
can confirm on their own machine (CPU, GPU or TPU) that the hand-written
gradients agree with finite differences.
"""

import numpy as np
import tensorflow as tf

from tf_ivg.layers.activations import RReLU
from tf_ivg.layers.gradients import BatchMeanClamp, GradientBlock
from tf_ivg.layers.sampling import GaussianSample
from tf_ivg.layers.spatial_transformer import AffineGridSampler


def _max_gradient_error(fn, inputs):
    theoretical, numerical = tf.test.compute_gradient(fn, inputs, delta=1e-3)
    return max(float(np.max(np.abs(t - n))) for t, n in zip(theoretical, numerical))


def check_sampler_gradients(seed=0, tolerance=2e-2):
    """d(sampled)/d(image) and d(sampled)/d(theta) against central differences, in float64."""
    rng = np.random.default_rng(seed)
    image = tf.constant(rng.uniform(size=(1, 6, 7, 2)), tf.float64)
    theta = tf.constant([[[0.8, 0.1, 0.05], [-0.1, 0.7, -0.03]]], tf.float64)
    sampler = AffineGridSampler((4, 5), dtype="float64")
    error = _max_gradient_error(lambda im, th: sampler([im, th]), [image, theta])
    return {"name": "AffineGridSampler gradients (image, theta)", "max_abs_error": error, "ok": error < tolerance}


def check_rrelu(seed=0):
    layer = RReLU(seed=seed)
    x = -tf.ones([1000])
    slopes = (layer(x, training=True) / x).numpy()
    inference = float((layer(x, training=False) / x).numpy().mean())
    ok = slopes.min() >= layer.lower and slopes.max() <= layer.upper and slopes.std() > 0
    ok = ok and abs(inference - (layer.lower + layer.upper) / 2) < 1e-6
    return {
        "name": "RReLU slopes",
        "train_slope_range": [float(slopes.min()), float(slopes.max())],
        "inference_slope": inference,
        "ok": bool(ok),
    }


def check_gradient_block():
    x = tf.constant([1.0, -2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(GradientBlock()(x) ** 2)
    grad = tape.gradient(y, x)
    return {
        "name": "GradientBlock blocks",
        "max_abs_gradient": float(tf.reduce_max(tf.abs(grad))),
        "ok": bool(tf.reduce_all(grad == 0)),
    }


def check_batch_mean_clamp():
    z = tf.constant([[1.0, 2.0], [3.0, 6.0]])
    active = tf.constant([True, False])
    with tf.GradientTape() as tape:
        tape.watch(z)
        clamp = BatchMeanClamp(strength=0.01)
        out = clamp(z, active, training=True)
        loss = tf.reduce_sum(out) + tf.reduce_sum(clamp.invariance_penalty(z, active))
    grad = tape.gradient(loss, z).numpy()
    expected_out = np.array([[1.0, 4.0], [3.0, 4.0]])
    expected_grad = np.array([[1.0, 0.01 * (2 - 4)], [1.0, 0.01 * (6 - 4)]])
    ok = np.allclose(out.numpy(), expected_out) and np.allclose(grad, expected_grad)
    return {"name": "BatchMeanClamp forward/backward", "ok": bool(ok)}


def check_gaussian_sample(seed=0):
    z = GaussianSample(seed=seed)([tf.zeros([4000, 1]), tf.zeros([4000, 1])], training=True).numpy()
    ok = abs(z.mean()) < 0.1 and abs(z.std() - 1) < 0.1
    return {"name": "GaussianSample moments", "mean": float(z.mean()), "std": float(z.std()), "ok": bool(ok)}


def run_layer_checks(seed=0):
    """Runs every check. Returns `{"checks": [...]}`."""
    return {
        "checks": [
            check_sampler_gradients(seed),
            check_rrelu(seed),
            check_gradient_block(),
            check_batch_mean_clamp(),
            check_gaussian_sample(seed),
        ]
    }
