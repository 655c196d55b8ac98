"""Conversion between numpy arrays and `tensorflow.TensorProto` for the gRPC API.

Both directions use `tensor_content` (raw little-endian bytes) for numeric arrays, as
`tf.make_tensor_proto` does, so a `[B, D, D, D]` float32 volume costs one memcpy, not a
per-element repeated field. Protos that arrive with the typed `*_val` fields instead (other
clients may send them) are decoded with numpy too. `decode_tensor` checks the declared shape
against the bytes or values actually sent before it allocates anything, so a hostile proto that
declares a huge shape cannot make the server allocate it.
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
    try:
        return types_pb2.DataType.Name(enum)
    except ValueError:  # an enum value no DataType has (proto3 enums accept any int)
        return f"DataType({int(enum)})"


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
    """The dims of a TensorProto as a tuple of ints (as declared: may be negative or huge)."""
    return tuple(int(d.size) for d in proto.tensor_shape.dim)


def element_count(shape):
    """Product of `shape` as an exact Python int (no int64 overflow for hostile dims)."""
    count = 1
    for d in shape:
        count *= int(d)
    return count


# DataType enum -> the repeated field that carries its values when `tensor_content` is empty.
_VALUE_FIELD = {
    types_pb2.DT_FLOAT: "float_val",
    types_pb2.DT_DOUBLE: "double_val",
    types_pb2.DT_HALF: "half_val",
    types_pb2.DT_UINT8: "int_val",
    types_pb2.DT_INT8: "int_val",
    types_pb2.DT_UINT16: "int_val",
    types_pb2.DT_INT16: "int_val",
    types_pb2.DT_INT32: "int_val",
    types_pb2.DT_INT64: "int64_val",
    types_pb2.DT_BOOL: "bool_val",
}
_ALL_VALUE_FIELDS = tuple(f.name for f in tensor_pb2.TensorProto.DESCRIPTOR.fields if f.name.endswith("_val"))


def declared_shape(proto):
    """The shape a TensorProto declares, checked: known rank, every dim >= 0.

    Raises:
        ValueError: unknown rank or a negative dim.
    """
    if proto.tensor_shape.unknown_rank:
        raise ValueError("tensor_shape.unknown_rank is set: send the full shape")
    shape = proto_shape(proto)
    negative = [d for d in shape if d < 0]
    if negative:
        raise ValueError(f"shape {shape_string(shape)} has a negative dim ({negative[0]}): every dim must be >= 0")
    return shape


def decode_tensor(proto, max_broadcast_elements=None):
    """TensorProto -> numpy array, checking the sizes BEFORE allocating anything.

    The values sent must match the declared shape exactly: `tensor_content` must hold
    count x itemsize bytes, or the typed field (`float_val`, `int_val`, ...) exactly `count`
    values. TF Serving's rule that a single typed value fills the whole tensor is honoured only
    when `count <= max_broadcast_elements` (None: no limit), so a 40-byte proto cannot declare a
    billion elements and make the server allocate them.

    Raises:
        ValueError: unsupported dtype, a negative dim, or content that does not match the shape.
    """
    if proto.dtype not in _ENUM_TO_NUMPY:
        raise ValueError(
            f"dtype {dtype_name(proto.dtype)} is not supported; expected one of "
            f"{sorted(d.name for d in _NUMPY_TO_ENUM)}"
        )
    shape = declared_shape(proto)
    dtype = _ENUM_TO_NUMPY[proto.dtype]
    count = element_count(shape)
    field = _VALUE_FIELD[proto.dtype]
    stray = [name for name in _ALL_VALUE_FIELDS if name != field and len(getattr(proto, name))]
    if stray:
        raise ValueError(f"a {dtype.name} tensor carries its values in {field} or tensor_content, not {stray[0]}")
    values = getattr(proto, field)
    if proto.tensor_content:
        if len(values):
            raise ValueError(f"both tensor_content and {field} are set: send one of them")
        little = dtype.newbyteorder("<")
        if len(proto.tensor_content) != count * dtype.itemsize:
            raise ValueError(
                f"tensor_content holds {len(proto.tensor_content)} bytes; shape {shape_string(shape)} "
                f"of {dtype_name(proto.dtype)} needs {count * dtype.itemsize}"
            )
        return np.frombuffer(proto.tensor_content, dtype=little).reshape(shape).astype(dtype)
    sent = len(values)
    broadcast = sent == 1 and count > 1 and (max_broadcast_elements is None or count <= max_broadcast_elements)
    if sent != count and not broadcast:
        limit = "" if max_broadcast_elements is None else f" up to {max_broadcast_elements} elements"
        raise ValueError(
            f"{field} holds {sent} values; shape {shape_string(shape)} needs {count} "
            f"(a single value fills the tensor only{limit or ' when it is the only value'})"
        )
    if proto.dtype == types_pb2.DT_HALF:
        raw = np.asarray(values, np.int64)
        if raw.size and (raw.min() < 0 or raw.max() > 0xFFFF):
            raise ValueError("half_val holds a value outside the 16-bit range of float16 bit patterns")
        flat = raw.astype(np.uint16).view(np.float16)
    elif field == "int_val" and dtype != np.int32:
        raw = np.asarray(values, np.int64)
        info = np.iinfo(dtype)
        if raw.size and (raw.min() < info.min or raw.max() > info.max):
            raise ValueError(f"int_val holds a value outside the range of {dtype.name} [{info.min}, {info.max}]")
        flat = raw.astype(dtype)
    else:
        flat = np.asarray(values, dtype)
    if broadcast:
        return np.full(shape, flat[0], dtype)
    return flat.reshape(shape)


def from_tensor_proto(proto):
    """TensorProto -> numpy array (see `decode_tensor`; other dtypes go through `tf.make_ndarray`).

    Raises:
        ValueError: when the content does not match the declared dtype and shape.
    """
    if proto.dtype in _ENUM_TO_NUMPY:
        return decode_tensor(proto)
    import tensorflow as tf  # dtypes our signatures do not use (strings, complex, ...) from other servers

    shape = proto_shape(proto)
    try:
        return tf.make_ndarray(proto)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"cannot decode tensor of dtype {dtype_name(proto.dtype)} shape {shape_string(shape)}: {error}"
        ) from error
