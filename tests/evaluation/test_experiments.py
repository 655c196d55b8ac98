"""Every experiment runs end to end on untrained smoke models and tiny scenes (numbers are meaningless;
we check shapes, ranges and that reports and figures are written)."""

import math

import numpy as np
import pytest
from PIL import Image

from tf_ivg.evaluation.experiments import EXPERIMENTS, reproduce, write_index
from tf_ivg.evaluation.experiments.common import build_untrained

_models = {}


def _model(config):
    """`(model, training config)` of an untrained smoke model."""
    if config not in _models:
        _models[config] = build_untrained(config)
    return _models[config]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("reproduce")


def _run(name, workdir, **overrides):
    spec = EXPERIMENTS[name]
    baseline = _model(spec.baseline_config)[0] if spec.baseline_config else None
    model, config = _model(spec.config)
    result = reproduce(name, model, workdir, baseline=baseline, smoke=True, config=config, **overrides)
    text = result.report.read_text()
    assert text.startswith("# ")
    for figure in result.figures:
        if str(figure).endswith(".png"):
            assert Image.open(figure).format == "PNG"
    return result, text


def _finite(values):
    return all(math.isfinite(v) for v in values)


def test_volume_predictions(workdir):
    result, text = _run("volume_predictions", workdir, threshold=-1e9)  # untrained: every voxel "occupied"
    m = result.metrics
    assert _finite([m["mean_voxel_distance"], m["nearest_neighbour_mean_voxel_distance"]])
    assert 0.0 <= m["voxel_iou"] <= 1.0
    assert m["meshes"] == 2 and len(result.figures) == 5
    assert "Fig 3b" in text
    # the smoke config's training data: its test split, and its first 8 training images (smoke) as the database
    from tf_ivg.data.specs import get_spec

    spec = get_spec(_model("faces_volume")[1]["dataset"])
    assert m["conditions"].startswith(spec.full_name) and m["num_train"] == min(8, spec.num_examples("train"))


def test_nearest_neighbour(workdir):
    result, text = _run("nearest_neighbour", workdir)
    m = result.metrics
    assert 0.0 <= m["p"] <= 1.0 and m["dof"] == 5
    assert _finite([m["t"], m["prediction_mean"], m["neighbour_mean"]])
    assert "21.5945" in text  # the paper's t beside ours
    # the smoke config trains on ivg_faces/volumes_32_small: the test pairs and the database come from it
    assert m["distribution"].startswith("ivg_faces/volumes_32_small") and m["num_train"] == 45
    # baselines: binary neighbour volumes have MSE == mean |difference|; the mean volume is fractional
    assert m["neighbour_mse"] == pytest.approx(m["neighbour_distance"])
    assert m["mean_volume_mse"] < m["mean_volume_distance"]
    methods = ("prediction", "prediction_binarised", "neighbour", "mean_volume", "oracle")
    assert all(0.0 <= m[f"{k}_iou"] <= 1.0 for k in methods)
    assert m["prediction_binarised_mse"] == pytest.approx(m["prediction_binarised_distance"])
    assert m["prediction_binarised_iou"] == pytest.approx(m["prediction_iou"])
    assert set(m["tests"]) == {f"{a}_vs_{b}" for a in methods[:2] for b in ("neighbour", "mean_volume", "oracle")}
    assert "mean training volume" in text and "oracle" in text and "Generalisation" in text
    assert m["generalisation"]["prediction_mse"] >= 0.0


def test_invariance(workdir):
    result, _ = _run("invariance", workdir)
    m = result.metrics
    assert m["layers"][0] == "Image" and "Z" in m["layers"] and m["layers"][-1] == "Volume"
    assert m["Z_shape"] + m["Z_pose"] + m["Z_lighting"] == pytest.approx(1.0)
    # the smoke config trains on a grid: the headline uses its conditions, the full ranges come second
    assert m["conditions"].startswith("ivg_faces/volumes_32_small")
    assert sum(m["generalisation"][f"Z_{c}"] for c in ("shape", "pose", "lighting")) == pytest.approx(1.0)


def test_disentanglement(workdir):
    result, text = _run("disentanglement", workdir)
    m = result.metrics
    assert "Z1 shape" in m["layers"] and "Z2 transformation" in m["layers"]
    assert 0.0 <= m["full_mig"] <= 1.0 and 0.0 <= m["full_dci_disentanglement"] <= 1.0
    assert math.isfinite(m["image_mse"])
    # scored on the grid the smoke config trained on; the full factor ranges are the generalisation table
    assert m["conditions"].startswith("ivg_faces/volumes_32_small") and "Generalisation" in text
    wide = m["generalisation"]
    assert (
        0.0 <= wide["full_mig"] <= 1.0 and {k for k in m if k.startswith(("full_", "transformation_"))} <= wide.keys()
    )
    assert wide["Z1_shape"] + wide["Z1_pose"] + wide["Z1_lighting"] == pytest.approx(1.0)  # Fig 5a's, kept


