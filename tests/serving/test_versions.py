"""Atomic publication of BASE/NAME/N/."""

import os

import pytest

from tf_ivg.serving.versions import list_versions, next_version, publish_version


def _writer(marker):
    def write(path):
        with open(os.path.join(path, "saved_model.pb"), "w") as f:
            f.write(marker)

    return write


def test_publish_never_shows_a_half_written_version(tmp_path):
    seen = {}

    def write(path):
        with open(os.path.join(path, "saved_model.pb"), "w") as f:
            f.write("x")
        seen["during"] = list_versions(tmp_path / "m")  # what a watcher sees while writing
        seen["children"] = sorted(os.listdir(tmp_path / "m"))

    final = publish_version(tmp_path, "m", 3, write)
    assert seen["during"] == []
    assert all(name.startswith(".tmp-3-") for name in seen["children"])
    assert final == str(tmp_path / "m" / "3")
    assert list_versions(tmp_path / "m") == [3]
    assert os.listdir(tmp_path / "m") == ["3"]  # no staging left behind


def test_failed_write_leaves_nothing(tmp_path):
    def write(path):
        open(os.path.join(path, "variables.partial"), "w").close()
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        publish_version(tmp_path, "m", 1, write)
    assert os.listdir(tmp_path / "m") == []


def test_existing_version_needs_overwrite(tmp_path):
    publish_version(tmp_path, "m", 1, _writer("old"))
    with pytest.raises(ValueError, match="already exists.*next free: 2"):
        publish_version(tmp_path, "m", 1, _writer("new"))
    publish_version(tmp_path, "m", 1, _writer("new"), overwrite=True)
    assert (tmp_path / "m" / "1" / "saved_model.pb").read_text() == "new"
    assert os.listdir(tmp_path / "m") == ["1"]


def test_next_version_and_bad_arguments(tmp_path):
    assert next_version(tmp_path, "m") == 1
    publish_version(tmp_path, "m", 4, _writer("a"))
    (tmp_path / "m" / "notaversion").mkdir()
    (tmp_path / "m" / "7").mkdir()  # no saved_model.pb: not a version
    assert next_version(tmp_path, "m") == 5
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="positive integer"):
            publish_version(tmp_path, "m", bad, _writer("a"))
    for name in ("", "a/b", ".hidden", "12"):
        with pytest.raises(ValueError, match="model name"):
            publish_version(tmp_path, name, 1, _writer("a"))
