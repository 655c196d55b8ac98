"""FastBatchNormalization: Keras BatchNormalization's values, gradients, moving statistics and files."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.keras_contract import assert_keras_round_trip, fit_one_step_under_strategy
from tf_ivg.layers import FastBatchNormalization


def _pair(shape, **kwargs):
    fast, plain = FastBatchNormalization(**kwargs), keras.layers.BatchNormalization(**kwargs)
    fast.build(shape)
    plain.build(shape)
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=w.shape).astype("float32") for w in plain.get_weights()]
    weights[-1] = np.abs(weights[-1]) + 0.5  # moving variance > 0
    plain.set_weights(weights)
    fast.set_weights(weights)
    return fast, plain


@pytest.mark.parametrize("shape", [(4, 5, 6, 3), (3, 4, 5, 2, 6)])
@pytest.mark.parametrize("kwargs", [dict(momentum=0.9), dict(center=False), dict(scale=False, epsilon=1e-2)])
def test_training_pass_matches_keras(shape, kwargs):
    fast, plain = _pair(shape, **kwargs)
    assert fast._fused(tf.zeros(shape), True, None)
    x = tf.constant(np.random.default_rng(1).normal(2.0, 3.0, size=shape), tf.float32)
    upstream = tf.constant(np.random.default_rng(2).normal(size=shape), tf.float32)
    results = []
    for layer in (fast, plain):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
        grads = tape.gradient(y, [x] + layer.trainable_weights, output_gradients=upstream)
        results.append([y, *grads, layer.moving_mean, layer.moving_variance])
    for got, want in zip(*results):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-4, atol=1e-4)
    assert not np.allclose(np.asarray(fast.moving_mean), _pair(shape, **kwargs)[0].moving_mean)  # they moved


def test_inference_and_masked_calls_use_keras_pass():
    fast, plain = _pair((2, 3, 3, 4))
    x = tf.random.normal((2, 3, 3, 4))
    assert not fast._fused(x, False, None)
    np.testing.assert_allclose(fast(x, training=False), plain(x, training=False), rtol=1e-6)
    flat = FastBatchNormalization()
    assert not flat._fused(tf.zeros((5, 4)), True, None)  # rank 2: Keras's pass
    np.testing.assert_allclose(flat(tf.ones((5, 4)), training=True), 0.0, atol=1e-6)


def test_loads_keras_weights_round_trips_and_fits_under_strategy(tmp_path, two_cpu_strategy):
    inputs = keras.Input((4, 4, 3))
    plain_model = keras.Model(inputs, keras.layers.BatchNormalization()(inputs))
    plain_model.layers[-1].moving_mean.assign([1.0, 2.0, 3.0])
    path = str(tmp_path / "plain.keras")
    plain_model.save(path)
    fast_model = keras.Model(inputs, FastBatchNormalization()(inputs))
    fast_model.load_weights(path)
    np.testing.assert_array_equal(fast_model.layers[-1].moving_mean, [1.0, 2.0, 3.0])
    assert_keras_round_trip(FastBatchNormalization(momentum=0.8), [tf.random.normal([2, 4, 4, 3])], tmp_path)
    fit_one_step_under_strategy(
        two_cpu_strategy, lambda x: FastBatchNormalization()(keras.layers.Reshape((2, 2, 1))(x)), [(4,)], (2, 2, 1)
    )


def test_float64_inputs_use_keras_pass():
    layer = FastBatchNormalization(dtype="float64")
    x = tf.constant(np.random.default_rng(3).normal(size=(2, 3, 3, 2)), tf.float64)
    assert not layer._fused(x, True, None)
    assert layer(x, training=True).dtype == tf.float64
