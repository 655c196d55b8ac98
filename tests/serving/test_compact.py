"""uint8 levels and bit-packed occupancy match numpy's definitions."""

import numpy as np
import pytest
import tensorflow as tf

from tf_ivg.serving.compact import pack_occupancy, to_uint8_levels, unpack_occupancy


@pytest.mark.parametrize("side", [4, 5])  # 125 voxels: padding to whole bytes
def test_pack_matches_numpy_packbits(side):
    volume = np.random.default_rng(side).random((3, side, side, side)).astype(np.float32)
    bits = pack_occupancy(tf.constant(volume), 0.3).numpy()
    expected = np.packbits((volume >= 0.3).reshape(3, -1), axis=1)
    np.testing.assert_array_equal(bits, expected)
    np.testing.assert_array_equal(unpack_occupancy(bits, side), volume >= 0.3)


def test_uint8_levels():
    levels = to_uint8_levels(tf.constant([-0.5, 0.0, 0.499 / 255, 0.5, 1.0, 2.0])).numpy()
    np.testing.assert_array_equal(levels, [0, 0, 0, 128, 255, 255])
    assert levels.dtype == np.uint8


def test_unpack_checks_size():
    with pytest.raises(ValueError, match=r"expected bits \[B, 16\] for side 5"):
        unpack_occupancy(np.zeros((1, 10), np.uint8), 5)
