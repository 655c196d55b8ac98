"""SavedModel warm-up requests in TF Serving's format.

`tf-ivg export` writes `VERSION/assets.extra/tf_serving_warmup_requests`: a TFRecord file of
`tensorflow_serving.apis.prediction_log_pb2.PredictionLog` records, one `predict_log.request` per
signature (batch 1, random valid inputs). `tensorflow_model_server` and `tf-ivg serve` replay them
before the version answers its first request, so that cost (first-call graph setup, allocator
growth) is not paid by a client. A failing warm-up request fails the load, as in TF Serving; the
previous version keeps serving.
"""

from pathlib import Path

WARMUP_FILE = Path("assets.extra") / "tf_serving_warmup_requests"
MAX_WARMUP_RECORDS = 1000  # TF Serving reads at most this many


def warmup_records(endpoints, model_name, batch=1, seed=0):
    """Serialized PredictionLog records, one Predict per endpoint (signature) with sample inputs."""
    from tensorflow_serving.apis import predict_pb2, prediction_log_pb2

    from tf_ivg.serving.tensors import to_tensor_proto

    records = []
    for endpoint in endpoints:
        try:
            inputs = endpoint.sample_inputs(batch, seed)
        except (TypeError, ValueError):  # a signature with free non-batch dims has no fixed sample
            continue
        request = predict_pb2.PredictRequest()
        request.model_spec.name = model_name
        request.model_spec.signature_name = endpoint.name
        for key, value in inputs.items():
            request.inputs[key].CopyFrom(to_tensor_proto(value))
        log = prediction_log_pb2.PredictionLog(predict_log=prediction_log_pb2.PredictLog(request=request))
        records.append(log.SerializeToString())
    return records


def write_warmup(path, records):
    """Writes `records` to `path/assets.extra/tf_serving_warmup_requests`; returns the file path."""
    import tensorflow as tf

    target = Path(path) / WARMUP_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    with tf.io.TFRecordWriter(str(target)) as writer:
        for record in records:
            writer.write(record)
    return target


def read_warmup(path):
    """PredictRequests stored in `path`'s warm-up file ([] when it has none).

    Raises:
        ValueError: a record that is not a PredictionLog with a predict_log, or more than
            MAX_WARMUP_RECORDS records.
    """
    import tensorflow as tf
    from google.protobuf.message import DecodeError
    from tensorflow_serving.apis import prediction_log_pb2

    file = Path(path) / WARMUP_FILE
    if not file.is_file():
        return []
    requests = []
    for index, raw in enumerate(tf.data.TFRecordDataset(str(file)).take(MAX_WARMUP_RECORDS + 1)):
        if index == MAX_WARMUP_RECORDS:
            raise ValueError(f"{file} holds more than {MAX_WARMUP_RECORDS} records")
        try:
            log = prediction_log_pb2.PredictionLog.FromString(raw.numpy())
        except DecodeError as error:
            raise ValueError(f"{file} record {index} is not a PredictionLog: {error}") from None
        if log.WhichOneof("log_type") != "predict_log":
            raise ValueError(f"{file} record {index} is a {log.WhichOneof('log_type')}; only predict_log is served")
        requests.append(log.predict_log.request)
    return requests


def replay_warmup(servable):
    """Runs every warm-up request of `servable` through its signature; returns how many ran.

    Raises:
        ValueError: naming the record and what failed (unknown signature, bad inputs, the call).
    """
    import tensorflow as tf

    from tf_ivg.serving.tensors import decode_tensor

    requests = read_warmup(servable.path)
    for index, request in enumerate(requests):
        name = request.model_spec.signature_name or "serving_default"
        signature = servable.signatures.get(name)
        where = f"warm-up request {index} ({name!r})"
        if signature is None:
            raise ValueError(f"{where}: no such signature; signatures: {sorted(servable.signatures)}")
        if set(request.inputs) != set(signature.inputs):
            raise ValueError(f"{where}: inputs {sorted(request.inputs)}, expected {sorted(signature.inputs)}")
        try:
            arrays = {k: decode_tensor(v, max_broadcast_elements=1 << 24) for k, v in request.inputs.items()}
            signature.fn(**{k: tf.constant(v) for k, v in arrays.items()})
        except Exception as error:
            raise ValueError(f"{where} failed: {error}") from None
    return len(requests)
