"""The TF Serving directory layout `BASE/NAME/VERSION/` and atomic publication of a version.

TF Serving (and `tf_ivg.serving.server`) watch `BASE/NAME/` and load the highest child whose
name is a positive integer. A version is written to a hidden sibling `BASE/NAME/.tmp-N-*`
(which no server treats as a version) and renamed to `BASE/NAME/N` only once complete, so a
watcher never sees a half-written SavedModel.
"""

import os
import shutil
import tempfile
from pathlib import Path


def list_versions(model_dir):
    """Sorted positive integer versions under `model_dir` that hold a `saved_model.pb`."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        return []
    versions = []
    for child in model_dir.iterdir():
        if child.name.isdigit() and int(child.name) > 0 and (child / "saved_model.pb").is_file():
            versions.append(int(child.name))
    return sorted(versions)


def next_version(base_dir, model_name):
    """1 + the highest version of `model_name` under `base_dir` (1 if none)."""
    versions = list_versions(Path(base_dir) / model_name)
    return (versions[-1] + 1) if versions else 1


def check_model_name(name):
    """Raises ValueError unless `name` is usable as a directory and a gRPC model name."""
    if not name or name.startswith(".") or any(c in name for c in "/\\ \t\n") or name.isdigit():
        raise ValueError(
            f"model name {name!r} is not usable: expected a non-empty name without '/', spaces or a "
            "leading '.', not all digits (e.g. 'volume_ign')"
        )


def publish_version(base_dir, model_name, version, write, overwrite=False):
    """Writes one SavedModel version atomically and returns its final path.

    Args:
        base_dir: the model base directory (holds one folder per model).
        model_name: the model's folder name.
        version: positive int.
        write: callable `write(path)` that writes a complete SavedModel into the existing empty
            directory `path`.
        overwrite: replace an existing version (it disappears for a moment before the new one lands).

    Raises:
        ValueError: bad name or version, or the version exists and `overwrite` is False.
    """
    check_model_name(model_name)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"version must be a positive integer, got {version!r}")
    model_dir = Path(base_dir) / model_name
    model_dir.mkdir(parents=True, exist_ok=True)
    final = model_dir / str(version)
    if final.exists() and not overwrite:
        raise ValueError(
            f"{final} already exists: pass a new version (next free: "
            f"{next_version(base_dir, model_name)}) or overwrite=True / --overwrite"
        )
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{version}-", dir=model_dir))
    try:
        os.chmod(staging, 0o755)  # mkdtemp makes 0700; a serving container may run as another user
        write(str(staging))
        if not (staging / "saved_model.pb").is_file():
            raise ValueError(f"the writer left no saved_model.pb in {staging}")
        retired = None
        if final.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".old-{version}-", dir=model_dir))
            os.rename(final, retired / "v")
        os.rename(staging, final)
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return str(final)
