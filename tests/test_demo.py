"""`python -m tf_ivg.demo --quick`: the whole demo, tiny, end to end; every file it names is checked."""

import json
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
import trimesh
from PIL import Image

from tf_ivg import demo


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo")
    # The layer checks (the demo's step 1) have their own test: tests/commands/test_check_layers.py.
    assert demo.main(["--quick", "--skip-layer-checks", "--workdir", str(workdir)]) == 0
    return workdir, json.loads((workdir / "summary.json").read_text())


def test_quick_demo_writes_valid_files(quick_run):
    workdir, summary = quick_run
    assert Path(summary["workdir"]) == workdir.resolve()
    assert summary["training"]["steps"] == demo.QUICK["steps"]

    report = Image.open(summary["report"])
    report.load()
    assert report.format == "PNG" and report.size[0] > report.size[1] > 100

    assert summary["meshes"], "no mesh written"
    assert {Path(m).suffix for m in summary["meshes"]} == {".glb", ".obj"}
    for path in summary["meshes"]:
        mesh = trimesh.load(path, force="mesh")
        assert len(mesh.faces) > 0 and np.isfinite(mesh.vertices).all()
        assert mesh.vertices.max() - mesh.vertices.min() > 1.0  # spans more than a voxel

    for path in summary["inputs"]:
        assert np.asarray(Image.open(path)).shape == (32, 32, 3)

    loaded = tf.saved_model.load(summary["saved_model"])
    assert {"serving_default", "encode", "decode_volume"} <= set(loaded.signatures)
    assert sorted(loaded.signatures) == summary["signatures"]
    image = tf.constant(np.asarray(Image.open(summary["inputs"][0]), np.float32)[None] / 255.0)
    volume = loaded.signatures["serving_default"](image=image)["volume"]
    assert volume.shape == (1, 32, 32, 32)


def test_quick_demo_checkpoint_reloads_with_the_same_scores(quick_run):
    workdir, summary = quick_run
    import tf_ivg
    from tf_ivg.data import make_volume_pairs
    from tf_ivg.metrics import score_volumes

    model, config = tf_ivg.load_with_config(workdir / "train")
    assert config["variant"] == "small" and model.volume_size == 32
    images, volumes, _ = make_volume_pairs(demo.QUICK["test"], 32, 32, seed=demo.SEED + 2)
    train_volumes = make_volume_pairs(demo.QUICK["examples"], 32, 32, seed=demo.SEED)[1]
    scores = score_volumes(model, images, volumes, train_volumes.mean(axis=0), threshold=model.iou_threshold)
    for name in ("model", "mean_volume_baseline"):
        assert scores[name]["voxel_iou"] == pytest.approx(summary["test"][name]["voxel_iou"], abs=1e-4)


def test_demo_rejects_bad_flags():
    with pytest.raises(SystemExit):
        demo.parse_args(["--steps", "0"])
