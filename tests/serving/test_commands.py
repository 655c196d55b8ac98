"""`tf-ivg export` (in process) and `tf-ivg serve` (a real subprocess, stopped with SIGTERM)."""

import json
import os
import queue
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

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
    assert "not found" in capsys.readouterr().err


def test_serve_command_round_trip_and_sigterm(checkpoint, tmp_path):
    from tf_ivg.serving.client import ServingClient
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
        with ServingClient(f"127.0.0.1:{ready['port']}", timeout=30) as client:
            np.testing.assert_allclose(client.predict("tiny", image=x)["logits"], model(x)[0], atol=1e-5)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, process.stderr.read()
        assert json.loads(lines.get(timeout=5)) == {"stopped": True}
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
