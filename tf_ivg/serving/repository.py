"""Loads SavedModels from a model base directory and keeps the highest version of each model
loaded, picking up new versions (and new models) while running, as TF Serving's file-system
source does with its default "latest version" policy. A new version goes live only after its
warm-up requests (if it has any) ran; until then, and if loading or warm-up fails, the previous
version keeps serving.

A version that failed to load is reported END with the reason (`VersionState.error`,
`.error_code`) and is not tried again while its files stay the same (`version_fingerprint`); once
they change (e.g. a non-atomic copy finished), the next poll tries it again.

Layouts accepted for `base_path`:
- `DIR/<version>/saved_model.pb`: one model, named `model_name` (default: DIR's folder name);
- `DIR/<name>/<version>/saved_model.pb`: one model per sub-folder (what `tf-ivg export` writes).
"""

import dataclasses
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tensorflow.core.protobuf import error_codes_pb2, saved_model_pb2

from tf_ivg.serving.versions import list_versions

# ModelVersionStatus.State values (tensorflow_serving/apis/get_model_status.proto).
LOADING, AVAILABLE, END = "LOADING", "AVAILABLE", "END"
# tensorflow.error.Code values for StatusProto.error_code.
OK, UNKNOWN, INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED = (
    error_codes_pb2.Code.Value(name) for name in ("OK", "UNKNOWN", "INVALID_ARGUMENT", "NOT_FOUND", "PERMISSION_DENIED")
)
MAX_ERROR_CHARS = 500
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Signature:
    """One callable signature of a loaded version: the concrete function, its input specs
    (name -> tf.TensorSpec), its output names and the SignatureDef proto."""

    fn: object
    inputs: dict
    outputs: tuple
    signature_def: object


@dataclass(frozen=True)
class Servable:
    """One loaded model version."""

    name: str
    version: int
    path: str
    signatures: dict
    keepalive: object = None  # the loaded SavedModel object; its variables must outlive the functions
    warmup_requests: int = 0  # assets.extra/tf_serving_warmup_requests replayed before it went live


@dataclass
class VersionState:
    state: str
    error: str = ""  # one line, set when the version failed to load
    error_code: int = OK  # tensorflow.error.Code of `error`


@dataclass
class ModelEntry:
    name: str
    path: Path
    servable: Servable = None
    versions: dict = field(default_factory=dict)  # version -> VersionState
    failed: dict = field(default_factory=dict)  # version -> fingerprint it failed to load with


def version_fingerprint(path):
    """What a version's files look like now: sorted (relative path, size, mtime_ns) of every file
    under `path` (links followed to what they point at; a file that vanishes while we look shows
    as size -1)."""
    entries = []
    for root, _, files in os.walk(path, followlinks=True):
        for name in files:
            full = os.path.join(root, name)
            try:
                stat = os.stat(full)
                entries.append((os.path.relpath(full, path), stat.st_size, stat.st_mtime_ns))
            except OSError:
                entries.append((os.path.relpath(full, path), -1, -1))
    return tuple(sorted(entries))


def load_failure(path, error):
    """(one-line message, tensorflow.error.Code) for `error` raised loading the version at `path`."""
    import tensorflow as tf

    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    reason = lines[0] if lines else type(error).__name__
    if len(reason) > MAX_ERROR_CHARS:
        reason = reason[:MAX_ERROR_CHARS] + "..."
    if isinstance(error, tf.errors.OpError) and error.error_code:
        code = int(error.error_code)
    elif isinstance(error, FileNotFoundError):
        code = NOT_FOUND
    elif isinstance(error, PermissionError):
        code = PERMISSION_DENIED
    elif isinstance(error, ValueError):
        code = INVALID_ARGUMENT
    else:
        code = UNKNOWN
    return f"could not load {path}: {reason}", code


def read_signature_defs(path):
    """SignatureDef protos of the 'serve' MetaGraph in `path/saved_model.pb` (name -> proto)."""
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((Path(path) / "saved_model.pb").read_bytes())
    for meta_graph in proto.meta_graphs:
        if "serve" in meta_graph.meta_info_def.tags:
            return {k: v for k, v in meta_graph.signature_def.items() if not k.startswith("__")}
    raise ValueError(f"{path} has no MetaGraph tagged 'serve'")


def load_servable(name, version, path, warmup=True):
    """Loads one SavedModel version, indexes its signatures and (with `warmup`) replays its
    `assets.extra/tf_serving_warmup_requests` (see `tf_ivg.serving.warmup`).

    Raises:
        ValueError: a warm-up request failed (the version must not go live).
    """
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path), tags=["serve"])
    defs = read_signature_defs(path)
    signatures = {}
    for key, fn in loaded.signatures.items():
        if key not in defs:
            continue
        _, kwargs = fn.structured_input_signature
        outputs = tuple(sorted(fn.structured_outputs))
        signatures[key] = Signature(fn=fn, inputs=dict(kwargs), outputs=outputs, signature_def=defs[key])
    servable = Servable(name=name, version=int(version), path=str(path), signatures=signatures, keepalive=loaded)
    if not warmup:
        return servable
    from tf_ivg.serving.warmup import replay_warmup

    return dataclasses.replace(servable, warmup_requests=replay_warmup(servable))


