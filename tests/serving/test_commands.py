"""`tf-ivg export` (in process) and `tf-ivg serve` (a real subprocess, stopped with SIGTERM)."""

import json
import os
import queue
import signal
import subprocess
import sys
import threading

import grpc
import numpy as np
import pytest
from tensorflow_serving.apis import predict_pb2

from tests.serving.conftest import images, tiny_model
from tf_ivg.cli import main


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    model = tiny_model(seed=3)
    path = tmp_path_factory.mktemp("ckpt") / "model.keras"
    model.save(path)
    return path, model


def test_export_command(checkpoint, tmp_path, capsys):
    path, _ = checkpoint
    base = tmp_path / "models"
    argv = ["export", "--checkpoint", str(path), "--model-name", "tiny", "--base-dir", str(base)]
    assert main(argv + ["--version", "3", "--verify"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["path"] == str(base / "tiny" / "3") and summary["source"] == str(path)
    assert sorted(summary["max_abs_diff"]) == ["serving_default", "serving_default_uint8"]
    assert max(summary["max_abs_diff"].values()) < 1e-5
    assert main(argv + ["--version", "3"]) == 2  # exists
    assert "already exists" in capsys.readouterr().err
    assert main(argv) == 0  # next free version
    assert json.loads(capsys.readouterr().out)["path"] == str(base / "tiny" / "4")
    assert main(["export", "--checkpoint", str(tmp_path / "missing.keras"), "--model-name", "x"]) == 2
    assert "missing.keras" in capsys.readouterr().err  # the error names what it could not load


def test_serve_command_round_trip_and_sigterm(checkpoint, tmp_path):
    from tf_ivg.serving.client import ServingClient, ServingError
    from tf_ivg.serving.export import export_model

    _, model = checkpoint
    export_model(model, tmp_path, "tiny", version=1)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tf_ivg.cli",
            "serve",
            "--model-base-path",
            str(tmp_path),
            "--port",
            "0",
            "--host",
            "127.0.0.1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    try:
        ready = json.loads(lines.get(timeout=120))
        assert ready["models"] == ["tiny"]
        x = images(2, seed=9)
        assert ready["host"] == "127.0.0.1" and ready["tls"] is False
        with ServingClient(f"127.0.0.1:{ready['port']}", timeout=30) as client:
            np.testing.assert_allclose(client.predict("tiny", image=x)["logits"], model(x)[0], atol=1e-5)
            # the request that used to abort the process (std::bad_alloc): one float, shape [1e9, 32, 32, 3]
            channel = client._channel
            call = channel.unary_unary("/tensorflow.serving.PredictionService/Predict", None, None)
            request = predict_pb2.PredictRequest()
            request.model_spec.name = "tiny"
            request.inputs["image"].float_val.append(1.0)
            for d in (10**9, 32, 32, 3):
                request.inputs["image"].tensor_shape.dim.add(size=d)
            with pytest.raises(grpc.RpcError) as caught:
                call(request.SerializeToString(), timeout=30)
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            with pytest.raises(ServingError) as refused:  # batch 5,000 at the default --max-batch 64
                client.predict("tiny", image=np.zeros((5000, 8, 8, 3), np.float32))
            assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT and "--max-batch 64" in refused.value.details
            with pytest.raises(grpc.RpcError) as caught:
                call(b"\xff" * 11, timeout=30)
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert process.poll() is None
            np.testing.assert_allclose(client.predict("tiny", image=x)["logits"], model(x)[0], atol=1e-5)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, process.stderr.read()
        assert json.loads(lines.get(timeout=5)) == {"stopped": True}
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize(
    "flags,words",
    [
        (["--port", "70000"], "--port must be in 0..65535, got 70000"),
        (["--poll-seconds", "-1"], "--poll-seconds must be in 0..86400"),
        (["--poll-seconds", "nan"], "--poll-seconds"),
        (["--max-message-mb", "0"], "--max-message-mb must be in 1..2047"),
        (["--max-message-mb", "4096"], "--max-message-mb"),
        (["--max-batch", "0"], "--max-batch must be in 1.."),
        (["--workers", "0"], "--workers must be in 1..1024"),
        (["--tls-cert", "cert.pem"], "--tls-cert and --tls-key go together"),
        (["--tls-client-ca", "ca.pem"], "--tls-client-ca (mutual TLS) needs --tls-cert"),
        (["--host", "no-such-host.invalid"], "--host 'no-such-host.invalid' does not resolve"),
    ],
)
def test_serve_flags_are_checked(tmp_path, capsys, flags, words):
    assert main(["serve", "--model-base-path", str(tmp_path), "--port", "0", *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("tf-ivg serve: error: ") and words in err, err
    assert "\n" not in err and "port in use" not in err
