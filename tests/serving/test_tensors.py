"""numpy <-> TensorProto conversion."""

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import tensor_pb2, types_pb2

from tf_ivg.serving.tensors import from_tensor_proto, to_tensor_proto


@pytest.mark.parametrize("dtype", [np.float32, np.uint8, np.int32, np.int64, np.float16, np.bool_])
def test_round_trip(dtype):
    array = (np.random.default_rng(0).random((2, 3, 4)) * 100).astype(dtype)
    proto = to_tensor_proto(array)
    back = from_tensor_proto(proto)
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    np.testing.assert_array_equal(tf.make_ndarray(proto), array)  # TF reads our protos


def test_python_scalars_become_32_bit():
    assert to_tensor_proto([0.5, 1.5]).dtype == types_pb2.DT_FLOAT
    assert to_tensor_proto([1, 2]).dtype == types_pb2.DT_INT32


def test_typed_value_fields_are_decoded():
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[1.0, 2.0, 3.0, 4.0])
    proto.tensor_shape.dim.add(size=2)
    proto.tensor_shape.dim.add(size=2)
    np.testing.assert_array_equal(from_tensor_proto(proto), [[1, 2], [3, 4]])


def test_bad_content_and_dtypes():
    proto = to_tensor_proto(np.zeros((2, 2), np.float32))
    proto.tensor_shape.dim[0].size = 3
    with pytest.raises(ValueError, match="holds 16 bytes.*needs 24"):
        from_tensor_proto(proto)
    with pytest.raises(ValueError, match="cannot send"):
        to_tensor_proto(np.array(["a"]))


def _typed(dims, dtype=types_pb2.DT_FLOAT, **values):
    proto = tensor_pb2.TensorProto(dtype=dtype)
    for d in dims:
        proto.tensor_shape.dim.add(size=d)
    for field, vals in values.items():
        getattr(proto, field).extend(vals)
    return proto


def test_decode_checks_sizes_before_allocating():
    from tf_ivg.serving.tensors import decode_tensor

    # one value fills the tensor (TF Serving's rule) only up to the limit
    np.testing.assert_array_equal(
        decode_tensor(_typed([2, 3], float_val=[7]), max_broadcast_elements=6), np.full((2, 3), 7)
    )
    with pytest.raises(ValueError, match=r"holds 1 values; shape \[1000000000, 32, 32, 3\] needs 3072000000000"):
        decode_tensor(_typed([10**9, 32, 32, 3], float_val=[1]), max_broadcast_elements=1000)
    with pytest.raises(ValueError, match="negative dim"):
        decode_tensor(_typed([-1, 3], float_val=[1]))
    with pytest.raises(ValueError, match="not int_val"):
        decode_tensor(_typed([1], int_val=[1]))
    with pytest.raises(ValueError, match="outside the range of uint8"):
        decode_tensor(_typed([2], types_pb2.DT_UINT8, int_val=[1, 256]))
    with pytest.raises(ValueError, match="not supported"):
        decode_tensor(_typed([1], types_pb2.DT_STRING, string_val=[b"x"]))
    half = np.array([0.5, -2.0], np.float16)
    decoded = decode_tensor(_typed([2], types_pb2.DT_HALF, half_val=half.view(np.uint16).tolist()))
    assert decoded.dtype == np.float16
    np.testing.assert_array_equal(decoded, half)
    np.testing.assert_array_equal(
        decode_tensor(_typed([2, 2], types_pb2.DT_INT64, int64_val=[1, 2, 3, 4])), [[1, 2], [3, 4]]
    )
    assert decode_tensor(_typed([0, 3])).shape == (0, 3)
