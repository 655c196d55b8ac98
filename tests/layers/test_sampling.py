import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.keras_contract import assert_keras_round_trip, fit_one_step_under_strategy
from tf_ivg.layers import GaussianSample


def test_training_samples_have_requested_moments():
    mean = tf.fill([20000, 2], 3.0)
    log_var = tf.fill([20000, 2], float(np.log(4.0)))
    z = GaussianSample(seed=0)([mean, log_var], training=True).numpy()
    assert z.mean() == pytest.approx(3.0, abs=0.05)
    assert z.std() == pytest.approx(2.0, abs=0.05)


def test_inference_returns_mean_unless_asked():
    mean = tf.random.normal([5, 3])
    log_var = tf.zeros([5, 3])
    np.testing.assert_array_equal(GaussianSample()([mean, log_var]).numpy(), mean.numpy())
    sampled = GaussianSample(sample_at_inference=True, seed=1)([mean, log_var]).numpy()
    assert not np.allclose(sampled, mean.numpy())


def test_seeded_sampling_repeats():
    args = [tf.zeros([4, 3]), tf.zeros([4, 3])]
    a = GaussianSample(seed=5)(args, training=True).numpy()
    b = GaussianSample(seed=5)(args, training=True).numpy()
    np.testing.assert_array_equal(a, b)


def test_gradient_reaches_mean_and_log_var():
    mean, log_var = tf.zeros([3, 2]), tf.zeros([3, 2])
    with tf.GradientTape() as tape:
        tape.watch([mean, log_var])
        loss = tf.reduce_sum(GaussianSample(seed=0)([mean, log_var], training=True) ** 2)
    g_mean, g_log_var = tape.gradient(loss, [mean, log_var])
    assert np.abs(g_mean.numpy()).max() > 0 and np.abs(g_log_var.numpy()).max() > 0


@pytest.mark.parametrize("shapes, match", [([(3, 2), (3, 4)], "same shape"), ([(3,), (3,)], "rank 2")])
def test_bad_input_raises(shapes, match):
    with pytest.raises(ValueError, match=match):
        GaussianSample()([tf.zeros(shapes[0]), tf.zeros(shapes[1])])


def test_round_trip_and_strategy(tmp_path, two_cpu_strategy):
    assert_keras_round_trip(GaussianSample(seed=2), [tf.random.normal([3, 4]), tf.random.normal([3, 4])], tmp_path)

    def make(x):
        return GaussianSample(seed=0)([keras.layers.Dense(2)(x), keras.layers.Dense(2)(x)])

    fit_one_step_under_strategy(two_cpu_strategy, make, [(4,)], (2,))
