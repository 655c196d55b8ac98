import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.keras_contract import assert_keras_round_trip, fit_one_step_under_strategy
from tf_ivg.layers import RReLU


def test_training_slopes_lie_between_bounds_and_vary():
    layer = RReLU(lower=0.1, upper=0.3, seed=3)
    x = -tf.random.uniform([2000], 0.5, 2.0)
    slopes = (layer(x, training=True) / x).numpy()
    assert slopes.min() >= 0.1 - 1e-6 and slopes.max() <= 0.3 + 1e-6
    assert slopes.std() > 0.03  # U(0.1, 0.3) has SD 0.058
    again = (layer(x, training=True) / x).numpy()
    assert not np.array_equal(slopes, again)


def test_positive_inputs_pass_unchanged_in_training():
    x = tf.random.uniform([100], 0.0, 3.0)
    np.testing.assert_array_equal(RReLU(seed=0)(x, training=True).numpy(), x.numpy())


def test_inference_is_deterministic_mean_slope():
    layer = RReLU()
    x = tf.constant([-3.0, -1.0, 0.0, 2.0])
    first = layer(x, training=False).numpy()
    np.testing.assert_array_equal(first, layer(x).numpy())
    mean_slope = (1 / 8 + 1 / 3) / 2
    np.testing.assert_allclose(first, [-3 * mean_slope, -mean_slope, 0.0, 2.0], rtol=1e-6)


def test_seeded_layers_repeat():
    x = -tf.ones([50])
    a = RReLU(seed=7)(x, training=True).numpy()
    b = RReLU(seed=7)(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)


def test_bad_bounds_raise():
    with pytest.raises(ValueError, match="lower <= upper"):
        RReLU(lower=0.5, upper=0.2)


def test_round_trip_and_strategy(tmp_path, two_cpu_strategy):
    layer = RReLU(lower=0.2, upper=0.25, seed=1)
    assert_keras_round_trip(layer, [tf.random.normal([3, 5])], tmp_path)
    fit_one_step_under_strategy(two_cpu_strategy, lambda x: RReLU(seed=0)(keras.layers.Dense(3)(x)), [(5,)], (3,))


def test_training_gradient_is_the_drawn_slope_where_negative():
    layer = RReLU(lower=0.1, upper=0.3, seed=5)
    x = tf.constant([-2.0, -1.0, -0.5, 0.0, 1.5, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=True)
    grad = tape.gradient(y, x, output_gradients=tf.constant([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])).numpy()
    slopes = (y / tf.where(x == 0, 1.0, x)).numpy()  # the slopes drawn in this call
    np.testing.assert_allclose(grad[:3], slopes[:3] * [1.0, 2.0, 3.0], rtol=1e-6)
    np.testing.assert_array_equal(grad[3:], [4.0, 5.0, 6.0])
    assert np.all((slopes[:3] >= 0.1) & (slopes[:3] <= 0.3))