class ModelRepository:
    """Thread-safe map model name -> the highest loaded version, refreshed by `poll()`.

    Args:
        base_path: model base directory (see module docstring).
        model_name: the model's name when `base_path` itself holds versions.
        poll_seconds: how often `start()`'s thread rescans (TF Serving's
            `--file_system_poll_wait_seconds`); 0 disables the thread (call `poll()` yourself).
    """

    def __init__(self, base_path, model_name=None, poll_seconds=1.0):
        self.base_path = Path(base_path)
        if not self.base_path.is_dir():
            raise FileNotFoundError(
                f"model base path {self.base_path} is not a directory: expected "
                "DIR/<version>/saved_model.pb or DIR/<model>/<version>/saved_model.pb"
            )
        self.model_name = model_name
        self.poll_seconds = float(poll_seconds)
        self._models = {}
        self._lock = threading.Lock()
        self._poll_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None

    # ---- discovery and loading -------------------------------------------------------------
    def _discover(self):
        """name -> model folder, for the layout found on disk now."""
        if _has_version_dirs(self.base_path):
            return {self.model_name or self.base_path.name: self.base_path}
        found = {}
        for child in sorted(self.base_path.iterdir()):
            if child.is_dir() and not child.name.startswith("."):
                found[child.name] = child
        return found

    def poll(self):
        """Rescans the base path once: loads each model's highest version if it is not the one
        being served, then retires the old one. Returns the names of models that changed."""
        changed = []
        with self._poll_lock:
            for name, folder in self._discover().items():
                with self._lock:
                    entry = self._models.setdefault(name, ModelEntry(name=name, path=folder))
                present = list_versions(folder)
                for version, fingerprint in list(entry.failed.items()):  # retry those whose files changed
                    if version not in present or version_fingerprint(folder / str(version)) != fingerprint:
                        del entry.failed[version]
                versions = [v for v in present if v not in entry.failed]
                current = entry.servable.version if entry.servable else None
                if not versions:
                    if current is not None and not (folder / str(current)).is_dir():
                        self._retire(entry, None)
                        changed.append(name)
                    continue
                target = versions[-1]
                if target == current and (folder / str(current)).is_dir():
                    continue
                path = folder / str(target)
                fingerprint = version_fingerprint(path)  # before loading: a change during the load is seen
                with self._lock:
                    entry.versions[target] = VersionState(LOADING)
                try:
                    servable = load_servable(name, target, path)
                except Exception as error:  # a broken version must not stop the others
                    message, code = load_failure(path, error)
                    _log.warning("%s (tried again when its files change)", message)
                    with self._lock:
                        entry.failed[target] = fingerprint
                        entry.versions[target] = VersionState(END, message, code)
                    continue
                with self._lock:
                    entry.versions[target] = VersionState(AVAILABLE)
                self._retire(entry, servable)
                changed.append(name)
        return changed

    def _retire(self, entry, servable):
        with self._lock:
            old = entry.servable
            entry.servable = servable
            if old is not None and (servable is None or old.version != servable.version):
                entry.versions[old.version] = VersionState(END)

    def start(self):
        """Loads what is there now, then keeps polling in a daemon thread."""
        self.poll()
        if self.poll_seconds > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="model-repository-poll", daemon=True)
            self._thread.start()
        return self

    def _loop(self):
        while not self._stop.wait(self.poll_seconds):
            try:
                self.poll()
            except Exception:  # keep serving what is loaded if the disk misbehaves for a moment
                time.sleep(self.poll_seconds)

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    # ---- queries -----------------------------------------------------------------------------
    def model_names(self):
        with self._lock:
            return sorted(self._models)

    def get(self, name, version=None):
        """The servable for `name` (the highest version, or exactly `version`).

        Raises:
            KeyError: with a message saying what is being served instead.
        """
        with self._lock:
            entry = self._models.get(name)
            servable = entry.servable if entry else None
            names = sorted(n for n, e in self._models.items() if e.servable)
        if entry is None:
            raise KeyError(f"model {name!r} not found; serving {names}")
        if servable is None:
            raise KeyError(f"model {name!r} has no loaded version yet")
        if version is not None and int(version) != servable.version:
            raise KeyError(
                f"version {int(version)} of model {name!r} is not loaded; serving version {servable.version}"
            )
        return servable

    def status(self, name):
        """dict version -> VersionState for `name`. Raises KeyError for an unknown model."""
        with self._lock:
            entry = self._models.get(name)
            if entry is None:
                raise KeyError(f"model {name!r} not found; known {sorted(self._models)}")
            return dict(entry.versions)


def _has_version_dirs(folder):
    return any(c.name.isdigit() and c.is_dir() for c in folder.iterdir())
