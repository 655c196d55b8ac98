"""A local gRPC server speaking TF Serving's API over our SavedModels, so development, notebooks
and tests need no `tensorflow/serving` container.

Implements `tensorflow.serving.PredictionService` (Predict, GetModelMetadata) and
`tensorflow.serving.ModelService` (GetModelStatus) with the official `tensorflow_serving.apis`
stubs. Status codes follow TF Serving: NOT_FOUND for an unknown model, version or signature;
INVALID_ARGUMENT, naming what was expected, for missing, extra, wrongly typed or wrongly shaped
inputs and unknown output filters. Other methods answer UNIMPLEMENTED.

Hostile or broken requests never end the process: every input is checked against the signature
(dtype, rank, fixed sides, non-negative dims), the batch against `max_batch` and the values sent
against the declared shape BEFORE anything is allocated (`tensors.decode_tensor`); bytes that are
not a valid request message answer INVALID_ARGUMENT (requests are parsed in the handler, not by
gRPC); non-finite float inputs answer INVALID_ARGUMENT unless `allow_non_finite`; messages over
`max_message_bytes` answer RESOURCE_EXHAUSTED (gRPC's own check). The server binds 127.0.0.1 by
default and serves TLS (optionally mutual) when given a certificate and key.
"""

import logging
import math
import socket
import threading
import time
from concurrent import futures
from pathlib import Path

import grpc
import numpy as np
from google.protobuf.message import DecodeError
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
    status_pb2,
)

from tf_ivg.serving.repository import OK, UNKNOWN, ModelRepository
from tf_ivg.serving.tensors import declared_shape, decode_tensor, dtype_name, shape_string, to_tensor_proto
from tf_ivg.serving.versions import remove_stale_staging

# 80^3 float32 volumes are 2 MB per image; 512 MiB covers batch 256 with room to spare.
DEFAULT_MAX_MESSAGE_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_BATCH = 64
DEFAULT_HOST = "127.0.0.1"
MAX_MESSAGE_BYTES_LIMIT = 2**31 - 1  # gRPC's limits are int32
MAX_DETAILS_CHARS = 2000  # status details travel in trailing metadata (clients accept ~8 KiB)
_log = logging.getLogger(__name__)


