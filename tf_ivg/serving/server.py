"""A local gRPC server speaking TF Serving's API over our SavedModels, so development, notebooks
and tests need no `tensorflow/serving` container.

Implements `tensorflow.serving.PredictionService` (Predict, GetModelMetadata) and
`tensorflow.serving.ModelService` (GetModelStatus) with the official `tensorflow_serving.apis`
stubs. Status codes follow TF Serving: NOT_FOUND for an unknown model, version or signature;
INVALID_ARGUMENT, naming what was expected, for missing, extra, wrongly typed or wrongly shaped
inputs and unknown output filters. Other methods answer UNIMPLEMENTED.
"""

import logging
import threading
from concurrent import futures

import grpc
import numpy as np
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
    status_pb2,
)

from tf_ivg.serving.repository import ModelRepository
from tf_ivg.serving.tensors import dtype_name, from_tensor_proto, proto_shape, shape_string, to_tensor_proto

# 80^3 float32 volumes are 2 MB per image; 512 MiB covers batch 256 with room to spare.
DEFAULT_MAX_MESSAGE_BYTES = 512 * 1024 * 1024
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


def _validated_inputs(servable, signature_name, signature, proto_inputs):
    """TensorProto map -> dict of numpy arrays, or RequestError(INVALID_ARGUMENT)."""

    def where():  # built only for an error message
        return f"signature {signature_name!r} of model {servable.name!r} expects inputs {{{_expected(signature)}}}"

    given, wanted = set(proto_inputs), set(signature.inputs)
    if given != wanted:
        parts = []
        if wanted - given:
            parts.append(f"missing {sorted(wanted - given)}")
        if given - wanted:
            parts.append(f"unexpected {sorted(given - wanted)}")
        raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"{where()}; {' and '.join(parts)}")
    arrays = {}
    for key, spec in signature.inputs.items():
        proto = proto_inputs[key]
        shape = proto_shape(proto)
        if proto.dtype != spec.dtype.as_datatype_enum:
            raise RequestError(
                grpc.StatusCode.INVALID_ARGUMENT, f"{where()}; input {key!r} has dtype {dtype_name(proto.dtype)}"
            )
        if not spec.shape.is_compatible_with(shape):
            raise RequestError(
                grpc.StatusCode.INVALID_ARGUMENT, f"{where()}; input {key!r} has shape {shape_string(shape)}"
            )
        try:
            arrays[key] = from_tensor_proto(proto)
        except ValueError as error:
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"input {key!r}: {error}") from None
    batch = {key: a.shape[0] for key, a in arrays.items()}
    if len(set(batch.values())) > 1:
        raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"{where()}; inputs disagree on the batch size: {batch}")
    return arrays


def _model_spec(servable, signature_name=None):
    from tensorflow_serving.apis import model_pb2

    spec = model_pb2.ModelSpec(name=servable.name)
    spec.version.value = servable.version
    if signature_name:
        spec.signature_name = signature_name
    return spec


class PredictionServicer(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, repository):
        self.repository = repository

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
        arrays = _validated_inputs(servable, name, signature, request.inputs)
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
            servable = _servable(self.repository, request.model_spec)
            fields = list(request.metadata_field)
            if fields != ["signature_def"]:
                raise RequestError(
                    grpc.StatusCode.INVALID_ARGUMENT, f"metadata_field must be ['signature_def'], got {fields}"
                )
        except RequestError as error:
            context.abort(error.code, error.message)
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
        states = get_model_status_pb2.ModelVersionStatus.State
        spec = request.model_spec
        try:
            versions = self.repository.status(spec.name)
        except KeyError as error:
            context.abort(grpc.StatusCode.NOT_FOUND, error.args[0])
        if spec.HasField("version"):
            if spec.version.value not in versions:
                context.abort(
                    grpc.StatusCode.NOT_FOUND,
                    f"version {spec.version.value} of model {spec.name!r} was never loaded; "
                    f"known versions {sorted(versions)}",
                )
            versions = {spec.version.value: versions[spec.version.value]}
        response = get_model_status_pb2.GetModelStatusResponse()
        for version, state in sorted(versions.items(), reverse=True):
            status = status_pb2.StatusProto(error_code=13 if state.error else 0, error_message=state.error)
            response.model_version_status.add(version=version, state=states.Value(state.state), status=status)
        return response


class LocalServer:
    """A running server: `.port`, `.repository`, `.stop(grace)`, `.wait()`.

    Args:
        base_path: model base directory (see `tf_ivg.serving.repository`).
        port: TCP port; 0 picks a free one (read `.port`).
        host: interface to bind (default all, like tensorflow_model_server).
        model_name: name when `base_path` itself holds versions.
        poll_seconds: rescan interval for new versions.
        max_workers: gRPC handler threads.
        max_message_bytes: send and receive size limit.
    """

    def __init__(
        self,
        base_path,
        port=8500,
        host="0.0.0.0",
        model_name=None,
        poll_seconds=1.0,
        max_workers=8,
        max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES,
    ):
        self.repository = ModelRepository(base_path, model_name=model_name, poll_seconds=poll_seconds)
        options = [
            ("grpc.max_send_message_length", int(max_message_bytes)),
            ("grpc.max_receive_message_length", int(max_message_bytes)),
            ("grpc.so_reuseport", 0),
        ]
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="tf-ivg-serving"), options=options
        )
        prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
            PredictionServicer(self.repository), self._server
        )
        model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelServicer(self.repository), self._server)
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        try:
            self.port = self._server.add_insecure_port(address)
        except RuntimeError:
            self.port = 0
        if self.port == 0:
            raise ValueError(f"could not bind {address}: is the port in use?")
        self.host = host
        self._stopped = threading.Event()

    def start(self):
        """Loads the models, starts polling and serving; returns self."""
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
