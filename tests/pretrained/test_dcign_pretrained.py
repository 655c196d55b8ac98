"""The shipped DC-IGN (`dcign_faces_64`): it loads in a fresh process, its recorded test figures match a
re-evaluation on a few of the same groups, and `tf-ivg rerender` uses it by default."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tf_ivg import cli, pretrained
from tf_ivg.data import make_dcign_group
from tf_ivg.latent_factors import factor_scores

NAME = "dcign_faces_64"
REEVALUATED_GROUPS = 4


@pytest.fixture(scope="module")
def model():
    return pretrained.load(NAME)


@pytest.fixture(scope="module")
def info():
    return pretrained.info(NAME)


def test_shipped_files_describe_the_model(info):
    assert NAME in pretrained.names()
    assert pretrained.model_path(NAME).stat().st_size == info["file_bytes"] < 5 * 2**20
    assert info["command"].startswith(f"python -m tf_ivg.pretrained.build {NAME}")
    assert info["data"]["test_identities_disjoint_from_train"]
    assert set(info["calibration"]) == {"azimuth", "elevation", "light"}
    assert len(info["training"]["validation_loss_by_step"]) >= 8


def test_loads_in_a_fresh_process_as_float32(info):
    code = (
        "import json, tf_ivg; m = tf_ivg.load('dcign_faces_64'); "
        "print(json.dumps([m.count_params(), sorted({str(w.dtype) for w in m.weights if w.trainable})]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    count, dtypes = json.loads(out.stdout.strip().splitlines()[-1])
    assert count == info["parameters"] and dtypes == ["float32"]


def test_recorded_factor_scores_match_a_reevaluation(model, info):
    """The first groups of the record's test groups (same seeds), scored again: each factor's r agrees with
    the recorded one (over 25 groups) within what 4 groups' sampling allows."""
    again = factor_scores(model, num_groups=REEVALUATED_GROUPS, group_size=20, seed=info["data"]["test_seed"])
    for factor, recorded in info["test"]["factors"].items():
        r = recorded["pearson_r"]
        tolerance = max(0.05, 4 * (1 - r**2) / np.sqrt(REEVALUATED_GROUPS * 20))
        assert again[factor]["pearson_r"] == pytest.approx(r, abs=tolerance), factor
        assert again[factor]["latent"] == recorded["latent"]


def test_cli_rerenders_with_the_pretrained_model_by_default(tmp_path, model, capsys):
    images, _, factors = make_dcign_group("azimuth", 2, 64, seed=4321)
    Image.fromarray((images[0, ..., 0] * 255).round().astype(np.uint8)).save(tmp_path / "face.png")
    out = tmp_path / "turned.png"
    assert cli.main(["rerender", str(tmp_path / "face.png"), "--azimuth", "0.5", "-o", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["checkpoint"] == NAME and report["factors"] == {"azimuth": 0.5}
    assert np.asarray(Image.open(out)).shape[:2] == (64, 64)
