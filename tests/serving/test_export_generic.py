"""Generic export: ExportArchive signatures with named inputs/outputs, free batch dim, uint8 twins."""

import numpy as np
import pytest
import tensorflow as tf

from tests.serving.conftest import images, tiny_model
from tf_ivg.serving.endpoints import Endpoint, build_archive
from tf_ivg.serving.export import export_model, verify_export
from tf_ivg.serving.repository import read_signature_defs


def test_signatures_have_names_and_free_batch(exported):
    base, model = exported
    defs = read_signature_defs(base / "tiny" / "1")
    assert sorted(defs) == ["serving_default", "serving_default_uint8", "volume", "volume_uint8"]
    for name, sig in defs.items():
        assert list(sig.inputs) == ["image"]
        assert not any(k.startswith("output_") for k in sig.outputs), name
        assert sig.inputs["image"].tensor_shape.dim[0].size == -1
    assert sorted(defs["serving_default"].outputs) == ["embedding", "logits"]
    assert defs["serving_default"].inputs["image"].dtype == tf.float32.as_datatype_enum
    assert defs["serving_default_uint8"].inputs["image"].dtype == tf.uint8.as_datatype_enum


@pytest.mark.parametrize("batch", [1, 3])
def test_loaded_matches_keras(exported, batch):
    base, model = exported
    loaded = tf.saved_model.load(str(base / "tiny" / "1"))
    x = images(batch, seed=batch)
    logits, embedding = model(x, training=False)
    out = loaded.signatures["serving_default"](image=tf.constant(x))
    np.testing.assert_allclose(out["logits"], logits, atol=1e-5)
    np.testing.assert_allclose(out["embedding"], embedding, atol=1e-5)
    # uint8 twin: preprocessing (/255) lives in the graph
    x8 = (x * 255).round().astype(np.uint8)
    out8 = loaded.signatures["serving_default_uint8"](image=tf.constant(x8))
    np.testing.assert_allclose(out8["logits"], model(x8.astype(np.float32) / 255.0)[0], atol=1e-5)


def test_verify_export_reports_every_signature(tmp_path):
    from tests.serving.conftest import tiny_endpoints

    model = tiny_model(seed=1)
    endpoints = tiny_endpoints(model)
    path = export_model(model, tmp_path, "m", endpoints=endpoints)
    assert path.endswith("/m/1")
    diffs = verify_export(path, endpoints)
    assert sorted(diffs) == ["serving_default", "serving_default_uint8", "volume", "volume_uint8"]
    assert max(diffs.values()) < 1e-5
    # a different model's endpoints must not verify against this export
    other = tiny_endpoints(tiny_model(seed=2))
    assert max(verify_export(path, other).values()) > 1e-3
    assert export_model(model, tmp_path, "m", endpoints=endpoints).endswith("/m/2")  # next version


def test_bad_endpoints_rejected():
    model = tiny_model()
    spec = {"image": tf.TensorSpec([None, 8, 8, 3], tf.float32)}
    with pytest.raises(ValueError, match="free batch dim"):
        Endpoint("x", lambda i: i, {"image": tf.TensorSpec([2, 8, 8, 3], tf.float32)})
    with pytest.raises(ValueError, match="serving_default"):
        build_archive(model, [Endpoint("other", lambda i: {"y": i["image"]}, spec)])
    with pytest.raises(ValueError, match="dict of named tensors"):
        build_archive(model, [Endpoint("serving_default", lambda i: i["image"], spec)])
