"""gRPC round trips through the official stubs against `LocalServer`, bad requests and their
status codes, concurrency, and picking up new versions while running."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import numpy as np
import pytest
from tensorflow_serving.apis import get_model_metadata_pb2, predict_pb2, prediction_service_pb2_grpc

from tests.serving.conftest import BIG_SIDE, images, tiny_endpoints, tiny_model
from tf_ivg.serving.client import ServingError
from tf_ivg.serving.export import export_model
from tf_ivg.serving.tensors import to_tensor_proto


def test_predict_round_trip(client, exported):
    _, model = exported
    x = images(3, seed=7)
    out = client.predict("tiny", "serving_default", image=x)
    logits, embedding = model(x, training=False)
    assert sorted(out) == ["embedding", "logits"]
    np.testing.assert_allclose(out["logits"], logits, atol=1e-5)
    np.testing.assert_allclose(out["embedding"], embedding, atol=1e-5)
    out8 = client.predict("tiny", "serving_default_uint8", image=(x * 255).astype(np.uint8))
    np.testing.assert_allclose(out8["logits"], model((x * 255).astype(np.uint8) / 255.0)[0], atol=1e-5)
    only = client.predict("tiny", image=x, output_filter=["logits"], version=1)
    assert list(only) == ["logits"]


def test_raw_stub_and_large_messages(server, exported):
    """The official stub with a plain channel; a 6 MiB response needs the raised message limit."""
    _, model = exported
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}", options=[("grpc.max_receive_message_length", 64 << 20)])
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "tiny"
    request.model_spec.signature_name = "volume"
    x = images(6, seed=3)
    request.inputs["image"].CopyFrom(to_tensor_proto(x))
    response = stub.Predict(request, timeout=20)
    assert response.model_spec.version.value == 1 and response.model_spec.signature_name == "volume"
    volume = np.frombuffer(response.outputs["volume"].tensor_content, np.float32).reshape(6, *[BIG_SIDE] * 3)
    assert response.ByteSize() > 4 << 20
    expected = 1 / (1 + np.exp(-np.asarray(model(x)[0])[:, 0]))
    np.testing.assert_allclose(volume[:, 5, 6, 7], expected, atol=1e-5)
    channel.close()


def test_metadata_and_status(client):
    meta = client.metadata("tiny")
    assert meta["name"] == "tiny" and meta["version"] == 1
    sig = meta["signatures"]["serving_default"]
    assert sig["inputs"] == {"image": {"dtype": "float32", "shape": [-1, 8, 8, 3]}}
    assert sig["outputs"]["logits"] == {"dtype": "float32", "shape": [-1, 5]}
    assert sig["method_name"] == "tensorflow/serving/predict"
    assert meta["signatures"]["serving_default_uint8"]["inputs"]["image"]["dtype"] == "uint8"
    assert client.status("tiny") == [{"version": 1, "state": "AVAILABLE", "error_code": 0, "error_message": ""}]


def _raw_predict(server, inputs, signature="serving_default", model="tiny"):
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.model_spec.signature_name = signature
    for key, value in inputs.items():
        request.inputs[key].CopyFrom(to_tensor_proto(value))
    try:
        prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(request, timeout=20)
    finally:
        channel.close()


BAD_REQUESTS = [
    # (description, call, code, words the message must contain)
    ("unknown model", lambda c: c.predict("nope", image=images(1)), "NOT_FOUND", ["nope", "tiny"]),
    (
        "unknown signature",
        lambda c: c.predict("tiny", "nope", image=images(1)),
        "NOT_FOUND",
        ["nope", "serving_default"],
    ),
    ("unknown version", lambda c: c.predict("tiny", image=images(1), version=9), "NOT_FOUND", ["version 9"]),
    (
        "wrong shape",
        lambda c: c.predict("tiny", image=np.zeros((1, 9, 8, 3), np.float32)),
        "INVALID_ARGUMENT",
        ["image: float32 [-1, 8, 8, 3]", "shape [1, 9, 8, 3]"],
    ),
    (
        "wrong rank",
        lambda c: c.predict("tiny", image=np.zeros((8, 8, 3), np.float32)),
        "INVALID_ARGUMENT",
        ["[-1, 8, 8, 3]"],
    ),
    (
        "wrong dtype",
        lambda c: c.predict("tiny", image=np.zeros((1, 8, 8, 3), np.float64)),
        "INVALID_ARGUMENT",
        ["image: float32", "dtype float64"],
    ),
    (
        "uint8 to float signature",
        lambda c: c.predict("tiny", image=np.zeros((1, 8, 8, 3), np.uint8)),
        "INVALID_ARGUMENT",
        ["dtype uint8"],
    ),
    (
        "missing input",
        lambda c: c.predict("tiny", pixels=images(1)),
        "INVALID_ARGUMENT",
        ["missing ['image']", "unexpected ['pixels']"],
    ),
    (
        "extra input",
        lambda c: c.predict("tiny", image=images(1), extra=np.zeros(1, np.float32)),
        "INVALID_ARGUMENT",
        ["unexpected ['extra']", "expects inputs {image"],
    ),
    (
        "unknown output",
        lambda c: c.predict("tiny", image=images(1), output_filter=["nope"]),
        "INVALID_ARGUMENT",
        ["nope", "logits"],
    ),
    ("metadata unknown model", lambda c: c.metadata("nope"), "NOT_FOUND", ["nope"]),
    ("status unknown model", lambda c: c.status("nope"), "NOT_FOUND", ["nope"]),
]


@pytest.mark.parametrize("description,call,code,words", BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
def test_bad_request_gets_its_code_and_server_keeps_serving(client, description, call, code, words):
    with pytest.raises(ServingError) as caught:
        call(client)
    error = caught.value
    assert error.code == getattr(grpc.StatusCode, code), str(error)
    for word in words:
        assert word in error.details, (word, error.details)
    assert code in str(error)
    assert client.predict("tiny", image=images(2))["logits"].shape == (2, 5)  # still serving


def test_metadata_field_must_be_signature_def(server):
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["other"])
    request.model_spec.name = "tiny"
    with pytest.raises(grpc.RpcError) as caught:
        prediction_service_pb2_grpc.PredictionServiceStub(channel).GetModelMetadata(request, timeout=20)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    channel.close()


def test_concurrent_clients(server, client, exported):
    """8 threads x 25 requests, each with its own input, zero errors, every answer right."""
    from tf_ivg.serving.client import ServingClient

    _, model = exported
    x = images(8 * 25, seed=11)
    expected = np.asarray(model(x, training=False)[0])

    def worker(thread):
        errors = 0
        with ServingClient(f"127.0.0.1:{server.port}", timeout=30.0) as own:
            for i in range(25):
                k = thread * 25 + i
                try:
                    out = own.predict("tiny", image=x[k : k + 1])["logits"]
                    errors += int(not np.allclose(out[0], expected[k], atol=1e-5))
                except ServingError:
                    errors += 1
        return errors

    start = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        errors = sum(pool.map(worker, range(8)))
    assert errors == 0
    assert time.monotonic() - start < 60  # bounded


def test_new_versions_are_picked_up_while_serving(server, client, exported):
    base, _ = exported
    first, second = tiny_model(seed=21), tiny_model(seed=22)
    export_model(first, base, "pickup", version=1, endpoints=tiny_endpoints(first))
    assert client.wait_until_available("pickup", timeout=30) == 1
    x = images(2, seed=5)
    np.testing.assert_allclose(client.predict("pickup", image=x)["logits"], first(x)[0], atol=1e-5)
    stop, failures = threading.Event(), []

    def hammer():  # requests keep succeeding across the swap
        while not stop.is_set():
            try:
                client.predict("pickup", image=x)
            except ServingError as error:
                failures.append(error)

    thread = threading.Thread(target=hammer)
    thread.start()
    export_model(second, base, "pickup", version=2, endpoints=tiny_endpoints(second))
    assert client.wait_until_available("pickup", version=2, timeout=30) == 2
    stop.set()
    thread.join()
    assert failures == []
    np.testing.assert_allclose(client.predict("pickup", image=x)["logits"], second(x)[0], atol=1e-5)
    assert [(s["version"], s["state"]) for s in client.status("pickup")] == [(2, "AVAILABLE"), (1, "END")]
    assert client.metadata("pickup")["version"] == 2
