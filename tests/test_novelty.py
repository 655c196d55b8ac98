"""In-distribution checks: the InputNovelty layer against scikit-learn, fitting, saving, and the
`reconstruct --strict` exit codes with a smoke model."""

import json

import keras
import numpy as np
import pytest
from PIL import Image

import tf_ivg
from tf_ivg import cli, novelty
from tf_ivg.data.scenes import Scenes
from tf_ivg.layers.input_novelty import InputNovelty


def _smoke_model():
    return tf_ivg.build(tf_ivg.configs.get_config("faces_volume", "smoke"))


@pytest.fixture(scope="module")
def faces():
    """Procedural faces at the smoke size: `(training [96, 32, 32, 3], held_out [48, ...], test [16, ...])`."""
    scenes = Scenes("faces", image_size=32)
    return tuple(scenes.pairs(n, seed=seed)[0] for n, seed in ((96, 10), (48, 11), (16, 12)))


@pytest.fixture(scope="module")
def fitted(faces):
    training, held_out, _ = faces
    return novelty.with_novelty(_smoke_model(), training, held_out, quantile=0.95)


def test_layer_is_the_mahalanobis_distance_of_scikit_learn():
    from sklearn.covariance import LedoitWolf

    rng = np.random.default_rng(0)
    codes = rng.normal(size=(200, 6)) @ rng.normal(size=(6, 6)) + 3.0
    gaussian = LedoitWolf().fit(codes)
    layer = InputNovelty(6)
    layer.set_statistics(gaussian.location_, gaussian.precision_, threshold=2.0)
    queries = rng.normal(size=(5, 6)) * 4
    np.testing.assert_allclose(np.asarray(layer(queries)) * 6, gaussian.mahalanobis(queries), rtol=1e-4)
    # a hand-worked case: identity precision, mean 1 -> |z - 1|^2 / K
    layer.set_statistics(np.ones(6), np.eye(6), threshold=1.0)
    np.testing.assert_allclose(layer(np.array([[1, 1, 1, 1, 1, 3.0]])), [4.0 / 6], rtol=1e-6)


def test_layer_keras_round_trip(tmp_path):
    from tests.keras_contract import assert_keras_round_trip

    layer = InputNovelty(4, name="novelty_contract")
    layer.set_statistics(np.arange(4.0), np.diag([1.0, 2.0, 3.0, 4.0]), threshold=1.5)
    assert_keras_round_trip(layer, [np.random.default_rng(1).normal(size=(3, 4)).astype(np.float32)], tmp_path)


def test_layer_rejects_bad_statistics():
    layer = InputNovelty(3)
    assert not layer.is_fitted
    with pytest.raises(ValueError, match="positive definite"):
        layer.set_statistics(np.zeros(3), -np.eye(3), 1.0)
    with pytest.raises(ValueError, match=r"precision must be \[3, 3\]"):
        layer.set_statistics(np.zeros(3), np.eye(2), 1.0)
    with pytest.raises(ValueError, match="finite"):
        layer.set_statistics(np.zeros(3), np.eye(3), float("nan"))
    with pytest.raises(ValueError, match="features must be a positive int"):
        InputNovelty(0)


def test_fit_sets_the_threshold_at_the_held_out_quantile(faces):
    training, held_out, _ = faces
    model = _smoke_model()
    codes = lambda x: np.asarray(model.encode(x)[0])  # noqa: E731
    fit = novelty.fit_statistics(codes(training), codes(held_out), quantile=0.9)
    assert fit["threshold"] == pytest.approx(np.quantile(fit["held_out_novelty"], 0.9))
    assert (fit["held_out_novelty"] > fit["threshold"]).mean() == pytest.approx(0.1, abs=1 / len(held_out))
    with pytest.raises(ValueError, match="quantile must be in"):
        novelty.fit_statistics(codes(training), codes(held_out), quantile=1.0)