def test_recognition(workdir):
    result, text = _run("recognition", workdir)
    m = result.metrics
    for key in ("shape_pose", "shape_lighting", "full_pose", "full_lighting"):
        ranks = np.array(m[f"{key}_ranks"])
        assert len(ranks) == 4 and ranks.min() >= 1 and ranks.max() <= m["num_candidates"]
    assert "11.08" in text
    # faces_disentangled's smoke config trains on a grid: its conditions first, the full ranges second
    assert m["conditions"].startswith("ivg_faces/") and "Generalisation" in text
    assert set(m["generalisation"]) == {
        f"{key}_mean_rank" for key in ("shape_pose", "shape_lighting", "full_pose", "full_lighting")
    }


def test_video(workdir):
    result, _ = _run("video", workdir)
    m = result.metrics
    assert 0.0 <= m["p"] <= 1.0 and _finite([m["video_mean"], m["single_mean"]])


def test_chairs_and_code_swap(workdir):
    result, text = _run("chairs", workdir)
    assert result.metrics["threshold"] == 0.2 and 0.0 <= result.metrics["test_voxel_iou"] <= 1.0
    assert 0.0 <= result.metrics["mean_volume_voxel_iou"] <= 1.0
    assert result.metrics["conditions"].startswith("ivg_chairs/volumes_32_small")
    # both baselines on every test image: the mean training volume and the nearest training image's volume
    m = result.metrics
    assert 0.0 <= m["neighbour_voxel_iou"] <= 1.0 and m["neighbour_mean_voxel_distance"] >= 0.0
    assert (
        0 <= m["model_vs_neighbour_iou"]["wins"] <= m["num_test"]
        and m["model_vs_neighbour_iou"]["dof"] == m["num_test"] - 1
    )
    assert 1 <= m["num_test_chairs"] <= m["num_test"] and "never seen in training" in text
    result, _ = _run("code_swap", workdir)
    assert math.isfinite(result.metrics["swap_mse"])
    assert result.metrics["conditions"].startswith("ivg_chairs/volumes_32_small")  # the poses it trained on


def test_dcign_experiments(workdir):
    result, _ = _run("traversals", workdir)
    assert result.metrics["factors"] == ["azimuth", "elevation", "light"] and len(result.figures) == 3
    result, _ = _run("latent_factors", workdir)
    m = result.metrics
    assert all(-1.0 <= m[f"{f}_pearson_r"] <= 1.0 for f in ("azimuth", "elevation", "light"))
    assert 0.0 <= m["mig"] <= 1.0
    result, _ = _run("entangled_baseline", workdir)
    assert 0.0 <= result.metrics["p"] <= 1.0 and result.metrics["baseline_novel_view_mse"] >= 0.0
    result, text = _run("dcign_chairs", workdir)
    assert result.metrics["test_mse"] >= 0.0 and "0.0002772" in text
    write_index(workdir, {"dcign_chairs": result, "video": "skipped: missing x"})
    assert "dcign_chairs/report.md" in (workdir / "index.md").read_text()


def test_dcign_chairs_scores_the_training_datasets_test_chairs(workdir):
    from tf_ivg.data.specs import get_spec
    from tf_ivg.evaluation.experiments.dcign_chairs import chair_poses

    model, config = _model("dcign_chairs")
    config = dict(config, source="tfds", dataset="ivg_chairs/dcign_32_small")  # 30 azimuths x 2 elevations
    result = reproduce("dcign_chairs", model, workdir, smoke=True, config=config)
    m = result.metrics
    assert m["num_test"] == 60 and m["conditions"].startswith("ivg_chairs/dcign_32_small")  # one whole chair
    assert 0.0 < m["mean_image_at_pose_mse"] and 0.0 < m["mean_image_mse"] and m["test_mse_sd"] >= 0.0
    spec = get_spec("ivg_chairs/dcign_32_small")
    test, train = chair_poses(spec, "test", 1), chair_poses(spec, "train", 1)
    assert test.shape == (60, 32, 32, 1) and not np.array_equal(test, train)
    with pytest.raises(ValueError, match="has 8 test chairs; asked for 9"):
        chair_poses(spec, "test", 9)


def test_wrong_model_kind_and_missing_baseline(workdir):
    with pytest.raises(ValueError, match="needs a volume_ign model"):
        reproduce("invariance", _model("dcign_faces")[0], workdir, smoke=True)
    with pytest.raises(ValueError, match="second model"):
        reproduce("video", _model("faces_video")[0], workdir, smoke=True)
    with pytest.raises(ValueError, match="unknown experiment"):
        reproduce("nope", None, workdir)
