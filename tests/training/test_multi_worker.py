"""`tf-ivg train` under MultiWorkerMirroredStrategy: two worker processes on 127.0.0.1 against one device.

Each worker is a fresh interpreter (tests/training/multi_worker_script.py) with its own TF_CONFIG;
both run the same `loop.train` on the same workdir, as two machines sharing a filesystem would. The
run (distributed_helpers.tiny_config: no BatchNorm, a point-mass posterior, SGD) does not depend on
how a global batch of 8 is split, so the workers' losses and the chief's saved weights must match a
single-device run on the same data up to float32 summation order. Bounded in time: workers that
have not finished after TIMEOUT seconds are killed and the test fails.

That run needs tf_ivg's patch of Keras's private trainer (tf_ivg/training/keras_compat.py,
keras-team/keras#20585). The first two tests here fail loudly when the installed Keras is not the one
the patch was verified against, or the private names it replaces moved or changed their parameters.
"""

import inspect
import json
import os
import socket
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from tests.training.distributed_helpers import DeterministicStart, square_groups, tiny_config, weights_of
from tf_ivg.checkpoints import load_with_config
from tf_ivg.training import keras_compat, loop

SCRIPT = os.path.join(os.path.dirname(__file__), "multi_worker_script.py")
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TIMEOUT = 150  # seconds for both workers; about 70 s wall on the busy 2-core dev machine, ~20 s of CPU each


def test_the_keras_patch_was_verified_on_this_keras_and_its_private_names_are_unchanged():
    """Fails when Keras changes. Then run test_two_workers_match_one_device_and_only_the_chief_writes on
    the new Keras with its minor version added to keras_compat.VERIFIED_KERAS: if it passes, keep the
    version there (updating EXPECTED_SIGNATURES if they changed); if Keras fixed keras-team/keras#20585,
    delete keras_compat instead."""
    assert keras_compat.problems() == [], (
        f"Keras {keras.__version__}: tf_ivg's multi-worker workaround is unverified here: {keras_compat.problems()}"
    )
    from keras.src.backend.tensorflow import trainer

    # The bug is still there: under multi-worker, scalar logs are reduced along an axis 0 they lack.
    source = inspect.getsource(keras_compat.original(trainer.reduce_per_replica))
    assert 'strategy.reduce("MEAN", v, axis=0)' in source


def test_the_keras_patch_stays_off_and_says_why_on_an_unverified_keras(monkeypatch):
    monkeypatch.setattr(keras, "__version__", "3.99.0")
    monkeypatch.setitem(keras_compat.EXPECTED_SIGNATURES, "reduce_per_replica", ("values", "strategy"))
    monkeypatch.setitem(keras_compat.EXPECTED_SIGNATURES, "TensorFlowTrainer._gone", ("self",))
    found = keras_compat.problems()
    assert found == [
        "Keras 3.99.0 is not a verified version (3.15)",
        "keras.src.backend.tensorflow.trainer.reduce_per_replica takes ('values', 'strategy', 'reduction'), "
        "not ('values', 'strategy')",
        "keras.src.backend.tensorflow.trainer.TensorFlowTrainer._gone is gone",
    ]
    with pytest.warns(RuntimeWarning, match=r"workaround for .*20585.* is off: Keras 3\.99\.0 is not a verified"):
        keras_compat.warn_if_unverified()
    was_patched = keras_compat.is_patched()
    assert keras_compat.patch_keras_for_multi_worker() is False  # Keras is left as it is
    assert keras_compat.is_patched() == was_patched


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _start_workers(workdir, results):
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    processes = []
    for index in range(2):
        env = dict(
            os.environ,
            TF_CPP_MIN_LOG_LEVEL="2",
            CUDA_VISIBLE_DEVICES="",
            TF_CONFIG=json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}),
        )
        log = open(os.path.join(os.path.dirname(results[index]), f"worker{index}.log"), "w")
        processes.append(
            (
                subprocess.Popen(
                    [sys.executable, SCRIPT, workdir, results[index]],
                    cwd=REPO,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                ),
                log,
            )
        )
    return processes


def _wait(processes, deadline):
    """Waits for every process; kills them all if one fails or the deadline passes."""
    try:
        for process, _ in processes:
            process.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        pass
    finally:
        for process, log in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()
    return [process.returncode for process, _ in processes]


def _tail(path, lines=30):
    with open(path) as f:
        return "".join(f.readlines()[-lines:])


def test_two_workers_match_one_device_and_only_the_chief_writes(tmp_path, monkeypatch):
    monkeypatch.setattr("tf_ivg.training.dcign_task.generated_groups", square_groups)
    workdir = str(tmp_path / "run")
    results = [str(tmp_path / f"worker{i}.json") for i in range(2)]
    deadline = time.monotonic() + TIMEOUT
    processes = _start_workers(workdir, results)
    try:
        # The single-device reference runs here meanwhile (the workers spend their first seconds importing).
        reference, history = loop.train(
            tiny_config("default"), str(tmp_path / "single"), verbose=0, callbacks=[DeterministicStart()]
        )
    finally:
        codes = _wait(processes, deadline)
    logs = [str(tmp_path / f"worker{i}.log") for i in range(2)]
    for index, code in enumerate(codes):
        assert code == 0, f"worker {index} exited with {code} (killed after {TIMEOUT} s if -9):\n{_tail(logs[index])}"
    outcome = []
    for path in results:
        with open(path) as f:
            outcome.append(json.load(f))

    # Two replicas in sync, worker 0 the chief, Keras patched for keras-team/keras#20585 on both.
    assert [o["replicas"] for o in outcome] == [2, 2]
    assert [o["keras_patched"] for o in outcome] == [True, True]
    assert [o["is_chief"] for o in outcome] == [True, False]
    # Both workers report the same (all-reduced) metrics, equal to one device's on the same global batches.
    expected = {k: np.asarray(v) for k, v in history.history.items()}
    assert set(outcome[0]["history"]) == set(expected)
    assert expected["reconstruction"][-1] < expected["reconstruction"][0]  # training moved the model
    for o in outcome:
        for key, values in sorted(expected.items(), key=lambda item: item[0] != "reconstruction"):
            np.testing.assert_allclose(o["history"][key], values, rtol=2e-5, err_msg=key)

    # Only the chief wrote into the workdir; worker 1 wrote into workertemp_1, since removed.
    assert "." in outcome[0]["checkpoint_dirs_seen"]
    assert outcome[1]["checkpoint_dirs_seen"] and all(
        d == "." or d == "workertemp_1" for d in outcome[1]["checkpoint_dirs_seen"]
    )
    assert "workertemp_1" in outcome[1]["checkpoint_dirs_seen"]
    assert not outcome[1]["temp_dir_left"]
    assert sorted(os.listdir(workdir)) == ["config.json", "logs", "model.keras"]

    # The chief's checkpoint holds the weights one device reached.
    chief_model, config = load_with_config(workdir, compile=True)
    assert config["strategy"] == "multi_worker"
    for got, want in zip(weights_of(chief_model), weights_of(reference)):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
