import numpy as np
import pytest
import tensorflow as tf

from tests.keras_contract import assert_keras_round_trip
from tf_ivg.layers import DepthToSpace3D
from tf_ivg.models.decoders import build_volume_decoder


def _reference(x, r):
    """Loop version of the documented channel order: channel ((i*r + j)*r + k)*C + c -> offset (i, j, k)."""
    b, d1, d2, d3, channels = x.shape
    c_out = channels // r**3
    out = np.zeros((b, d1 * r, d2 * r, d3 * r, c_out), x.dtype)
    for i in range(r):
        for j in range(r):
            for k in range(r):
                for c in range(c_out):
                    out[:, i::r, j::r, k::r, c] = x[..., ((i * r + j) * r + k) * c_out + c]
    return out


@pytest.mark.parametrize("r, channels", [(2, 8), (2, 16), (3, 27)])
def test_matches_the_documented_channel_order(r, channels):
    x = np.random.default_rng(0).normal(size=(2, 3, 2, 4, channels)).astype("float32")
    np.testing.assert_array_equal(DepthToSpace3D(r)(x).numpy(), _reference(x, r))


def test_agrees_with_tf_depth_to_space_on_a_flat_third_axis():
    # With the third axis shuffled trivially (k = 0 only), the first two axes follow TF's 2D order.
    x = np.random.default_rng(1).normal(size=(2, 3, 4, 1, 4 * 5)).astype("float32")
    expanded = np.zeros((2, 3, 4, 1, 8 * 5), "float32")
    for ij in range(4):  # put TF's block (i, j) at our channel block ((i*2 + j)*2 + 0)
        expanded[..., (ij * 2) * 5 : (ij * 2 + 1) * 5] = x[..., ij * 5 : (ij + 1) * 5]
    ours = DepthToSpace3D(2)(expanded).numpy()[:, :, :, 0, :]
    tf_2d = tf.nn.depth_to_space(x[:, :, :, 0, :], 2).numpy()
    np.testing.assert_array_equal(ours, tf_2d)


def test_gradient_is_the_inverse_shuffle():
    x = tf.random.normal([1, 2, 2, 2, 8])
    weights = tf.random.normal([1, 4, 4, 4, 1])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(DepthToSpace3D(2)(x) * weights)
    grad = tape.gradient(y, x).numpy()
    # d y / d x[..., ch] is the weight at the voxel that channel moved to
    np.testing.assert_array_equal(_reference(grad, 2), weights.numpy())


def test_unknown_spatial_sides_are_read_at_run_time():
    import tensorflow as tf

    layer = DepthToSpace3D(2)
    assert layer.compute_output_shape((None, None, 3, None, 16)) == (None, None, 6, None, 2)
    fn = tf.function(layer.call, input_signature=[tf.TensorSpec([None, None, None, None, 16])])
    x = np.random.default_rng(2).normal(size=(1, 2, 3, 1, 16)).astype("float32")
    np.testing.assert_array_equal(fn(x).numpy(), _reference(x, 2))


def test_keras_round_trip(tmp_path):
    assert_keras_round_trip(DepthToSpace3D(2), [np.arange(128, dtype="float32").reshape(2, 2, 2, 2, 8)], tmp_path)
    assert DepthToSpace3D(3).get_config()["block_size"] == 3


@pytest.mark.parametrize("block_size", [0, -2, 1.5, True])
def test_bad_block_size(block_size):
    with pytest.raises(ValueError, match="block_size"):
        DepthToSpace3D(block_size)


def test_bad_input_shapes():
    with pytest.raises(ValueError, match="divisible by 8"):
        DepthToSpace3D(2)(np.ones((1, 2, 2, 2, 6), "float32"))
    with pytest.raises(ValueError, match=r"\[B, D1, D2, D3, C\]"):
        DepthToSpace3D(2)(np.ones((1, 2, 2, 8), "float32"))


@pytest.mark.parametrize("mode", ["depth_to_space", "repeat"])
def test_volume_decoder_output_modes_give_the_same_shape(mode):
    decoder = build_volume_decoder(
        volume_size=8, shape_code=4, grid=2, filters=[2, 2], upsampling=[2, 2], output_upsampling=mode
    )
    assert tuple(decoder(np.ones((3, 4), "float32")).shape) == (3, 8, 8, 8)
    names = [layer.name for layer in decoder.layers]
    assert ("to_voxels" in names) == (mode == "depth_to_space")
    assert ("up2" in names) == (mode == "repeat")


def test_volume_decoder_rejects_unknown_output_mode():
    with pytest.raises(ValueError, match="output_upsampling"):
        build_volume_decoder(
            volume_size=8, shape_code=4, grid=2, filters=[2, 2], upsampling=[2, 2], output_upsampling="trilinear"
        )
