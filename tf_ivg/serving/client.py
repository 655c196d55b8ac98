"""`ServingClient`: a small client for TF Serving's gRPC API (the `tensorflow/serving` container
or `tf-ivg serve`), over the official `tensorflow_serving.apis` stubs.

```python
from tf_ivg.serving import ServingClient
with ServingClient("localhost:8500") as client:
    out = client.predict("volume_ign", "serving_default", image=images)   # images [B, S, S, 3]
    out["volume"]                                                         # [B, D, D, D] float32
```

Every call has a deadline (`timeout` seconds); UNAVAILABLE (server starting, connection reset)
is retried `retries` times with exponential backoff. Failures raise `ServingError`, whose `.code`
is the `grpc.StatusCode` and `.details` the server's message.

TLS: `ServingClient("host:8500", root_certificates="ca.pem")` opens a secure channel trusting
that CA (`tls=True` alone trusts the system roots); add `client_cert=` and `client_key=` for a
server that requires client certificates (mutual TLS).
"""

import time
from pathlib import Path

import grpc
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from tf_ivg.serving.compact import unpack_occupancy  # noqa: F401 (re-exported for clients)
from tf_ivg.serving.tensors import dtype_name, from_tensor_proto, to_tensor_proto

DEFAULT_MAX_MESSAGE_BYTES = 512 * 1024 * 1024
RETRYABLE = (grpc.StatusCode.UNAVAILABLE,)


class ServingError(RuntimeError):
    """A failed serving call. `.code`: grpc.StatusCode, `.details`: the server's message,
    `.method`: the RPC, `.model` / `.signature`: what was asked for."""

    def __init__(self, code, details, method, model=None, signature=None):
        self.code = code
        self.details = details
        self.method = method
        self.model = model
        self.signature = signature
        what = f"model={model!r}" + (f", signature={signature!r}" if signature else "")
        super().__init__(f"{method}({what}) failed with {code.name}: {details}")


