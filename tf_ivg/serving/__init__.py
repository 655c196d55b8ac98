"""Export to TF Serving SavedModels, a gRPC client, and a local TF-Serving-compatible server.

Importing this package is cheap; names load on first use:
`export_model`, `ServingClient`, `ServingError`, `unpack_occupancy`,
`LocalServer`, `ModelRepository`, `publish_version`, `list_versions`, `next_version`.
Load a checkpoint to export with `tf_ivg.load` (a pretrained name, a `.keras` file or a training workdir).
"""

import importlib

_NAMES = {
    "export_model": "tf_ivg.serving.export",
    "endpoints_for": "tf_ivg.serving.export",
    "ServingClient": "tf_ivg.serving.client",
    "ServingError": "tf_ivg.serving.client",
    "unpack_occupancy": "tf_ivg.serving.compact",
    "LocalServer": "tf_ivg.serving.server",
    "ModelRepository": "tf_ivg.serving.repository",
    "publish_version": "tf_ivg.serving.versions",
    "list_versions": "tf_ivg.serving.versions",
    "next_version": "tf_ivg.serving.versions",
}

__all__ = sorted(_NAMES)


def __getattr__(name):
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    raise AttributeError(f"module 'tf_ivg.serving' has no attribute {name!r}")