def test_separates_faces_from_noise_even_untrained(fitted, faces):
    """An untrained smoke encoder's codes already tell procedural faces from noise (not from a black image:
    that takes the trained encoder, see tests/pretrained)."""
    model, _ = fitted
    outliers = {k: v for k, v in novelty.reference_outliers(32, noise_images=4).items() if k.startswith("noise")}
    report = novelty.evaluate(model, faces[2], outliers)
    assert report["detection_rate"] == 1.0, report["outlier_novelty"]
    # every noise image scores above every held-out face (96 training faces are too few for a tight threshold)
    lowest_noise = min(v["novelty"] for v in report["outlier_novelty"].values())
    assert lowest_noise > report["in_distribution_novelty"]["1.0"], report


def test_model_without_statistics_refuses_to_score():
    model = _smoke_model()
    assert not model.has_novelty
    with pytest.raises(ValueError, match="with_novelty"):
        model.novelty(np.zeros((1, 32, 32, 3), np.float32))
    unfitted = tf_ivg.models.VolumeIGN(**{**model.get_config(), "novelty": True, "name": "unfitted"})
    assert unfitted.input_novelty is not None and not unfitted.has_novelty
    with pytest.raises(ValueError, match="novelty must be True or False"):
        tf_ivg.models.VolumeIGN(**{**model.get_config(), "novelty": 1})


def test_round_trips_through_keras_files(fitted, faces, tmp_path):
    model, _ = fitted
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.has_novelty and loaded.novelty_threshold == pytest.approx(model.novelty_threshold)
    np.testing.assert_allclose(loaded.novelty(faces[2]), model.novelty(faces[2]), rtol=1e-5)
    np.testing.assert_allclose(loaded.reconstruct(faces[2][:2]), model.reconstruct(faces[2][:2]), atol=1e-6)


def test_with_novelty_checks_its_inputs(faces):
    with pytest.raises(ValueError, match=r"training_images must be \[N, 32, 32, 3\]"):
        novelty.with_novelty(_smoke_model(), faces[0][..., :1], faces[1])
    dcign = tf_ivg.build(tf_ivg.configs.get_config("dcign_faces", "smoke"))
    with pytest.raises(ValueError, match="takes a VolumeIGN"):
        novelty.with_novelty(dcign, faces[0], faces[1])


def _save(path, image):
    Image.fromarray((np.asarray(image) * 255).round().astype(np.uint8)).save(path)
    return str(path)


def test_reconstruct_reports_warns_and_strict_exits_2(fitted, faces, tmp_path, capsys):
    model, _ = fitted
    model.save(tmp_path / "m.keras")
    face = _save(tmp_path / "face.png", faces[2][0])
    noise = _save(tmp_path / "noise.png", np.random.default_rng(3).uniform(size=(32, 32, 3)))
    common = ["--checkpoint", str(tmp_path / "m.keras"), "--threshold=-1e9"]

    assert cli.main(["reconstruct", face, noise, "-o", str(tmp_path / "out.obj"), *common]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert [r["in_distribution"] for r in report] == [True, False]
    assert report[1]["novelty"] > report[1]["novelty_threshold"] > report[0]["novelty"]
    assert "noise.png does not look like this model's training images" in captured.err
    assert "face.png" not in captured.err

    assert cli.main(["reconstruct", face, noise, "-o", str(tmp_path / "strict.obj"), "--strict", *common]) == 2
    assert "nothing written" in capsys.readouterr().err
    assert not list(tmp_path.glob("strict*"))
    assert cli.main(["reconstruct", face, "-o", str(tmp_path / "ok.obj"), "--strict", *common]) == 0
    assert (tmp_path / "ok.obj").is_file()


def test_strict_needs_statistics(tmp_path, faces, capsys):
    _smoke_model().save(tmp_path / "plain.keras")
    face = _save(tmp_path / "face.png", faces[2][0])
    args = ["reconstruct", face, "-o", str(tmp_path / "a.obj"), "--checkpoint", str(tmp_path / "plain.keras")]
    assert cli.main([*args, "--strict"]) == 2
    assert "--strict needs a model with in-distribution statistics" in capsys.readouterr().err