class ServingClient:
    """Client for one server.

    Args:
        target: "host:port" of the gRPC endpoint (TF Serving's default port is 8500).
        timeout: default deadline per call, seconds.
        retries: extra attempts after an UNAVAILABLE failure.
        backoff: first retry delay in seconds, doubled each retry.
        max_message_bytes: send/receive size limit (volumes are large).
        tls: use a TLS channel (default: True when any certificate below is given).
        root_certificates: PEM CA(s) to trust, a path or bytes (default with `tls`: the system roots).
        client_cert, client_key: PEM certificate chain and key (paths or bytes) for mutual TLS.
        tls_server_name: the name to check the server's certificate against, when it differs
            from the host in `target` (e.g. connecting by IP to a certificate for a DNS name).
    """

    def __init__(
        self,
        target,
        timeout=30.0,
        retries=3,
        backoff=0.2,
        max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES,
        *,
        tls=None,
        root_certificates=None,
        client_cert=None,
        client_key=None,
        tls_server_name=None,
    ):
        if not isinstance(target, str) or ":" not in target:
            raise ValueError(f"target must be 'host:port', got {target!r}")
        if (client_cert is None) != (client_key is None):
            raise ValueError("client_cert and client_key go together (mutual TLS)")
        if tls is None:
            tls = any(x is not None for x in (root_certificates, client_cert, tls_server_name))
        if not tls and any(x is not None for x in (root_certificates, client_cert)):
            raise ValueError("certificates were given with tls=False")
        self.target = target
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.tls = bool(tls)
        options = [
            ("grpc.max_send_message_length", int(max_message_bytes)),
            ("grpc.max_receive_message_length", int(max_message_bytes)),
        ]
        if self.tls:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_pem(root_certificates),
                private_key=_pem(client_key),
                certificate_chain=_pem(client_cert),
            )
            if tls_server_name:
                options.append(("grpc.ssl_target_name_override", tls_server_name))
            self._channel = grpc.secure_channel(target, credentials, options=options)
        else:
            self._channel = grpc.insecure_channel(target, options=options)
        self._predict = prediction_service_pb2_grpc.PredictionServiceStub(self._channel)
        self._models = model_service_pb2_grpc.ModelServiceStub(self._channel)

    # ---- calls ------------------------------------------------------------------------------
    def predict(self, model, signature="serving_default", *, version=None, output_filter=None, timeout=None, **inputs):
        """Runs one signature.

        Args:
            model: model name.
            signature: signature name.
            version: a specific version (default: the highest the server has).
            output_filter: names of the outputs wanted (default: all).
            timeout: deadline in seconds (default: the client's).
            **inputs: input name -> array (numpy dtype must match the signature's, e.g. float32 images
                in [0, 1] for `serving_default`, uint8 for `serving_default_uint8`).
        Returns:
            dict output name -> np.ndarray.
        """
        if not inputs:
            raise ValueError(
                f"predict({model!r}, {signature!r}) got no inputs; pass them as keywords, e.g. image=array"
            )
        request = predict_pb2.PredictRequest(model_spec=self._spec(model, version, signature))
        for key, value in inputs.items():
            request.inputs[key].CopyFrom(to_tensor_proto(value))
        request.output_filter.extend(output_filter or [])
        response = self._call(self._predict.Predict, request, timeout, "Predict", model, signature)
        return {key: from_tensor_proto(proto) for key, proto in response.outputs.items()}

    def metadata(self, model, version=None, timeout=None):
        """The model's signatures.

        Returns:
            {"name", "version", "signatures": {signature: {"inputs": {name: {"dtype", "shape"}},
            "outputs": {...}, "method_name"}}}; shapes use -1 for free dims.
        """
        request = get_model_metadata_pb2.GetModelMetadataRequest(
            model_spec=self._spec(model, version), metadata_field=["signature_def"]
        )
        response = self._call(self._predict.GetModelMetadata, request, timeout, "GetModelMetadata", model)
        signature_map = get_model_metadata_pb2.SignatureDefMap()
        response.metadata["signature_def"].Unpack(signature_map)
        signatures = {}
        for key, sig in signature_map.signature_def.items():
            signatures[key] = {
                "inputs": {n: _tensor_info(i) for n, i in sig.inputs.items()},
                "outputs": {n: _tensor_info(i) for n, i in sig.outputs.items()},
                "method_name": sig.method_name,
            }
        return {
            "name": response.model_spec.name,
            "version": response.model_spec.version.value,
            "signatures": signatures,
        }

    def status(self, model, version=None, timeout=None):
        """Version states, newest first: [{"version", "state", "error_code", "error_message"}]."""
        request = get_model_status_pb2.GetModelStatusRequest(model_spec=self._spec(model, version))
        response = self._call(self._models.GetModelStatus, request, timeout, "GetModelStatus", model)
        states = get_model_status_pb2.ModelVersionStatus.State
        return [
            {
                "version": s.version,
                "state": states.Name(s.state),
                "error_code": int(s.status.error_code),
                "error_message": s.status.error_message,
            }
            for s in response.model_version_status
        ]

    def wait_until_available(self, model, version=None, timeout=60.0):
        """Polls `status` until `model` (or `version` of it) is AVAILABLE; returns the version.

        Raises:
            ServingError: DEADLINE_EXCEEDED with the last state or error seen.
        """
        deadline = time.monotonic() + timeout
        last = "no answer"
        while True:
            try:
                for entry in self.status(model, timeout=min(5.0, timeout)):
                    if entry["state"] == "AVAILABLE" and version in (None, entry["version"]):
                        return entry["version"]
                    last = f"version {entry['version']} {entry['state']} {entry['error_message']}".strip()
            except ServingError as error:
                if error.code not in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.UNAVAILABLE):
                    raise
                last = str(error)
            if time.monotonic() > deadline:
                raise ServingError(
                    grpc.StatusCode.DEADLINE_EXCEEDED,
                    f"not available after {timeout}s; {last}",
                    "wait_until_available",
                    model,
                )
            time.sleep(0.1)

    # ---- plumbing ---------------------------------------------------------------------------
    @staticmethod
    def _spec(model, version=None, signature=None):
        if not model:
            raise ValueError("model name is empty")
        spec = model_pb2.ModelSpec(name=model)
        if version is not None:
            spec.version.value = int(version)
        if signature:
            spec.signature_name = signature
        return spec

    def _call(self, method, request, timeout, name, model, signature=None):
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                return method(request, timeout=self.timeout if timeout is None else timeout)
            except grpc.RpcError as error:
                code = error.code()
                if code in RETRYABLE and attempt < self.retries:
                    time.sleep(delay)
                    delay *= 2
                    continue
                raise ServingError(code, error.details(), name, model, signature) from None

    def close(self):
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _pem(value):
    """None, PEM bytes, or a path to a PEM file -> bytes (or None)."""
    if value is None or isinstance(value, bytes):
        return value
    path = Path(value)
    if not path.is_file():
        raise FileNotFoundError(f"TLS file {path} not found")
    return path.read_bytes()


def _tensor_info(info):
    shape = [-1] if info.tensor_shape.unknown_rank else [int(d.size) for d in info.tensor_shape.dim]
    return {"dtype": dtype_name(info.dtype), "shape": shape}
