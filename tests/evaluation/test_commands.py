"""`tf-ivg reconstruct` and `tf-ivg reproduce` through the CLI entry point."""

import json

import numpy as np
import pytest
import trimesh
from PIL import Image

from tf_ivg import cli
from tf_ivg.checkpoints import load_with_config
from tf_ivg.evaluation.experiments.common import build_untrained


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    model, config = build_untrained("faces_volume")
    folder = tmp_path_factory.mktemp("ckpt")
    model.save(folder / "model.keras")
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_reconstruct_writes_a_watertight_mesh(tmp_path, checkpoint, capsys):
    image = (np.random.default_rng(0).uniform(size=(40, 50, 3)) * 255).astype(np.uint8)  # resized + cropped
    Image.fromarray(image).save(tmp_path / "face.png")
    # An untrained model predicts no occupancy above 0.01; a threshold below every value meshes the full cube.
    code = cli.main(
        [
            "reconstruct",
            str(tmp_path / "face.png"),
            "--checkpoint",
            str(checkpoint),
            "-o",
            str(tmp_path / "face.glb"),
            "--threshold=-1e9",
            "--render",
            "--save-volume",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out[0]["occupied_voxels"] == 32**3 and out[0]["watertight"]
    assert trimesh.load(tmp_path / "face.glb", force="mesh").is_watertight
    assert Image.open(tmp_path / "face_views.png").size == (3 * 128, 128)
    assert np.load(tmp_path / "face.npy").shape == (32, 32, 32)


def test_reconstruct_errors(tmp_path, checkpoint, capsys):
    (tmp_path / "junk.png").write_bytes(b"junk")
    assert (
        cli.main(
            ["reconstruct", str(tmp_path / "junk.png"), "--checkpoint", str(checkpoint), "-o", str(tmp_path / "a.glb")]
        )
        == 2
    )
    assert "cannot read" in capsys.readouterr().err
    assert (
        cli.main(
            ["reconstruct", str(tmp_path / "nope.png"), "--checkpoint", str(checkpoint), "-o", str(tmp_path / "a.glb")]
        )
        == 2
    )
    assert "not found" in capsys.readouterr().err
    assert (
        cli.main(
            ["reconstruct", str(tmp_path / "junk.png"), "--checkpoint", str(checkpoint), "-o", str(tmp_path / "a.xyz")]
        )
        == 2
    )
    assert ".glb" in capsys.readouterr().err
    Image.new("RGB", (32, 32)).save(tmp_path / "black.png")
    assert (
        cli.main(
            ["reconstruct", str(tmp_path / "black.png"), "--checkpoint", str(checkpoint), "-o", str(tmp_path / "a.glb")]
        )
        == 2
    )
    assert "no voxel above the threshold" in capsys.readouterr().err


def test_reproduce_cli_on_a_checkpoint(tmp_path, checkpoint, capsys):
    code = cli.main(
        [
            "reproduce",
            "nearest_neighbour",
            "--checkpoint",
            str(checkpoint),
            "--workdir",
            str(tmp_path),
            "--smoke",
            "--set",
            "num_test=3",
        ]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["metrics"]["num_test"] == 3 and 0.0 <= summary["metrics"]["p"] <= 1.0
    assert (tmp_path / "nearest_neighbour" / "report.md").exists() and (tmp_path / "index.md").exists()
    record = json.loads((tmp_path / "nearest_neighbour" / "result.json").read_text())
    assert record["command"].startswith(f"tf-ivg reproduce nearest_neighbour --checkpoint {checkpoint} --workdir")
    assert record["metrics"] == summary["metrics"] and record["report"] == "report.md"
    model, config = load_with_config(checkpoint)
    assert record["checkpoint"] == {
        "source": str(checkpoint),
        "parameters": model.count_params(),
        "config": "faces_volume/smoke",
        "steps": config["steps"],
        "batch_size": config["batch_size"],
        "data": "ivg_faces/volumes_32_small",
        "finished": True,  # a folder without backup/: the run was not interrupted
    }
    assert cli.main(["reproduce", "all", "--workdir", str(tmp_path)]) == 2
    assert "--checkpoint-dir" in capsys.readouterr().err
