"""ServingClient: retries, deadlines and errors, against a scripted fake PredictionService."""

import time
from concurrent import futures

import grpc
import numpy as np
import pytest
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

from tf_ivg.serving.client import ServingClient, ServingError


class Scripted(prediction_service_pb2_grpc.PredictionServiceServicer):
    """Fails with UNAVAILABLE `failures` times, sleeps `delay` seconds, then echoes `x` as `y`."""

    def __init__(self, failures=0, delay=0.0):
        self.failures, self.delay, self.calls = failures, delay, 0

    def Predict(self, request, context):
        self.calls += 1
        if self.calls <= self.failures:
            context.abort(grpc.StatusCode.UNAVAILABLE, "warming up")
        time.sleep(self.delay)
        response = predict_pb2.PredictResponse()
        response.outputs["y"].CopyFrom(request.inputs["x"])
        return response


@pytest.fixture
def fake():
    servers = []

    def start(servicer):
        server = grpc.server(futures.ThreadPoolExecutor(2))
        prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(servicer, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        servers.append(server)
        return f"127.0.0.1:{port}"

    yield start
    for server in servers:
        server.stop(0)


def test_unavailable_is_retried(fake):
    servicer = Scripted(failures=2)
    with ServingClient(fake(servicer), retries=2, backoff=0.01) as client:
        out = client.predict("m", x=np.arange(6, dtype=np.float32).reshape(2, 3))
    assert servicer.calls == 3
    np.testing.assert_array_equal(out["y"], np.arange(6).reshape(2, 3))


def test_retries_run_out(fake):
    servicer = Scripted(failures=5)
    with ServingClient(fake(servicer), retries=1, backoff=0.01) as client:
        with pytest.raises(ServingError) as caught:
            client.predict("m", "sig", x=np.zeros(1, np.float32))
    assert servicer.calls == 2
    assert caught.value.code == grpc.StatusCode.UNAVAILABLE
    assert caught.value.details == "warming up"
    assert str(caught.value) == "Predict(model='m', signature='sig') failed with UNAVAILABLE: warming up"


def test_deadline(fake):
    with ServingClient(fake(Scripted(delay=1.0)), timeout=0.1, retries=3) as client:
        start = time.monotonic()
        with pytest.raises(ServingError) as caught:
            client.predict("m", x=np.zeros(1, np.float32))
    assert caught.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - start < 0.9  # not retried


def test_nothing_listening_is_unavailable():
    import socket

    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with ServingClient(f"127.0.0.1:{port}", timeout=2.0, retries=1, backoff=0.01) as client:
        with pytest.raises(ServingError) as caught:
            client.status("m")
    assert caught.value.code == grpc.StatusCode.UNAVAILABLE


def test_bad_arguments():
    with pytest.raises(ValueError, match="host:port"):
        ServingClient("localhost")
    with ServingClient("127.0.0.1:1") as client:
        with pytest.raises(ValueError, match="no inputs"):
            client.predict("m")
