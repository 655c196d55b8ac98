"""The TF Serving directory layout `BASE/NAME/VERSION/` and atomic publication of a version.

TF Serving (and `tf_ivg.serving.server`) watch `BASE/NAME/` and load the highest child whose
name is a positive integer. A version is written to a hidden sibling `BASE/NAME/.tmp-N-*`
(which no server treats as a version) and renamed to `BASE/NAME/N` only once complete, so a
watcher never sees a half-written SavedModel. An export that dies between the two leaves its
staging folder behind; `remove_stale_staging` (run when a server starts) removes those.
"""

import logging
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

# `publish_version`'s staging folders: tempfile.mkdtemp(prefix=".tmp-N-") adds a random suffix of
# letters, digits and "_" (STAGING_PATTERN matches nothing else: not "tmp-1-x", ".tmp-x", ".tmp-1-").
STAGING_PATTERN = re.compile(r"\.tmp-[1-9][0-9]*-[A-Za-z0-9_]+")
_log = logging.getLogger(__name__)


def staging_prefix(version):
    """The name prefix of `version`'s staging folder (see STAGING_PATTERN)."""
    return f".tmp-{version}-"


def is_staging_name(name):
    """True if `name` is the name of a `publish_version` staging folder."""
    return STAGING_PATTERN.fullmatch(name) is not None


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
    staging = Path(tempfile.mkdtemp(prefix=staging_prefix(version), dir=model_dir))
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


def _newest_mtime(folder):
    """The newest mtime (seconds) of `folder` and everything under it (links not followed)."""
    newest = os.lstat(folder).st_mtime
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            try:
                newest = max(newest, os.lstat(os.path.join(root, name)).st_mtime)
            except FileNotFoundError:  # removed while we looked: someone is still at work here
                return time.time()
    return newest


def stale_staging_folders(base_path, before):
    """[(folder, newest mtime)] of the staging folders (STAGING_PATTERN, real directories, not
    links) under `base_path` in which nothing (the folder or anything under it) was modified at or
    after `before` (a time.time()).

    Looks where exports stage versions: in `base_path` itself (`DIR/<version>/` layout) and in its
    model folders (`DIR/<name>/`: non-hidden folders whose name is not a version number).
    """
    base_path = Path(base_path)
    try:
        folders = [base_path] + sorted(
            c for c in base_path.iterdir() if c.is_dir() and not c.name.startswith(".") and not c.name.isdigit()
        )
    except OSError:
        return []
    stale = []
    for folder in folders:
        try:
            children = sorted(folder.iterdir())
        except OSError:
            continue
        for child in children:
            if not is_staging_name(child.name) or child.is_symlink() or not child.is_dir():
                continue
            try:
                newest = _newest_mtime(child)
            except OSError:
                continue
            if newest < before:
                stale.append((child, newest))
    return stale


def remove_stale_staging(base_path, before):
    """Removes `stale_staging_folders(base_path, before)`, logging one line per folder; returns
    the removed paths. A folder is first renamed (to a name still matching STAGING_PATTERN), so an
    export that wakes up and renames it to its version fails instead of publishing a half-deleted
    folder. A folder that cannot be removed is logged and skipped."""
    removed = []
    for folder, newest in stale_staging_folders(base_path, before):
        written = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(newest))
        doomed = folder.with_name(folder.name + "_stale")
        try:
            os.rename(folder, doomed)
            shutil.rmtree(doomed)
        except OSError as error:
            _log.warning("could not remove stale staging folder %s: %s", folder, error)
            continue
        _log.warning("removed stale staging folder %s (last written %s, before the server started)", folder, written)
        removed.append(folder)
    return removed
