"""The "conv" fast path: `fast_convolution` gives tf.nn.convolution's values and gradients, and installed on a
stock Keras Conv2D / Conv3D instance it changes nothing but the gradient kernels."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf_ivg.fast import conv
from tf_ivg.fast.conv import fast_convolution


def _fast(layer):
    conv.install(layer, True)
    assert "convolution_op" in vars(layer)
    return layer


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


@pytest.mark.parametrize(
    "cls, side", [(keras.layers.Conv2D, (4, 4)), (keras.layers.Conv3D, (4, 4, 4)), (keras.layers.Conv3D, (3, 4, 8))]
)
def test_unknown_batch_inside_tf_function(cls, side):
    layer = _fast(cls(3, 3, padding="same"))
    layer.build((None, *side, 2))
    step = tf.function(
        lambda x: tf.gradients(tf.reduce_sum(layer(x) ** 2), [x] + layer.trainable_weights),
        input_signature=[tf.TensorSpec([None, *side, 2])],
    )
    x = np.random.default_rng(1).normal(size=(3, *side, 2)).astype("float32")
    plain = cls(3, 3, padding="same")
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
def test_other_settings_keep_the_plain_convolution(kwargs):
    kwargs = {"kernel_size": 3, **kwargs}
    layer = keras.layers.Conv3D(2, **kwargs)
    assert not conv.eligible(layer)
    conv.install(layer, True)
    assert "convolution_op" not in vars(layer)
    x = np.random.default_rng(2).normal(size=(1, 6, 6, 6, 2)).astype("float32")
    plain = keras.layers.Conv3D(2, **kwargs)
    y = layer(x)
    plain.build(x.shape)
    plain.set_weights(layer.get_weights())
    np.testing.assert_allclose(y.numpy(), plain(x).numpy(), rtol=1e-5, atol=1e-5)


def test_installed_on_the_instance_only_and_taken_off_again(tmp_path):
    layer, other = keras.layers.Conv3D(4, 3, padding="valid", name="c"), keras.layers.Conv3D(4, 3, name="d")
    config = layer.get_config()
    conv.install(layer, True)
    assert layer.convolution_op.__func__ is conv._convolution_op
    assert "convolution_op" not in vars(other) and type(layer) is keras.layers.Conv3D
    assert keras.layers.Conv3D.convolution_op is keras.layers.Conv2D.convolution_op  # Keras's, untouched
    assert layer.get_config() == config
    x = np.random.default_rng(6).normal(size=(1, 4, 4, 4, 2)).astype("float32")
    model = keras.Model(inputs := keras.Input((4, 4, 4, 2)), layer(inputs))
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(reloaded.layers[-1]) is keras.layers.Conv3D and "convolution_op" not in vars(reloaded.layers[-1])
    np.testing.assert_array_equal(reloaded(x), model(x))
    conv.install(layer, False)
    assert "convolution_op" not in vars(layer)


class _Custom(keras.layers.Conv2D):
    def convolution_op(self, inputs, kernel):
        return super().convolution_op(inputs, kernel * 2.0)


def test_subclasses_with_their_own_convolution_op_are_left_alone():
    layer = _Custom(2, 3, padding="same")
    assert not conv.eligible(layer)
    conv.install(layer, True)
    assert "convolution_op" not in vars(layer)


def test_mixed_bfloat16_matches_the_plain_layer():
    keras.mixed_precision.set_dtype_policy("mixed_bfloat16")
    try:
        x = tf.constant(np.random.default_rng(3).normal(size=(2, 4, 4, 4, 4)), tf.float32)
        layer, plain = _fast(keras.layers.Conv3D(2, 3, padding="same")), keras.layers.Conv3D(2, 3, padding="same")
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


def test_kernel_gradient_piece_counts():
    assert conv._kernel_gradient_splits(3, 20) == 4
    assert conv._kernel_gradient_splits(3, 10) == 2
    assert conv._kernel_gradient_splits(3, 5) == 1
    assert conv._kernel_gradient_splits(2, 76) == 1
    assert conv._kernel_gradient_splits(3, None) == 1
