"""Versions that fail to load are retried once their files change (and only then), report why they
failed in GetModelStatus, and stale export staging folders are removed when a server starts."""

import logging
import os
import shutil
import time

import numpy as np
from tensorflow_serving.apis import get_model_status_pb2, model_service_pb2_grpc

from tests.serving.conftest import images
from tf_ivg.serving import repository
from tf_ivg.serving.client import ServingClient
from tf_ivg.serving.server import LocalServer
from tf_ivg.serving.versions import is_staging_name

NOT_FOUND = 5  # tensorflow.error.Code


def test_half_copied_version_fails_with_reason_and_loads_once_complete(exported, tmp_path, monkeypatch):
    base, model = exported
    source, version = base / "tiny" / "1", tmp_path / "tiny" / "1"
    attempts = []
    real_load = repository.load_servable

    def counting_load(name, number, path, **kwargs):
        attempts.append(number)
        return real_load(name, number, path, **kwargs)

    monkeypatch.setattr(repository, "load_servable", counting_load)
    shutil.copytree(source, version, ignore=shutil.ignore_patterns("variables"))  # a copy caught half-way
    with (
        LocalServer(tmp_path, port=0, poll_seconds=0) as server,
        ServingClient(f"127.0.0.1:{server.port}", timeout=20.0) as client,
    ):
        assert attempts == [1]
        [status] = client.status("tiny")
        assert status["version"] == 1 and status["state"] == "END"
        assert status["error_code"] == NOT_FOUND, status
        assert status["error_message"].startswith(f"could not load {version}: "), status
        assert "variables" in status["error_message"] and "\n" not in status["error_message"]
        # the raw proto: END (as TF Serving reports a version that failed to load) with the reason
        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.name = "tiny"
        stub = model_service_pb2_grpc.ModelServiceStub(client._channel)
        [raw] = stub.GetModelStatus(request, timeout=20).model_version_status
        assert raw.state == get_model_status_pb2.ModelVersionStatus.END
        assert raw.status.error_code == NOT_FOUND and raw.status.error_message == status["error_message"]

        for _ in range(3):  # unchanged files: no load loop
            server.repository.poll()
        assert attempts == [1]

        shutil.copytree(source / "variables", version / "variables")  # the copy completes
        assert server.repository.poll() == ["tiny"]
        assert attempts == [1, 1]
        assert client.status("tiny") == [{"version": 1, "state": "AVAILABLE", "error_code": 0, "error_message": ""}]
        x = images(2, seed=3)
        np.testing.assert_allclose(client.predict("tiny", image=x)["logits"], model(x)[0], atol=1e-5)
        server.repository.poll()
        assert attempts == [1, 1]  # loaded: not loaded again


def _folder(path, mtime):
    """A staging-like folder holding a file, everything last modified at `mtime`."""
    (path / "variables").mkdir(parents=True)
    (path / "variables" / "variables.index").write_bytes(b"x")
    for item in (path / "variables" / "variables.index", path / "variables", path):
        os.utime(item, (mtime, mtime))
    return path


def test_stale_staging_folders_are_removed_at_start(tmp_path, caplog):
    past, future = time.time() - 3600, time.time() + 3600
    model = tmp_path / "tiny"
    stale = [_folder(model / ".tmp-2-abc123_x", past), _folder(tmp_path / ".tmp-7-q1w2e3r4", past)]
    kept = [
        _folder(model / ".tmp-3-zzzzzzzz", future),  # written after the server started
        _folder(model / ".tmp-notes", past),  # not a staging name
        _folder(model / "tmp-5-abcdefgh", past),
        _folder(model / ".old-1-abcdefgh", past),
        _folder(model / ".tmp-0-abcdefgh", past),  # version 0 is never staged
        _folder(model / "1" / ".tmp-1-abcdefgh", past),  # inside a version folder
        _folder(tmp_path / ".hidden" / ".tmp-1-abcdefgh", past),  # inside a hidden folder
        _folder(tmp_path / "elsewhere", past),
    ]
    busy = _folder(model / ".tmp-4-busy1234", past)  # its folder is old, but a file is being written
    os.utime(busy / "variables" / "variables.index", (future, future))
    kept.append(busy)
    (model / ".tmp-6-abcdefgh").write_bytes(b"a file, not a folder")
    os.utime(model / ".tmp-6-abcdefgh", (past, past))
    (model / ".tmp-8-linkabcd").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    kept += [model / ".tmp-6-abcdefgh", model / ".tmp-8-linkabcd"]
    assert [is_staging_name(p.name) for p in stale] == [True, True]

    with caplog.at_level(logging.WARNING, logger="tf_ivg.serving.versions"):
        with LocalServer(tmp_path, port=0, poll_seconds=0):
            pass
    assert [p for p in stale if os.path.lexists(p)] == []
    assert [p for p in kept if not os.path.lexists(p)] == []
    assert (tmp_path / "elsewhere" / "variables" / "variables.index").is_file()  # the link's target
    assert not any(p.name.endswith("_stale") for p in model.iterdir())
    removals = [r.getMessage() for r in caplog.records if "removed stale staging folder" in r.getMessage()]
    assert len(removals) == 2 and all("\n" not in line for line in removals), removals
    assert sorted(line.split()[4] for line in removals) == sorted(str(p) for p in stale)
