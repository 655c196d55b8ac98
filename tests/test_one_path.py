"""One path per job: `tf_ivg.build(config)`, `tf_ivg.train(config, workdir)`, `tf_ivg.load(source)`."""

import json

import keras
import numpy as np
import pytest

import tf_ivg
from tf_ivg import checkpoints, configs, pretrained


def test_package_exposes_the_three_functions_lazily():
    assert {"build", "train", "load"} <= set(dir(tf_ivg))
    assert tf_ivg.load is tf_ivg.checkpoints.load
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        tf_ivg.nope  # noqa: B018


@pytest.mark.parametrize("name", ["faces_volume", "dcign_faces"])
def test_build_gives_a_compiled_model_with_variables(name):
    model = tf_ivg.build(configs.get_config(name, "smoke"))
    assert model.optimizer is not None and model.count_params() > 0


def test_build_rejects_a_bad_config():
    config = configs.get_config("faces_volume", "smoke")
    config["model_config"]["shape_codez"] = 3
    with pytest.raises(ValueError, match="shape_codez"):
        tf_ivg.build(config)
    with pytest.raises(ValueError, match="lacks required keys"):
        tf_ivg.build({"name": "x"})


def test_load_takes_a_pretrained_name_a_file_and_a_workdir(tmp_path):
    assert "faces_volume_32" in pretrained.names()
    model, config = tf_ivg.load_with_config("faces_volume_32")
    assert model.volume_size == 32 and config == pretrained.info()["config"]
    images = np.random.default_rng(0).uniform(size=(2, 32, 32, 3)).astype(np.float32)
    expected = np.asarray(model.reconstruct(images))

    workdir = tmp_path / "run"
    workdir.mkdir()
    model.save(workdir / "model.keras")
    (workdir / "config.json").write_text(json.dumps({"name": "copied"}))
    for source in (workdir, workdir / "model.keras", str(workdir)):
        loaded, loaded_config = tf_ivg.load_with_config(source)
        np.testing.assert_allclose(np.asarray(loaded.reconstruct(images)), expected, atol=1e-6)
        assert loaded_config == {"name": "copied"}


def test_load_errors_say_what_was_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match="neither a pretrained model name"):
        tf_ivg.load(tmp_path / "missing.keras")
    with pytest.raises(FileNotFoundError, match="without model.keras"):
        tf_ivg.load(tmp_path)
    (tmp_path / "weights.h5").write_bytes(b"x")
    with pytest.raises(ValueError, match="not a .keras file"):
        tf_ivg.load(tmp_path / "weights.h5")
    (tmp_path / "garbage.keras").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a Keras model file"):
        tf_ivg.load(tmp_path / "garbage.keras")
    with pytest.raises(FileNotFoundError, match="no pretrained model named 'nope'"):
        pretrained.load("nope")


def test_train_then_load_the_workdir(tmp_path):
    config = configs.get_config("faces_volume", "small")
    config["model_config"].update(encoder_filters=[4, 4, 4], stn_filters=2, fc_units=8, shape_code=4)
    config["model_config"].update(volume_filters=[4, 4, 4])
    config.update(generated_examples=16, generated_validation_examples=16, steps_per_epoch=2, validation_steps=1)
    model, history = tf_ivg.train(config, str(tmp_path), steps=3, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 3 and len(history.history["loss"]) == 2
    loaded, saved = tf_ivg.load_with_config(tmp_path, compile=True)
    assert saved["steps"] == 3 and saved["optimizer"]["learning_rate"]["config"]["decay_steps"] == 3
    images = np.zeros((1, 32, 32, 3), np.float32)
    np.testing.assert_allclose(np.asarray(loaded.reconstruct(images)), np.asarray(model.reconstruct(images)), atol=1e-6)
    assert isinstance(loaded.optimizer, keras.optimizers.Adam)


def test_describe_tells_an_interrupted_workdir_and_a_pretrained_model(tmp_path):
    class Counted:
        def count_params(self):
            return 1234

    config = {"name": "faces_volume", "variant": "small", "steps": 50, "batch_size": 4, "dataset": "generated/faces"}
    config["generated_examples"] = 300
    (tmp_path / "backup").mkdir()
    described = checkpoints.describe(tmp_path, Counted(), config)
    assert described["finished"] is False and described["data"] == "generated/faces (300 pairs)"
    assert described["parameters"] == 1234 and described["config"] == "faces_volume/small"
    assert checkpoints.describe("faces_volume_32", Counted(), config)["finished"] is True
    assert checkpoints.describe(tmp_path / "model.keras", Counted(), None)["finished"] is None
