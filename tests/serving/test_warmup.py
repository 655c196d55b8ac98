"""Warm-up requests: export writes TF Serving's `assets.extra/tf_serving_warmup_requests`, the
repository replays them before a version goes live, and a failing warm-up fails the load."""

import shutil

import pytest
import tensorflow as tf
from tensorflow_serving.apis import prediction_log_pb2

from tests.serving.conftest import tiny_endpoints, tiny_model
from tf_ivg.serving.repository import ModelRepository
from tf_ivg.serving.warmup import WARMUP_FILE, read_warmup, write_warmup


def test_export_writes_tf_serving_warmup_file(exported):
    base, _ = exported
    file = base / "tiny" / "1" / WARMUP_FILE
    assert file.is_file()
    logs = [prediction_log_pb2.PredictionLog.FromString(r.numpy()) for r in tf.data.TFRecordDataset(str(file))]
    signatures = sorted(log.predict_log.request.model_spec.signature_name for log in logs)
    assert signatures == ["serving_default", "serving_default_uint8", "volume", "volume_uint8"]
    for log in logs:
        request = log.predict_log.request
        assert request.model_spec.name == "tiny"
        assert [d.size for d in request.inputs["image"].tensor_shape.dim] == [1, 8, 8, 3]
    assert len(read_warmup(base / "tiny" / "1")) == 4


def test_warmup_replayed_and_a_failing_one_fails_the_load(exported, tmp_path):
    from tf_ivg.serving.export import export_model

    base, _ = exported
    shutil.copytree(base / "tiny" / "1", tmp_path / "tiny" / "1")
    repository = ModelRepository(tmp_path, poll_seconds=0)
    repository.poll()
    assert repository.get("tiny").warmup_requests == 4
    # version 2 whose warm-up asks for a signature it does not have: not loaded, version 1 stays
    model = tiny_model(seed=4)
    path = export_model(model, tmp_path, "tiny", version=2, endpoints=tiny_endpoints(model))
    bad = read_warmup(path)[0]
    bad.model_spec.signature_name = "nope"
    write_warmup(path, [prediction_log_pb2.PredictionLog(predict_log={"request": bad}).SerializeToString()])
    repository.poll()
    assert repository.get("tiny").version == 1
    state = repository.status("tiny")[2]
    assert state.state == "END" and "warm-up request 0 ('nope')" in state.error
    # version 3 without warm-up requests loads as before
    export_model(model, tmp_path, "tiny", version=3, endpoints=tiny_endpoints(model), warmup=False)
    repository.poll()
    assert repository.get("tiny").version == 3 and repository.get("tiny").warmup_requests == 0


def test_garbage_warmup_file_fails_the_load(tmp_path, exported):
    base, _ = exported
    shutil.copytree(base / "tiny" / "1", tmp_path / "tiny" / "1")
    write_warmup(tmp_path / "tiny" / "1", [b"\xff\xff\xff"])
    with pytest.raises(ValueError, match="not a PredictionLog"):
        read_warmup(tmp_path / "tiny" / "1")
    repository = ModelRepository(tmp_path, poll_seconds=0)
    repository.poll()
    assert "not a PredictionLog" in repository.status("tiny")[1].error
