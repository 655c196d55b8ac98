"""Conversion between numpy arrays and `tensorflow.TensorProto` for the gRPC API.

Both directions use `tensor_content` (raw little-endian bytes) for numeric arrays, as
`tf.make_tensor_proto` does, so a `[B, D, D, D]` float32 volume costs one memcpy, not a
per-element repeated field. Protos that arrive with the typed `*_val` fields instead (other
clients may send them) are decoded with `tf.make_ndarray`.
"""

import numpy as np
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2

# numpy dtype <-> DataType enum for the dtypes our signatures use.
_NUMPY_TO_ENUM = {
    np.dtype(np.float32): types_pb2.DT_FLOAT,
    np.dtype(np.float64): types_pb2.DT_DOUBLE,
    np.dtype(np.float16): types_pb2.DT_HALF,
    np.dtype(np.uint8): types_pb2.DT_UINT8,
    np.dtype(np.int8): types_pb2.DT_INT8,
    np.dtype(np.uint16): types_pb2.DT_UINT16,
    np.dtype(np.int16): types_pb2.DT_INT16,
    np.dtype(np.int32): types_pb2.DT_INT32,
    np.dtype(np.int64): types_pb2.DT_INT64,
    np.dtype(np.bool_): types_pb2.DT_BOOL,
}
_ENUM_TO_NUMPY = {enum: dtype for dtype, enum in _NUMPY_TO_ENUM.items()}


def dtype_name(enum):
    """`types_pb2.DT_FLOAT` -> "float32" (the numpy name users pass), else the enum's name."""
    if enum in _ENUM_TO_NUMPY:
        return _ENUM_TO_NUMPY[enum].name
    return types_pb2.DataType.Name(enum)


def shape_string(dims):
    """[-1, 32, 32, 3] -> "[-1, 32, 32, 3]" (-1 = any size)."""
    return "[" + ", ".join(str(int(d)) for d in dims) + "]"


def to_tensor_proto(value):
    """numpy array (or anything `np.asarray` takes) -> TensorProto with `tensor_content`.

    Raises:
        ValueError: for a dtype the serving API does not carry here (object, strings, complex).
    """
    array = np.asarray(value)
    if array.dtype == np.float64 and not isinstance(value, np.ndarray):
        array = array.astype(np.float32)  # Python floats: float32 is what every signature takes
    if array.dtype == np.int64 and not isinstance(value, np.ndarray):
        array = array.astype(np.int32)  # Python ints likewise
    if array.dtype not in _NUMPY_TO_ENUM:
        raise ValueError(
            f"cannot send an array of dtype {array.dtype}; expected one of {sorted(d.name for d in _NUMPY_TO_ENUM)}"
        )
    shape = tensor_shape_pb2.TensorShapeProto(
        dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=int(d)) for d in array.shape]
    )
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return tensor_pb2.TensorProto(
        dtype=_NUMPY_TO_ENUM[array.dtype],
        tensor_shape=shape,
        tensor_content=np.ascontiguousarray(little).tobytes(),
    )


def proto_shape(proto):
    """The dims of a TensorProto as a tuple of ints."""
    return tuple(int(d.size) for d in proto.tensor_shape.dim)


def from_tensor_proto(proto):
    """TensorProto -> numpy array.

    Raises:
        ValueError: when the content does not match the declared dtype and shape.
    """
    shape = proto_shape(proto)
    if proto.dtype in _ENUM_TO_NUMPY and proto.tensor_content:
        dtype = _ENUM_TO_NUMPY[proto.dtype].newbyteorder("<")
        count = int(np.prod(shape, dtype=np.int64))
        if len(proto.tensor_content) != count * dtype.itemsize:
            raise ValueError(
                f"tensor_content holds {len(proto.tensor_content)} bytes; shape {shape_string(shape)} "
                f"of {dtype_name(proto.dtype)} needs {count * dtype.itemsize}"
            )
        return np.frombuffer(proto.tensor_content, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))
    import tensorflow as tf  # slow path: typed *_val fields

    try:
        return tf.make_ndarray(proto)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"cannot decode tensor of dtype {dtype_name(proto.dtype)} shape {shape_string(shape)}: {error}"
        ) from error