class RequestError(Exception):
    """A request the server answers with `code` and `message`."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def _servable(repository, model_spec):
    if not model_spec.name:
        raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, "model_spec.name is empty: expected a model name")
    if model_spec.WhichOneof("version_choice") == "version_label":
        raise RequestError(
            grpc.StatusCode.NOT_FOUND,
            f"version labels are not supported (got {model_spec.version_label!r}); pass model_spec.version or nothing",
        )
    version = model_spec.version.value if model_spec.HasField("version") else None
    try:
        return repository.get(model_spec.name, version)
    except KeyError as error:
        raise RequestError(grpc.StatusCode.NOT_FOUND, error.args[0]) from None


def _expected(signature):
    return ", ".join(
        f"{key}: {spec.dtype.name} {shape_string(-1 if d is None else d for d in spec.shape)}"
        for key, spec in sorted(signature.inputs.items())
    )


def _validated_inputs(servable, signature_name, signature, proto_inputs, limits):
    """TensorProto map -> dict of numpy arrays, or RequestError(INVALID_ARGUMENT).

    Everything that bounds memory (dims, batch, values sent vs declared) is checked before any
    tensor is decoded."""

    def where():  # built only for an error message
        return f"signature {signature_name!r} of model {servable.name!r} expects inputs {{{_expected(signature)}}}"

    def fail(message):
        raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, message)

    given, wanted = set(proto_inputs), set(signature.inputs)
    if given != wanted:
        parts = []
        if wanted - given:
            parts.append(f"missing {sorted(wanted - given)}")
        if given - wanted:
            parts.append(f"unexpected {sorted(given - wanted)}")
        fail(f"{where()}; {' and '.join(parts)}")
    batches = {}
    for key, spec in sorted(signature.inputs.items()):
        proto = proto_inputs[key]
        if proto.dtype != spec.dtype.as_datatype_enum:
            fail(f"{where()}; input {key!r} has dtype {dtype_name(proto.dtype)}")
        try:
            shape = declared_shape(proto)
        except ValueError as error:
            fail(f"{where()}; input {key!r}: {error}")
        if not spec.shape.is_compatible_with(shape):
            fail(f"{where()}; input {key!r} has shape {shape_string(shape)}")
        if spec.shape.rank and spec.shape[0] is None:
            batches[key] = shape[0]
            if not 1 <= shape[0] <= limits.max_batch:
                fail(
                    f"input {key!r} has batch size {shape[0]}; this server takes 1..{limits.max_batch} "
                    f"(--max-batch {limits.max_batch}): split the request"
                )
    if len(set(batches.values())) > 1:
        fail(f"{where()}; inputs disagree on the batch size: {batches}")
    arrays = {}
    for key in sorted(signature.inputs):
        proto = proto_inputs[key]
        itemsize = signature.inputs[key].dtype.size
        try:
            array = decode_tensor(proto, max_broadcast_elements=limits.max_message_bytes // max(itemsize, 1))
        except ValueError as error:
            fail(f"input {key!r}: {error}")
        if not limits.allow_non_finite and array.dtype.kind == "f":
            bad = int(array.size - np.count_nonzero(np.isfinite(array)))
            if bad:
                fail(
                    f"input {key!r} holds {bad} non-finite value(s) (NaN or Inf); "
                    "start the server with --allow-non-finite to pass them to the model"
                )
        arrays[key] = array
    return arrays


def _model_spec(servable, signature_name=None):
    from tensorflow_serving.apis import model_pb2

    spec = model_pb2.ModelSpec(name=servable.name)
    spec.version.value = servable.version
    if signature_name:
        spec.signature_name = signature_name
    return spec


class Limits:
    """What a request may ask of the server (see `LocalServer`)."""

    def __init__(
        self, max_batch=DEFAULT_MAX_BATCH, max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES, allow_non_finite=False
    ):
        self.max_batch = int(max_batch)
        self.max_message_bytes = int(max_message_bytes)
        self.allow_non_finite = bool(allow_non_finite)


class PredictionServicer(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, repository, limits=None):
        self.repository = repository
        self.limits = limits or Limits()

    def Predict(self, request, context):
        try:
            return self._predict(request)
        except RequestError as error:
            context.abort(error.code, error.message)

    def _predict(self, request):
        import tensorflow as tf

        servable = _servable(self.repository, request.model_spec)
        name = request.model_spec.signature_name or "serving_default"
        signature = servable.signatures.get(name)
        if signature is None:
            raise RequestError(
                grpc.StatusCode.NOT_FOUND,
                f"model {servable.name!r} version {servable.version} "
                f"has no signature {name!r}; signatures: {sorted(servable.signatures)}",
            )
        wanted = list(request.output_filter) or list(signature.outputs)
        unknown = sorted(set(wanted) - set(signature.outputs))
        if unknown:
            raise RequestError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"output_filter names {unknown} that signature "
                f"{name!r} does not have; outputs: {list(signature.outputs)}",
            )
        arrays = _validated_inputs(servable, name, signature, request.inputs, self.limits)
        try:
            outputs = signature.fn(**{k: tf.constant(v) for k, v in arrays.items()})
        except tf.errors.InvalidArgumentError as error:
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"signature {name!r}: {error.message}") from None
        except Exception as error:  # the server keeps serving; the client sees what broke
            _log.exception("Predict %s/%s failed", servable.name, name)
            raise RequestError(grpc.StatusCode.INTERNAL, f"signature {name!r} failed: {error}") from None
        response = predict_pb2.PredictResponse(model_spec=_model_spec(servable, name))
        for key in wanted:
            response.outputs[key].CopyFrom(to_tensor_proto(np.asarray(outputs[key])))
        return response

    def GetModelMetadata(self, request, context):
        try:
            return self._metadata(request)
        except RequestError as error:
            context.abort(error.code, error.message)

    def _metadata(self, request):
        servable = _servable(self.repository, request.model_spec)
        fields = list(request.metadata_field)
        if fields != ["signature_def"]:
            raise RequestError(
                grpc.StatusCode.INVALID_ARGUMENT, f"metadata_field must be ['signature_def'], got {fields}"
            )
        signature_map = get_model_metadata_pb2.SignatureDefMap()
        for key, signature in servable.signatures.items():
            signature_map.signature_def[key].CopyFrom(signature.signature_def)
        response = get_model_metadata_pb2.GetModelMetadataResponse(model_spec=_model_spec(servable))
        response.metadata["signature_def"].Pack(signature_map)
        return response


class ModelServicer(model_service_pb2_grpc.ModelServiceServicer):
    def __init__(self, repository):
        self.repository = repository

    def GetModelStatus(self, request, context):
        try:
            return self._status(request)
        except RequestError as error:
            context.abort(error.code, error.message)

    def _status(self, request):
        states = get_model_status_pb2.ModelVersionStatus.State
        spec = request.model_spec
        try:
            versions = self.repository.status(spec.name)
        except KeyError as error:
            raise RequestError(grpc.StatusCode.NOT_FOUND, error.args[0]) from None
        if spec.HasField("version"):
            if spec.version.value not in versions:
                raise RequestError(
                    grpc.StatusCode.NOT_FOUND,
                    f"version {spec.version.value} of model {spec.name!r} was never loaded; "
                    f"known versions {sorted(versions)}",
                )
            versions = {spec.version.value: versions[spec.version.value]}
        response = get_model_status_pb2.GetModelStatusResponse()
        for version, state in sorted(versions.items(), reverse=True):
            code = state.error_code or (UNKNOWN if state.error else OK)
            status = status_pb2.StatusProto(error_code=code, error_message=state.error)
            response.model_version_status.add(version=version, state=states.Value(state.state), status=status)
        return response


def _handler(method, request_type, impl):
    """A unary handler that receives the raw request bytes and parses them itself, so bytes that
    are not a valid message answer INVALID_ARGUMENT (gRPC's own deserializer answers INTERNAL),
    and no exception, whatever the request, escapes as anything but a status."""

    def handle(raw, context):
        try:
            if impl is None:
                raise RequestError(
                    grpc.StatusCode.UNIMPLEMENTED, f"{method} is not implemented by tf-ivg serve; use Predict"
                )
            try:
                request = request_type.FromString(raw)
            except (DecodeError, RuntimeWarning, ValueError) as error:
                raise RequestError(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"the request is not a valid {request_type.DESCRIPTOR.full_name} message: {error}",
                ) from None
            return impl(request)
        except RequestError as error:
            failure = (error.code, error.message)
        except Exception as error:  # a bug or a broken model must not take the server down
            _log.exception("%s failed", method)
            failure = (grpc.StatusCode.INTERNAL, f"{method} failed: {type(error).__name__}: {error}")
        code, message = failure
        if len(message) > MAX_DETAILS_CHARS:  # names echoed from the request can be huge
            message = message[:MAX_DETAILS_CHARS] + f"... ({len(message) - MAX_DETAILS_CHARS} more characters)"
        context.abort(code, message)

    return grpc.unary_unary_rpc_method_handler(
        handle, request_deserializer=None, response_serializer=lambda message: message.SerializeToString()
    )


def _generic_handlers(prediction, model):
    from tensorflow_serving.apis import classification_pb2, inference_pb2, model_management_pb2, regression_pb2

    return (
        grpc.method_handlers_generic_handler(
            "tensorflow.serving.PredictionService",
            {
                "Predict": _handler("Predict", predict_pb2.PredictRequest, prediction._predict),
                "GetModelMetadata": _handler(
                    "GetModelMetadata", get_model_metadata_pb2.GetModelMetadataRequest, prediction._metadata
                ),
                "Classify": _handler("Classify", classification_pb2.ClassificationRequest, None),
                "Regress": _handler("Regress", regression_pb2.RegressionRequest, None),
                "MultiInference": _handler("MultiInference", inference_pb2.MultiInferenceRequest, None),
            },
        ),
        grpc.method_handlers_generic_handler(
            "tensorflow.serving.ModelService",
            {
                "GetModelStatus": _handler("GetModelStatus", get_model_status_pb2.GetModelStatusRequest, model._status),
                "HandleReloadConfigRequest": _handler(
                    "HandleReloadConfigRequest", model_management_pb2.ReloadConfigRequest, None
                ),
            },
        ),
    )


def check_range(name, value, low, high=None, kind=int):
    """`value` as `kind` if low <= value <= high (and finite), else ValueError naming `name`."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok and kind is int:
        ok = float(value).is_integer()
    if ok:
        ok = math.isfinite(value) and value >= low and (high is None or value <= high)
    if not ok:
        bounds = f"{low}..{high}" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be {'an integer' if kind is int else 'a number'} {bounds}, got {value!r}")
    return kind(value)


def _read_pem(name, path):
    if isinstance(path, bytes):
        data = path
    else:
        file = Path(path)
        if not file.is_file():
            raise FileNotFoundError(f"{name} file {file} not found")
        data = file.read_bytes()
    if b"-----BEGIN " not in data:
        raise ValueError(f"{name} {path if not isinstance(path, bytes) else '(bytes)'} is not a PEM file")
    return data


def _resolve(host, port):
    """Raises ValueError naming `host` unless it resolves to an address."""
    if not host:
        raise ValueError("host is empty: pass an address or name such as 127.0.0.1 or 0.0.0.0")
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise ValueError(f"host {host!r} does not resolve to an address: {error}") from None


class LocalServer:
    """A running server: `.port`, `.host`, `.tls`, `.repository`, `.stop(grace)`, `.wait()`.

    Args:
        base_path: model base directory (see `tf_ivg.serving.repository`).
        port: TCP port; 0 picks a free one (read `.port`).
        host: interface to bind (default 127.0.0.1, this machine only; "0.0.0.0" for every
            interface, e.g. inside a container).
        model_name: name when `base_path` itself holds versions.
        poll_seconds: rescan interval for new versions (0 = never).
        max_workers: gRPC handler threads.
        max_message_bytes: send and receive size limit (larger requests: RESOURCE_EXHAUSTED).
        max_batch: largest batch (dim 0 of a free-batch input) a Predict may send.
        allow_non_finite: pass NaN/Inf float inputs to the model instead of INVALID_ARGUMENT.
        tls_cert, tls_key: PEM certificate chain and private key (paths or bytes): serve TLS.
        tls_client_ca: PEM CA (path or bytes): also require client certificates it signed (mutual TLS).

    Raises:
        ValueError: a limit out of range, a host that does not resolve, a port that cannot be
            bound, or an incomplete TLS configuration.
        FileNotFoundError: a missing model base path or TLS file.
    """

    def __init__(
        self,
        base_path,
        port=8500,
        host=DEFAULT_HOST,
        model_name=None,
        poll_seconds=1.0,
        max_workers=8,
        max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES,
        max_batch=DEFAULT_MAX_BATCH,
        allow_non_finite=False,
        tls_cert=None,
        tls_key=None,
        tls_client_ca=None,
    ):
        port = check_range("port", port, 0, 65535)
        poll_seconds = check_range("poll_seconds", poll_seconds, 0, 86400, kind=float)
        max_workers = check_range("max_workers", max_workers, 1, 1024)
        max_message_bytes = check_range("max_message_bytes", max_message_bytes, 1024, MAX_MESSAGE_BYTES_LIMIT)
        max_batch = check_range("max_batch", max_batch, 1, 1 << 20)
        host = host[1:-1] if host and host.startswith("[") and host.endswith("]") else host
        _resolve(host, port)
        if (tls_cert is None) != (tls_key is None):
            raise ValueError("TLS needs both a certificate and its private key (tls_cert and tls_key)")
        if tls_client_ca is not None and tls_cert is None:
            raise ValueError("a client CA (mutual TLS) needs the server's own certificate and key too")
        credentials = None
        if tls_cert is not None:
            ca = _read_pem("TLS client CA", tls_client_ca) if tls_client_ca is not None else None
            credentials = grpc.ssl_server_credentials(
                [(_read_pem("TLS key", tls_key), _read_pem("TLS certificate", tls_cert))],
                root_certificates=ca,
                require_client_auth=ca is not None,
            )
        self.repository = ModelRepository(base_path, model_name=model_name, poll_seconds=poll_seconds)
        self.limits = Limits(max_batch, max_message_bytes, allow_non_finite)
        options = [
            ("grpc.max_send_message_length", max_message_bytes),
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.so_reuseport", 0),
        ]
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="tf-ivg-serving"), options=options
        )
        self._server.add_generic_rpc_handlers(
            _generic_handlers(PredictionServicer(self.repository, self.limits), ModelServicer(self.repository))
        )
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        try:
            if credentials is None:
                self.port = self._server.add_insecure_port(address)
            else:
                self.port = self._server.add_secure_port(address, credentials)
        except RuntimeError:
            self.port = 0
        if self.port == 0:
            raise ValueError(f"could not bind {address}: is the port in use, or {host} not an address of this machine?")
        self.host = host
        self.tls = credentials is not None
        self.created = time.time()  # staging folders last written before this are stale
        self._stopped = threading.Event()

    def start(self):
        """Removes stale export staging folders (`versions.remove_stale_staging`: nothing in them
        written since this server was created), loads the models, starts polling and serving;
        returns self."""
        remove_stale_staging(self.repository.base_path, before=self.created)
        self.repository.start()
        self._server.start()
        return self

    def stop(self, grace=5.0):
        """Stops accepting calls, lets running ones finish for up to `grace` seconds, stops polling."""
        if self._stopped.is_set():
            return
        self._server.stop(grace).wait()
        self.repository.stop()
        self._stopped.set()

    def wait(self, timeout=None):
        """Blocks until `stop()` has finished; returns True if it has."""
        return self._stopped.wait(timeout)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop(grace=1.0)
