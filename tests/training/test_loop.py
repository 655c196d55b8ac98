"""`tf-ivg train` machinery on the VolumeIGN smoke config with generated faces (tf_ivg.data)."""

import glob
import json
import os
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf_ivg import cli
from tf_ivg.checkpoints import load_with_config
from tf_ivg.configs import get_config
from tf_ivg.training import loop, volume_task
from tf_ivg.utils.files import write_json


def _config(steps, steps_per_epoch, **overrides):
    config = get_config("faces_volume", "smoke")
    config.update(
        dataset="generated/faces",
        generated_examples=32,
        generated_validation_examples=8,
        steps=steps,
        steps_per_epoch=steps_per_epoch,
        validation_steps=1,
    )
    config.update(overrides)
    return config


def _image_tags(log_dir):
    tags = set()
    for path in glob.glob(os.path.join(log_dir, "images", "events.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            tags.update(value.tag for value in event.summary.value)
    return tags


def test_smoke_config_trains_on_generated_data_and_writes_the_workdir(tmp_path):
    workdir = str(tmp_path / "run")
    model, history = loop.train(_config(steps=16, steps_per_epoch=4), workdir, verbose=0)
    volume_mse = history.history["volume_mse"]
    assert len(volume_mse) == 4
    assert volume_mse[-1] <= 0.7 * volume_mse[0], volume_mse  # falls by at least 30%
    assert int(model.optimizer.iterations) == 16

    with open(os.path.join(workdir, "config.json")) as f:
        saved = json.load(f)
    assert saved["steps"] == 16 and saved["epochs"] == 4 and saved["dataset"] == "generated/faces"
    assert saved["replicas"] == 1 and saved["strategy_class"].endswith("Strategy")
    assert not [name for name in os.listdir(workdir) if name.startswith(".")]  # no temporary files left
    assert not os.path.exists(os.path.join(workdir, "backup"))  # a finished run leaves no backup
    assert glob.glob(os.path.join(workdir, "logs", "train", "events.*"))
    assert {"input", "volume/target_silhouette", "volume/predicted_silhouette"} <= _image_tags(
        os.path.join(workdir, "logs")
    )

    loaded, config = load_with_config(workdir, compile=True)
    images = np.random.default_rng(0).uniform(size=(2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(
        np.asarray(loaded.reconstruct(images)), np.asarray(model.reconstruct(images)), rtol=1e-5, atol=1e-6
    )
    assert config == saved

    # Running it again leaves the finished run alone: no training, the file untouched, its weights returned.
    before = (tmp_path / "run" / "model.keras").read_bytes()
    again, history = loop.train(_config(steps=16, steps_per_epoch=4), workdir, verbose=0)
    assert history is None and (tmp_path / "run" / "model.keras").read_bytes() == before
    np.testing.assert_allclose(
        np.asarray(again.reconstruct(images)), np.asarray(model.reconstruct(images)), rtol=1e-5, atol=1e-6
    )
    with pytest.raises(ValueError, match="finished after 16 steps; it cannot be extended to 20"):
        loop.train(_config(steps=20, steps_per_epoch=4), workdir, verbose=0)
    with pytest.raises(ValueError, match="finished run with a different 'batch_size'"):
        loop.train(_config(steps=16, steps_per_epoch=4, batch_size=2), workdir, verbose=0)


class _Kill(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt("simulated kill")


def test_killed_run_resumes_where_it_stopped(tmp_path):
    workdir = str(tmp_path / "run")
    config = _config(
        steps=4,
        steps_per_epoch=2,
        model_config={**get_config("faces_disentangled", "smoke")["model_config"], "switch_every": 1},
    )
    config.update(model_config={**config["model_config"], "fc_units": 0}, validation_steps=0)
    with pytest.raises(KeyboardInterrupt):
        loop.train(config, workdir, verbose=0, callbacks=[_Kill()])
    assert os.path.isdir(os.path.join(workdir, "backup")) and os.path.isfile(os.path.join(workdir, "model.keras"))
    first, _ = load_with_config(workdir, compile=True)
    assert int(first.optimizer.iterations) == 2

    model, history = loop.train(config, workdir, verbose=0)
    assert len(history.history["loss"]) == 1  # only the epoch that was left
    assert int(model.optimizer.iterations) == 4
    # the schedule kept its phase: 2 volume and 2 image batches in all
    assert int(model.volume_optimizer.iterations) == 2 and int(model.image_optimizer.iterations) == 2
    assert not os.path.exists(os.path.join(workdir, "backup"))


def test_an_unloadable_backup_says_what_to_do_and_restart_discards_it(tmp_path, capsys):
    workdir = tmp_path / "run"
    config = _config(steps=4, steps_per_epoch=2, validation_steps=0)
    with pytest.raises(KeyboardInterrupt):
        loop.train(config, str(workdir), verbose=0, callbacks=[_Kill()])
    weights = workdir / "backup" / "weights.weights.h5"
    assert weights.is_file() and not list((workdir / "backup").glob(".*"))  # no temporary file left behind
    weights.write_bytes(weights.read_bytes()[:1000])  # as a kill in the middle of a non-atomic write would
    path = workdir / "config.json"
    assert cli.main(["train", str(path), "--workdir", str(workdir), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and re.search("cannot be loaded .*rerun with --restart", err[0]), err
    model, history = loop.train(config, str(workdir), verbose=0, restart=True)
    assert int(model.optimizer.iterations) == 4 and len(history.history["loss"]) == 2
    assert not (workdir / "backup").exists()


def test_resuming_with_a_different_model_is_refused(tmp_path):
    workdir = tmp_path / "run"
    (workdir / "backup").mkdir(parents=True)
    write_json(str(workdir / "config.json"), _config(steps=2, steps_per_epoch=2))
    other = _config(steps=2, steps_per_epoch=2)
    other["model_config"]["shape_code"] = 7
    with pytest.raises(ValueError, match="model_config"):
        loop.train(other, str(workdir), verbose=0)


@pytest.mark.parametrize(
    "change, error, message",
    [
        (dict(model="gan"), ValueError, "unknown model"),
        (dict(batch_size=0), ValueError, "batch_size"),
        (dict(optimizer={"learning_rate": 0.1}), ValueError, "class_name"),
        (dict(optimizer={"class_name": "nosuchopt"}), ValueError, "nosuchopt"),
        (dict(model_config={"image_size": 32, "colour": True}), ValueError, "colour"),
    ],
)
def test_bad_configs_fail_before_training(tmp_path, change, error, message):
    config = {**_config(steps=2, steps_per_epoch=2), **change}
    with pytest.raises(error, match=message):
        loop.train(config, str(tmp_path / "run"), verbose=0)
    assert not os.path.exists(tmp_path / "run" / "model.keras")


def test_data_model_shape_mismatch_fails_before_training(tmp_path, monkeypatch):
    def wrong_volumes(config, data_dir=None):
        ds = tf.data.Dataset.from_tensors((tf.zeros([32, 32, 3]), tf.zeros([16, 16, 16]))).repeat().batch(8)
        return ds, None

    monkeypatch.setattr(volume_task, "make_datasets", wrong_volumes)
    with pytest.raises(ValueError, match=r"volumes of shape \(16, 16, 16\).*expects \(32, 32, 32\)"):
        loop.train(_config(steps=2, steps_per_epoch=2), str(tmp_path / "run"), verbose=0)
    assert not os.path.exists(tmp_path / "run" / "model.keras")
    spec = (tf.TensorSpec([None, 40, 40, 3]), tf.TensorSpec([None, 32, 32, 32]))
    with pytest.raises(ValueError, match=r"images of shape \(40, 40, 3\)"):
        volume_task.check_compatible(_config(2, 2), spec)


def test_missing_tfds_dataset_is_a_file_not_found_error(tmp_path):
    config = _config(steps=2, steps_per_epoch=2)
    config["dataset"] = "ivg_faces/volumes_32_small"
    with pytest.raises(FileNotFoundError, match="ivg_faces/volumes_32_small"):
        volume_task.make_datasets(config, data_dir=str(tmp_path / "empty"))


def test_cli_train_runs_a_json_config_and_reports_errors(tmp_path, capsys):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(_config(steps=2, steps_per_epoch=2, validation_steps=0)))
    workdir = tmp_path / "run"
    assert cli.main(["train", str(path), "--workdir", str(workdir), "--steps", "2", "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["workdir"] == str(workdir) and np.isfinite(report["final_metrics"]["loss"])
    assert (workdir / "model.keras").is_file()
    assert cli.main(["train", "no_such_config", "--workdir", str(workdir)]) == 2
    assert "unknown config" in capsys.readouterr().err


def test_generated_video_data_gives_rotating_clips():
    config = get_config("faces_video", "smoke")
    config.update(dataset="generated/faces", generated_examples=2, generated_validation_examples=2, batch_size=2)
    train, _ = volume_task.make_datasets(config)
    clips, volumes = next(iter(train))
    assert tuple(clips.shape) == (2, 5, 32, 32, 3) and tuple(volumes.shape) == (2, 32, 32, 32)
    clips = clips.numpy()
    # the left and the right profile of the same face differ
    assert np.abs(clips[:, 0] - clips[:, 4]).mean() > 0.02
    volume_task.check_compatible(config, train.element_spec)


def test_single_image_config_on_a_video_dataset_trains_on_every_frame(monkeypatch):
    """faces_video single_long4 (paper 4.7's baseline): each frame of a clip becomes one pair with the clip's volume."""
    clips = np.arange(3 * 5, dtype=np.float32).reshape(3, 5, 1, 1, 1) * np.ones([1, 1, 32, 32, 3], np.float32)
    volumes = np.arange(3, dtype=np.float32).reshape(3, 1, 1, 1) * np.ones([1, 32, 32, 32], np.float32)

    def video_pairs(name, split, data_dir=None):
        assert name == "ivg_faces/video_32_small"
        return tf.data.Dataset.from_tensor_slices((clips, volumes))

    monkeypatch.setattr("tf_ivg.data.volume_pairs", video_pairs)
    config = get_config("faces_video", "single_long4")
    assert config["model_config"]["frames"] == 1 and get_config("faces_video", "long4")["model_config"]["frames"] == 5
    config.update(dataset="ivg_faces/video_32_small", batch_size=5, shuffle_buffer=1)
    config["model_config"] = dict(config["model_config"], image_size=32, volume_size=32)
    train, val = volume_task.make_datasets(config)
    volume_task.check_compatible(config, train.element_spec)
    frames, targets = next(iter(val))
    assert tuple(frames.shape) == (5, 32, 32, 3) and tuple(targets.shape) == (5, 32, 32, 32)
    np.testing.assert_array_equal(frames.numpy()[:, 0, 0, 0], [0, 1, 2, 3, 4])  # clip 0's five frames in turn
    np.testing.assert_array_equal(targets.numpy()[:, 0, 0, 0], [0] * 5)  # each with clip 0's volume
    video = dict(config, model_config=dict(config["model_config"], frames=5))
    clips_batch, _ = next(iter(volume_task.make_datasets(video)[1]))
    assert tuple(clips_batch.shape) == (5, 5, 32, 32, 3)  # a video config still reads whole clips


def test_runs_exactly_the_configured_steps_and_the_decay_follows_them(tmp_path):
    schedule = {
        "module": "keras.optimizers.schedules",
        "class_name": "CosineDecay",
        "config": {"initial_learning_rate": 1e-3, "decay_steps": 5000, "alpha": 0.05},
    }
    config = _config(
        steps=5, steps_per_epoch=2, validation_steps=0, optimizer={"class_name": "adam", "learning_rate": schedule}
    )
    resolved = loop.resolve_config(config)
    assert resolved["epochs"] == 3 and resolved["optimizer"]["learning_rate"]["config"]["decay_steps"] == 5
    model, history = loop.train(config, str(tmp_path / "run"), verbose=0)
    assert int(model.optimizer.iterations) == 5  # not 6: the last epoch stops after one step
    assert len(history.history["loss"]) == 3
