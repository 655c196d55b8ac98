import keras
import numpy as np
import pytest
import tensorflow as tf

from tf_ivg.metrics import voxel_iou
from tf_ivg.models import volume_loss
from tf_ivg.models.decoders import build_volume_decoder


def _decoder(mode):
    keras.utils.set_random_seed(1)
    decoder = build_volume_decoder(
        volume_size=16,
        shape_code=6,
        grid=2,
        filters=[4, 3, 2],
        upsampling=[2, 2, 2],
        output_upsampling=mode,
        stage_upsampling=mode,
    )
    decoder.get_layer("prelu_out").alpha.assign(tf.fill(decoder.get_layer("prelu_out").alpha.shape, 0.3))
    return decoder


def _terms_and_gradients(terms_fn, decoder, code, volumes):
    with tf.GradientTape() as tape:
        mse, iou = terms_fn(code, volumes)
        loss = tf.reduce_sum(mse * tf.constant([1.0, 2.0, 0.5]))
    return mse, iou, tape.gradient(loss, decoder.trainable_variables)


@pytest.mark.parametrize("mode", ["depth_to_space", "repeat"])
def test_fused_terms_equal_the_plain_decoder_loss_iou_and_gradients(mode):
    decoder = _decoder(mode)
    rng = np.random.default_rng(0)
    code = tf.constant(rng.normal(size=(3, 6)) * 3, tf.float32)
    volumes = tf.constant(rng.uniform(size=(3, 16, 16, 16)) > 0.6, tf.float32)

    threshold = float(np.quantile(decoder(code), 0.6))  # splits the untrained decoder's voxels

    def plain(code, volumes):
        predicted = decoder(code, training=False)
        return volume_loss.per_example_mse(predicted, volumes), voxel_iou(predicted, volumes, threshold)

    def fused(code, volumes):
        return volume_loss.volume_terms(decoder, code, volumes, threshold, training=False)

    assert volume_loss.output_head(decoder)[2] == (2 if mode == "depth_to_space" else 1)
    mse_a, iou_a, grads_a = _terms_and_gradients(plain, decoder, code, volumes)
    mse_b, iou_b, grads_b = _terms_and_gradients(fused, decoder, code, volumes)
    np.testing.assert_allclose(mse_b, mse_a, rtol=1e-5)
    np.testing.assert_allclose(iou_b, iou_a, rtol=1e-6)
    assert 0.0 < float(tf.reduce_min(iou_a)) and float(tf.reduce_max(iou_a)) < 1.0
    names = [v.path for v in decoder.trainable_variables]
    assert any("prelu_out" in n for n in names)
    for name, a, b in zip(names, grads_a, grads_b):
        assert float(tf.reduce_max(tf.abs(a))) > 0, name
        np.testing.assert_allclose(b, a, rtol=2e-4, atol=1e-7, err_msg=name)


def test_space_to_depth_inverts_depth_to_space():
    from tf_ivg.layers import DepthToSpace3D

    blocks = tf.random.normal([2, 3, 3, 3, 8])
    volumes = tf.reshape(DepthToSpace3D(2)(blocks), [2, 6, 6, 6])
    np.testing.assert_array_equal(volume_loss.space_to_depth_3d(volumes, 2), blocks)


def test_prelu_mse_iou_gradients_match_autodiff_for_any_slope():
    rng = np.random.default_rng(3)
    pre = tf.constant(rng.normal(size=(2, 4, 4, 4, 8)), tf.float64)
    target = tf.constant(rng.uniform(size=(2, 4, 4, 4, 8)) > 0.5, tf.float64)
    for slope in (0.25, -0.5, 1.5):
        alpha = tf.constant([[[[slope]]]], tf.float64)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([pre, alpha])
            mse, _ = volume_loss.prelu_mse_iou(pre, alpha, target)
            y = tf.where(pre < 0, alpha * pre, pre)
            reference = tf.reduce_mean(tf.square(y - target), axis=[1, 2, 3, 4])
            weights = tf.constant([0.7, 1.3], tf.float64)
            loss, ref_loss = tf.reduce_sum(tf.cast(mse, tf.float64) * weights), tf.reduce_sum(reference * weights)
        np.testing.assert_allclose(mse, reference, rtol=1e-6)
        for got, want in zip(tape.gradient(loss, [pre, alpha]), tape.gradient(ref_loss, [pre, alpha])):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-9)


def test_other_decoders_take_the_plain_path():
    code = keras.Input((4,))
    x = keras.layers.Dense(8 * 8 * 8)(code)
    volume = keras.layers.Reshape((8, 8, 8), name="volume")(keras.layers.PReLU(name="prelu_out")(x))
    decoder = keras.Model(code, volume)  # PReLU with one slope per unit: not fusable
    assert volume_loss.output_head(decoder) is None
    volumes = tf.cast(tf.random.uniform([2, 8, 8, 8]) > 0.5, tf.float32)
    codes = tf.random.normal([2, 4])
    mse, iou = volume_loss.volume_terms(decoder, codes, volumes)
    np.testing.assert_allclose(mse, volume_loss.per_example_mse(decoder(codes), volumes), rtol=1e-6)
    assert iou.shape == (2,)


def test_targets_of_the_wrong_size_are_refused_and_unknown_sides_take_the_plain_path():
    decoder = _decoder("depth_to_space")
    code = tf.random.normal([2, 6])
    with pytest.raises(ValueError, match=r"\[B, 16, 16, 16\]"):
        volume_loss.volume_terms(decoder, code, tf.zeros([2, 8, 8, 8]))
    volumes = tf.cast(tf.random.uniform([2, 16, 16, 16]) > 0.5, tf.float32)
    terms = tf.function(
        lambda c, v: volume_loss.volume_terms(decoder, c, v),
        input_signature=[tf.TensorSpec([None, 6]), tf.TensorSpec([None, None, None, None])],
    )
    mse, _ = terms(code, volumes)
    np.testing.assert_allclose(mse, volume_loss.per_example_mse(decoder(code), volumes), rtol=1e-5)
