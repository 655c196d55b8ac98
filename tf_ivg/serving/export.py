"""Export a Keras model as a TF Serving SavedModel version `BASE/NAME/N/`.

`export_model` picks the endpoints for the model's class (VolumeIGN, DCIGN, or any functional
Keras model), adds a `_uint8` twin of every signature that takes images, and writes the version
atomically (see `versions.publish_version`) with TF Serving warm-up requests in
`assets.extra/` (see `warmup`). The result loads unchanged in
`tensorflow_model_server --model_base_path=BASE/NAME` and in `tf-ivg serve`.
"""

from tf_ivg.serving.endpoints import build_archive, functional_endpoints, with_uint8_twins
from tf_ivg.serving.versions import next_version, publish_version
from tf_ivg.serving.warmup import warmup_records, write_warmup


def endpoints_for(model):
    """The serving endpoints (before uint8 twins) for `model`.

    Raises:
        ValueError: the model is neither a VolumeIGN, a DCIGN, nor a functional model with inputs.
    """
    kind = type(model).__name__
    if kind == "VolumeIGN":
        from tf_ivg.serving.volume_ign_endpoints import volume_ign_endpoints

        return volume_ign_endpoints(model)
    if kind == "DCIGN":
        from tf_ivg.serving.dcign_endpoints import dcign_endpoints

        return dcign_endpoints(model)
    if getattr(model, "_is_graph_network", False) or hasattr(model, "_nodes_by_depth"):
        return functional_endpoints(model)
    raise ValueError(f"no serving endpoints for a {kind}: expected a VolumeIGN, a DCIGN, or a functional keras.Model")


def export_model(model, base_dir, model_name, version=None, overwrite=False, endpoints=None, warmup=True):
    """Writes `model` as SavedModel `base_dir/model_name/version/` and returns that path.

    Args:
        model: a built Keras model.
        base_dir: the model base directory (e.g. `export/models`).
        model_name: folder and gRPC model name.
        version: positive int; None = one more than the highest existing version.
        overwrite: replace an existing version.
        endpoints: override `endpoints_for(model)` (uint8 twins are still added).
        warmup: also write `assets.extra/tf_serving_warmup_requests` (one batch-1 Predict per
            signature, TF Serving's format), replayed by the server before the version goes live.
    """
    endpoints = with_uint8_twins(endpoints if endpoints is not None else endpoints_for(model))
    if version is None:
        version = next_version(base_dir, model_name)
    archive = build_archive(model, endpoints)
    records = warmup_records(endpoints, model_name) if warmup else []

    def write(path):
        archive.write_out(path, verbose=False)
        if records:
            write_warmup(path, records)

    return publish_version(base_dir, model_name, version, write, overwrite=overwrite)


def verify_export(path, endpoints, batch=2, seed=0):
    """Reloads the SavedModel at `path` and runs every signature (uint8 twins included) against
    the in-process endpoint on the same random inputs.

    Returns:
        dict signature name -> max |SavedModel - Keras| over all its outputs.
    Raises:
        ValueError: a signature is missing or its output names differ.
    """
    import numpy as np
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))
    diffs = {}
    for endpoint in with_uint8_twins(endpoints):
        if endpoint.name not in loaded.signatures:
            raise ValueError(f"{path} lacks signature {endpoint.name!r}; has {sorted(loaded.signatures)}")
        inputs = endpoint.sample_inputs(batch, seed)
        expected = endpoint(**inputs)
        got = loaded.signatures[endpoint.name](**{k: tf.constant(v) for k, v in inputs.items()})
        if set(got) != set(expected):
            raise ValueError(f"signature {endpoint.name!r} outputs {sorted(got)}, expected {sorted(expected)}")
        diffs[endpoint.name] = max(
            float(np.max(np.abs(np.asarray(got[k], np.float64) - np.asarray(expected[k], np.float64)), initial=0.0))
            for k in expected
        )
    return diffs
