"""Malformed and hostile requests against a running `LocalServer` on 127.0.0.1: each one gets a
status (never a crash, never UNKNOWN), and after EACH a correct request still gets the right answer.

Covers what once killed or confused the server (a ~50-byte proto declaring [1e9, 32, 32, 3] with one
float, a batch of 5,000, a dim of -1, garbage bytes, NaN inputs) plus seeded random shapes, dtypes
and byte flips. One server for the module, limits lowered so the size cases stay small:
max_batch=16, max_message_bytes=2 MiB.
"""

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import tensor_pb2, types_pb2
from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2, predict_pb2

from tests.serving.conftest import images
from tf_ivg.serving.tensors import to_tensor_proto

MAX_BATCH = 16
MAX_MESSAGE = 2 << 20
PREDICT = "/tensorflow.serving.PredictionService/Predict"
METADATA = "/tensorflow.serving.PredictionService/GetModelMetadata"
STATUS = "/tensorflow.serving.ModelService/GetModelStatus"
CLASSIFY = "/tensorflow.serving.PredictionService/Classify"
OK, INVALID, NOT_FOUND = "OK", "INVALID_ARGUMENT", "NOT_FOUND"
EXHAUSTED, UNIMPLEMENTED = "RESOURCE_EXHAUSTED", "UNIMPLEMENTED"


@pytest.fixture(scope="module")
def hostile_server(exported):
    from tf_ivg.serving.server import LocalServer

    base, _ = exported
    with LocalServer(
        base, port=0, host="127.0.0.1", poll_seconds=0, max_batch=MAX_BATCH, max_message_bytes=MAX_MESSAGE
    ) as running:
        yield running


@pytest.fixture(scope="module")
def channel(hostile_server):
    # the client may send more than the server accepts, so the server's own limit is what answers
    options = [("grpc.max_send_message_length", 64 << 20), ("grpc.max_receive_message_length", 64 << 20)]
    with grpc.insecure_channel(f"127.0.0.1:{hostile_server.port}", options=options) as opened:
        yield opened


@pytest.fixture(scope="module")
def alive(channel, exported):
    """Checks that a correct Predict still gets the right logits."""
    _, model = exported
    x = images(2, seed=123)
    expected = np.asarray(model(x, training=False)[0])

    def check():
        request = _request(to_tensor_proto(x))
        reply = predict_pb2.PredictResponse.FromString(_call(channel, PREDICT, request.SerializeToString())[1])
        logits = np.frombuffer(reply.outputs["logits"].tensor_content, np.float32).reshape(2, 5)
        np.testing.assert_allclose(logits, expected, atol=1e-5)

    return check


def _call(channel, method, payload):
    """Raw unary call with identity (de)serializers: (code name, response bytes or details)."""
    call = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
    try:
        return OK, call(payload, timeout=20)
    except grpc.RpcError as error:
        return error.code().name, error.details() or ""


def _request(*protos, model="tiny", signature="serving_default", names=("image",)):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.model_spec.signature_name = signature
    for name, proto in zip(names, protos):
        request.inputs[name].CopyFrom(proto)
    return request


def _proto(dims, dtype=types_pb2.DT_FLOAT, content=None, unknown_rank=False, **values):
    proto = tensor_pb2.TensorProto(dtype=dtype)
    for d in dims:
        proto.tensor_shape.dim.add(size=int(d))
    proto.tensor_shape.unknown_rank = unknown_rank
    if content is not None:
        proto.tensor_content = content
    for field, vals in values.items():
        getattr(proto, field).extend(vals)
    return proto


