"""FastConv2D / FastConv3D / fast_convolution: tf.nn.convolution's values and gradients."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.keras_contract import assert_keras_round_trip
from tf_ivg.layers import FastConv2D, FastConv3D, fast_conv, fast_convolution


def _gradients(conv, x, kernel, upstream):
    with tf.GradientTape() as tape:
        tape.watch([x, kernel])
        y = conv(x, kernel)
        loss = tf.reduce_sum(y * upstream)
    return (y, *tape.gradient(loss, [x, kernel]))


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
@pytest.mark.parametrize(
    "x_shape, kernel_shape",
    [
        ((2, 5, 6, 7, 3), (3, 3, 3, 3, 4)),
        ((1, 4, 4, 4, 2), (1, 1, 1, 2, 5)),
        ((3, 6, 5, 7, 2), (5, 3, 1, 2, 3)),
        ((2, 9, 8, 3), (5, 5, 3, 2)),
        ((2, 7, 9, 1), (3, 1, 1, 4)),
        ((2, 9, 8, 3), (6, 6, 3, 2)),  # even kernels: "same" pads one more after than before
        ((2, 5, 6, 4, 2), (2, 3, 4, 2, 3)),
        ((3, 4, 5, 8, 2), (3, 3, 3, 2, 4)),  # last side 8 / 16: the kernel gradient in 2 / 4 pieces
        ((2, 3, 4, 16, 3), (3, 1, 5, 3, 2)),
    ],
)
def test_values_and_both_gradients_match_tf_convolution(x_shape, kernel_shape, padding):
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=x_shape), tf.float64)
    kernel = tf.constant(rng.normal(size=kernel_shape), tf.float64)
    plain = tf.nn.conv2d if len(x_shape) == 4 else tf.nn.conv3d  # tf.nn.convolution's 3D gradient fails eagerly
    y = plain(x, kernel, [1] * len(x_shape), padding)
    upstream = tf.constant(rng.normal(size=y.shape), tf.float64)
    reference = _gradients(lambda a, b: plain(a, b, [1] * len(x_shape), padding), x, kernel, upstream)
    fast = _gradients(lambda a, b: fast_convolution(a, b, padding), x, kernel, upstream)
    for want, got in zip(reference, fast):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-10)


def test_other_ranks_and_paddings_are_refused():
    with pytest.raises(ValueError, match="'same' or 'valid'"):
        fast_convolution(tf.zeros((1, 4, 4, 1)), tf.zeros((2, 2, 1, 1)), "causal")
    with pytest.raises(ValueError, match="2D/3D kernel"):
        fast_convolution(tf.zeros((1, 4, 1)), tf.zeros((3, 1, 1)), "same")


@pytest.mark.parametrize("cls, side", [(FastConv2D, (4, 4)), (FastConv3D, (4, 4, 4)), (FastConv3D, (3, 4, 8))])
def test_unknown_batch_inside_tf_function(cls, side):
    layer = cls(3, 3, padding="same")
    layer.build((None, *side, 2))
    step = tf.function(
        lambda x: tf.gradients(tf.reduce_sum(layer(x) ** 2), [x] + layer.trainable_weights),
        input_signature=[tf.TensorSpec([None, *side, 2])],
    )
    x = np.random.default_rng(1).normal(size=(3, *side, 2)).astype("float32")
    plain = (keras.layers.Conv2D if cls is FastConv2D else keras.layers.Conv3D)(3, 3, padding="same")
    plain.build(x.shape)
    plain.set_weights(layer.get_weights())
    with tf.GradientTape() as tape:
        tensor = tf.constant(x)
        tape.watch(tensor)
        loss = tf.reduce_sum(plain(tensor) ** 2)
    want = tape.gradient(loss, [tensor] + plain.trainable_weights)
    for w, g in zip(want, step(x)):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "kwargs", [dict(padding="same", strides=2), dict(padding="same", dilation_rate=2), dict(padding="same", groups=2)]
)
def test_other_settings_run_the_plain_convolution(kwargs):
    kwargs = {"kernel_size": 3, **kwargs}
    layer = FastConv3D(2, **kwargs)
    assert not layer._fast()
    x = np.random.default_rng(2).normal(size=(1, 6, 6, 6, 2)).astype("float32")
    plain = keras.layers.Conv3D(2, **kwargs)
    y = layer(x)
    plain.build(x.shape)
    plain.set_weights(layer.get_weights())
    np.testing.assert_allclose(y.numpy(), plain(x).numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "cls, base, shape",
    [(FastConv2D, keras.layers.Conv2D, (1, 5, 5, 2)), (FastConv3D, keras.layers.Conv3D, (1, 4, 4, 4, 2))],
)
def test_same_config_as_keras_and_round_trip(cls, base, shape, tmp_path):
    layer = cls(4, 3, padding="valid", name="c")
    assert layer._fast()
    assert layer.get_config() == base(4, 3, padding="valid", name="c").get_config()
    assert_keras_round_trip(layer, [np.ones(shape, "float32")], tmp_path)


def test_mixed_bfloat16_matches_the_plain_layer():
    keras.mixed_precision.set_dtype_policy("mixed_bfloat16")
    try:
        x = tf.constant(np.random.default_rng(3).normal(size=(2, 4, 4, 4, 4)), tf.float32)
        layer, plain = FastConv3D(2, 3, padding="same"), keras.layers.Conv3D(2, 3, padding="same")
        layer.build(x.shape)
        plain.build(x.shape)
        plain.set_weights(layer.get_weights())
        results = []
        for conv in (layer, plain):
            with tf.GradientTape() as tape:
                y = conv(x)
                loss = tf.reduce_sum(tf.cast(y, tf.float32) ** 2)
            results.append([y] + tape.gradient(loss, conv.trainable_weights))
        assert results[0][0].dtype == tf.bfloat16
        for got, want in zip(*results):
            got, want = np.asarray(got, "float32"), np.asarray(want, "float32")
            assert np.abs(want).max() > 0
            np.testing.assert_allclose(got, want, rtol=0.05, atol=0.05 * np.abs(want).max())
    finally:
        keras.mixed_precision.set_dtype_policy("float32")


def _two_convs(conv2d, conv3d):
    volume = keras.Input((4, 4, 4, 2))
    image = keras.Input((6, 6, 2))
    return keras.Model([volume, image], [conv3d(3, 3, padding="same")(volume), conv2d(3, 3, padding="valid")(image)])


def test_files_saved_with_plain_keras_convolutions_load_into_fast_ones_and_back(tmp_path):
    """Keras stores weights under the snake-cased class name, hence the classes' names Conv2D/Conv3D."""
    plain = _two_convs(keras.layers.Conv2D, keras.layers.Conv3D)
    fast = _two_convs(FastConv2D, FastConv3D)
    inputs = [np.random.default_rng(4).normal(size=(1, 4, 4, 4, 2)), np.random.default_rng(5).normal(size=(1, 6, 6, 2))]
    plain.save_weights(tmp_path / "plain.weights.h5")
    fast.load_weights(tmp_path / "plain.weights.h5")
    for got, want in zip(fast(inputs), plain(inputs)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    fast.save(tmp_path / "fast.keras")
    reloaded = keras.models.load_model(tmp_path / "fast.keras")
    assert isinstance(reloaded.layers[-1], (FastConv2D, FastConv3D))
    assert keras.saving.get_registered_name(FastConv3D) == "tf_ivg>FastConv3D"
    fast.save_weights(tmp_path / "fast.weights.h5")
    fresh = _two_convs(keras.layers.Conv2D, keras.layers.Conv3D)
    fresh.load_weights(tmp_path / "fast.weights.h5")
    for got, want in zip(fresh(inputs), plain(inputs)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


@pytest.mark.parametrize("value, expected", [("0", False), ("1", True)])
def test_environment_variable_forces_the_choice(monkeypatch, value, expected):
    monkeypatch.setenv("TF_IVG_FAST_CONV", value)
    fast_conv.fast_gradients_enabled.cache_clear()
    try:
        assert fast_conv.fast_gradients_enabled() is expected
        assert FastConv3D(2, 3, padding="same")._fast() is expected
    finally:
        monkeypatch.delenv("TF_IVG_FAST_CONV")
        fast_conv.fast_gradients_enabled.cache_clear()
    assert fast_conv.fast_gradients_enabled() is not bool(tf.config.list_physical_devices("GPU"))


def test_kernel_gradient_piece_counts():
    assert fast_conv._kernel_gradient_splits(3, 20) == 4
    assert fast_conv._kernel_gradient_splits(3, 10) == 2
    assert fast_conv._kernel_gradient_splits(3, 5) == 1
    assert fast_conv._kernel_gradient_splits(2, 76) == 1
    assert fast_conv._kernel_gradient_splits(3, None) == 1