def _image_proto(batch, fill=None, seed=0):
    x = images(batch, seed=seed)
    if fill is not None:
        x.flat[:: max(1, x.size // 7)] = fill
    return to_tensor_proto(x)


def _predict(*protos, **kwargs):
    return PREDICT, _request(*protos, **kwargs).SerializeToString()


FLOATS = 8 * 8 * 3  # one image's values

# (id, () -> (method, payload bytes), expected code, words the details must contain)
CASES = [
    # --- sizes declared but not sent: must be refused before anything is allocated
    (
        "tiny proto declaring 1e9 images",
        lambda: _predict(_proto([10**9, 32, 32, 3], float_val=[1])),
        INVALID,
        ["[1000000000, 32, 32, 3]"],
    ),
    (
        "huge batch right sides one value",
        lambda: _predict(_proto([10**9, 8, 8, 3], float_val=[1])),
        INVALID,
        ["batch size 1000000000", f"--max-batch {MAX_BATCH}"],
    ),
    ("int64 max batch", lambda: _predict(_proto([2**63 - 1, 8, 8, 3], float_val=[1])), INVALID, ["--max-batch"]),
    (
        "dims whose product overflows int64",
        lambda: _predict(_proto([2**40, 2**40, 2**40, 3], float_val=[1])),
        INVALID,
        ["expects inputs"],
    ),
    (
        "huge batch tensor_content short",
        lambda: _predict(_proto([10**6, 8, 8, 3], content=b"\0" * 16)),
        INVALID,
        ["--max-batch"],
    ),
    ("batch 5000 over the message limit", lambda: _predict(_image_proto(5000)), EXHAUSTED, []),
    ("batch 1000 under the message limit", lambda: _predict(_image_proto(1000)), INVALID, ["batch size 1000", "1..16"]),
    ("batch just over the limit", lambda: _predict(_image_proto(MAX_BATCH + 1)), INVALID, [f"--max-batch {MAX_BATCH}"]),
    ("batch 0", lambda: _predict(_proto([0, 8, 8, 3])), INVALID, ["batch size 0"]),
    ("single value broadcasts within limits", lambda: _predict(_proto([MAX_BATCH, 8, 8, 3], float_val=[0.5])), OK, []),
    # --- dims and rank
    ("negative batch dim", lambda: _predict(_proto([-1, 8, 8, 3], float_val=[1])), INVALID, ["negative dim (-1)"]),
    ("negative side", lambda: _predict(_proto([1, -8, 8, 3], float_val=[1])), INVALID, ["negative dim (-8)"]),
    ("most negative dim", lambda: _predict(_proto([-(2**63), 8, 8, 3])), INVALID, ["negative dim"]),
    ("unknown rank", lambda: _predict(_proto([], unknown_rank=True, float_val=[1])), INVALID, ["unknown_rank"]),
    (
        "side mismatch",
        lambda: _predict(_proto([1, 9, 8, 3], content=b"\0" * 864)),
        INVALID,
        ["[-1, 8, 8, 3]", "shape [1, 9, 8, 3]"],
    ),
    ("channel mismatch", lambda: _predict(_proto([1, 8, 8, 4], content=b"\0" * 1024)), INVALID, ["shape [1, 8, 8, 4]"]),
    ("rank 3", lambda: _predict(_proto([8, 8, 3], content=b"\0" * 768)), INVALID, ["shape [8, 8, 3]"]),
    ("rank 5", lambda: _predict(_proto([1, 1, 8, 8, 3], content=b"\0" * 768)), INVALID, ["shape [1, 1, 8, 8, 3]"]),
    ("scalar", lambda: _predict(_proto([], float_val=[1])), INVALID, ["shape []"]),
    # --- dtype
    (
        "float64 to float32",
        lambda: _predict(_proto([1, 8, 8, 3], types_pb2.DT_DOUBLE, double_val=[0] * FLOATS)),
        INVALID,
        ["dtype float64"],
    ),
    (
        "uint8 to float32",
        lambda: _predict(_proto([1, 8, 8, 3], types_pb2.DT_UINT8, content=b"\0" * FLOATS)),
        INVALID,
        ["dtype uint8"],
    ),
    ("string", lambda: _predict(_proto([1], types_pb2.DT_STRING, string_val=[b"x"])), INVALID, ["dtype DT_STRING"]),
    ("DT_INVALID", lambda: _predict(_proto([1, 8, 8, 3], types_pb2.DT_INVALID)), INVALID, ["dtype DT_INVALID"]),
    (
        "dtype enum out of range",
        lambda: _predict(_proto([1, 8, 8, 3], 9999, content=b"\0" * 4)),
        INVALID,
        ["DataType(9999)"],
    ),
    (
        "uint8 signature int_val out of range",
        lambda: _predict(
            _proto([1, 8, 8, 3], types_pb2.DT_UINT8, int_val=[300] * FLOATS), signature="serving_default_uint8"
        ),
        INVALID,
        ["outside the range of uint8"],
    ),
    (
        "uint8 signature int_val exact",
        lambda: _predict(
            _proto([1, 8, 8, 3], types_pb2.DT_UINT8, int_val=[7] * FLOATS), signature="serving_default_uint8"
        ),
        OK,
        [],
    ),
    # --- content vs declared shape
    (
        "tensor_content short",
        lambda: _predict(_proto([1, 8, 8, 3], content=b"\0" * 700)),
        INVALID,
        ["holds 700 bytes", "needs 768"],
    ),
    ("tensor_content long", lambda: _predict(_proto([1, 8, 8, 3], content=b"\0" * 772)), INVALID, ["holds 772 bytes"]),
    ("tensor_content odd length", lambda: _predict(_proto([1, 8, 8, 3], content=b"\0" * 767)), INVALID, ["needs 768"]),
    (
        "float_val too few",
        lambda: _predict(_proto([1, 8, 8, 3], float_val=[0.5, 0.5])),
        INVALID,
        ["float_val holds 2 values", "needs 192"],
    ),
    (
        "float_val too many",
        lambda: _predict(_proto([1, 8, 8, 3], float_val=[0.5] * (FLOATS + 1))),
        INVALID,
        ["holds 193 values"],
    ),
    ("no values at all", lambda: _predict(_proto([1, 8, 8, 3])), INVALID, ["holds 0 values"]),
    (
        "content and float_val",
        lambda: _predict(_proto([1, 8, 8, 3], content=b"\0" * 768, float_val=[1])),
        INVALID,
        ["both tensor_content and float_val"],
    ),
    (
        "int_val on a float tensor",
        lambda: _predict(_proto([1, 8, 8, 3], int_val=[1] * FLOATS)),
        INVALID,
        ["not int_val"],
    ),
    ("float_val exact", lambda: _predict(_proto([1, 8, 8, 3], float_val=[0.25] * FLOATS)), OK, []),
    # --- non-finite
    ("NaN", lambda: _predict(_image_proto(2, fill=np.nan)), INVALID, ["non-finite", "--allow-non-finite"]),
    ("+Inf", lambda: _predict(_image_proto(2, fill=np.inf)), INVALID, ["non-finite"]),
    (
        "-Inf via float_val",
        lambda: _predict(_proto([1, 8, 8, 3], float_val=[-np.inf] * FLOATS)),
        INVALID,
        ["192 non-finite"],
    ),
    ("NaN broadcast", lambda: _predict(_proto([2, 8, 8, 3], float_val=[np.nan])), INVALID, ["non-finite"]),
    # --- bytes that are not a request
    (
        "garbage bytes Predict",
        lambda: (PREDICT, b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"),
        INVALID,
        ["not a valid tensorflow.serving.PredictRequest"],
    ),
    ("truncated request", lambda: (PREDICT, _predict(_image_proto(1))[1][:-5]), INVALID, ["not a valid"]),
    ("garbage bytes GetModelMetadata", lambda: (METADATA, b"\x0a\xff\xff"), INVALID, ["GetModelMetadataRequest"]),
    ("garbage bytes GetModelStatus", lambda: (STATUS, b"\x12\x80"), INVALID, ["GetModelStatusRequest"]),
    ("empty request", lambda: (PREDICT, b""), INVALID, ["model_spec.name is empty"]),
    ("unimplemented method", lambda: (CLASSIFY, b""), UNIMPLEMENTED, ["Classify"]),
    ("unknown method", lambda: ("/tensorflow.serving.PredictionService/Nope", b""), UNIMPLEMENTED, []),
    # --- names
    ("unknown model", lambda: _predict(_image_proto(1), model="nope"), NOT_FOUND, ["'nope' not found"]),
    ("100 KB model name", lambda: _predict(_image_proto(1), model="m" * 100_000), NOT_FOUND, ["more characters"]),
    ("unknown signature", lambda: _predict(_image_proto(1), signature="nope"), NOT_FOUND, ["no signature 'nope'"]),
    ("unknown input name", lambda: _predict(_image_proto(1), names=("pixels",)), INVALID, ["unexpected ['pixels']"]),
    ("no inputs", lambda: _predict(), INVALID, ["missing ['image']"]),
    (
        "extra input",
        lambda: _predict(_image_proto(1), _image_proto(1), names=("image", "x")),
        INVALID,
        ["unexpected ['x']"],
    ),
    (
        "unknown version",
        lambda: (PREDICT, _with(_request(_image_proto(1)), lambda r: r.model_spec.version.__setattr__("value", 99))),
        NOT_FOUND,
        ["version 99"],
    ),
    (
        "version label",
        lambda: (PREDICT, _with(_request(_image_proto(1)), lambda r: setattr(r.model_spec, "version_label", "x"))),
        NOT_FOUND,
        ["version labels"],
    ),
    (
        "unknown output filter",
        lambda: (PREDICT, _with(_request(_image_proto(1)), lambda r: r.output_filter.extend(["nope"] * 1000))),
        INVALID,
        ["output_filter"],
    ),
    (
        "metadata other field",
        lambda: (METADATA, get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["x"]).SerializeToString()),
        INVALID,
        [],
    ),
    (
        "status unknown model",
        lambda: (STATUS, get_model_status_pb2.GetModelStatusRequest().SerializeToString()),
        NOT_FOUND,
        ["not found"],
    ),
]


def _with(request, change):
    change(request)
    return request.SerializeToString()


@pytest.mark.parametrize("make,code,words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_request_gets_a_status_and_server_stays_correct(channel, alive, make, code, words):
    method, payload = make()
    got, details = _call(channel, method, payload)
    assert got == code, details
    for word in words:
        assert word in details, (word, details[:500])
    alive()


def _random_case(rng):
    """A Predict with a random dtype, rank, dims (negative, zero, huge) and content."""
    dtypes = [types_pb2.DT_FLOAT, types_pb2.DT_DOUBLE, types_pb2.DT_UINT8, types_pb2.DT_INT32, types_pb2.DT_HALF]
    dtype = int(rng.choice(dtypes))
    rank = int(rng.integers(0, 6))
    dims = [int(rng.choice([-5, 0, 1, 3, 8, 17, 10**7, 2**62])) for _ in range(rank)]
    proto = _proto(dims, dtype)
    kind = rng.integers(0, 3)
    if kind == 0:
        proto.tensor_content = rng.bytes(int(rng.integers(0, 4096)))
    elif kind == 1:
        field = {types_pb2.DT_FLOAT: "float_val", types_pb2.DT_DOUBLE: "double_val", types_pb2.DT_HALF: "half_val"}
        getattr(proto, field.get(dtype, "int_val")).extend([1] * int(rng.integers(0, 300)))
    signature = str(rng.choice(["serving_default", "serving_default_uint8", "volume"]))
    return _predict(proto, signature=signature)


def _flipped_case(rng):
    """A correct request with random bytes overwritten."""
    payload = bytearray(_predict(_image_proto(1, seed=5))[1])
    for at in rng.integers(0, len(payload), size=int(rng.integers(1, 8))):
        payload[at] = int(rng.integers(0, 256))
    return PREDICT, bytes(payload)


@pytest.mark.parametrize("seed", range(12))
def test_random_requests(channel, alive, seed):
    rng = np.random.default_rng(1000 + seed)
    for make in (_random_case, _flipped_case):
        method, payload = make(rng)
        got, details = _call(channel, method, payload)
        # a random request may happen to be valid; it must never be UNKNOWN/INTERNAL or a crash
        assert got in (OK, INVALID, NOT_FOUND, EXHAUSTED), (got, details[:500])
        alive()


def test_non_finite_allowed_when_asked(exported):
    from tf_ivg.serving.client import ServingClient
    from tf_ivg.serving.server import LocalServer

    base, _ = exported
    x = images(1)
    x[0, 0, 0, 0] = np.nan
    # Whether a NaN survives conv + ReLU depends on the kernels (oneDNN's fused graph kernel on AVX-512 CPUs
    # drops it, eager Keras keeps it): the server must answer what the exported graph computes in process.
    signature = tf.saved_model.load(str(base / "tiny" / "1")).signatures["serving_default"]
    expected = signature(image=tf.constant(x))["logits"].numpy()
    with LocalServer(base, port=0, poll_seconds=0, allow_non_finite=True) as server:
        with ServingClient(f"127.0.0.1:{server.port}", timeout=20) as client:
            np.testing.assert_allclose(client.predict("tiny", image=x)["logits"], expected, rtol=1e-5, atol=1e-6)
