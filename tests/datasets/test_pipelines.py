"""Generated configs on disk: interrupted builds, tf.data pipelines, determinism, disjoint splits."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

import tf_ivg_datasets  # noqa: F401
from tf_ivg.data import dcign_groups, examples, specs, volume_pairs
from tf_ivg.data.build import build, incomplete_dirs

CHAIRS = "ivg_chairs/volumes_32_small"
FACES_GROUPS = "ivg_faces/dcign_32_small"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """Starts `tf-ivg generate`, kills it mid-build, checks nothing looks finished, then completes it."""
    root = str(tmp_path_factory.mktemp("tfds"))
    proc = subprocess.Popen([sys.executable, "-m", "tf_ivg.cli", "generate", CHAIRS, "--data-dir", root],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    config_dir = os.path.join(root, "ivg_chairs", "volumes_32_small")
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if os.path.isdir(config_dir) and any("incomplete" in d for d in os.listdir(config_dir)):
            break
        time.sleep(0.2)
    assert proc.poll() is None, "generate finished before it could be interrupted"
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    builder = tfds.builder(CHAIRS, data_dir=root)
    assert not builder.is_prepared()
    assert incomplete_dirs(builder), os.listdir(config_dir)
    with pytest.raises(FileNotFoundError, match=CHAIRS):
        volume_pairs(CHAIRS, "train", data_dir=root)
    build(CHAIRS, root)  # running again completes it and removes the leftovers
    assert tfds.builder(CHAIRS, data_dir=root).is_prepared()
    assert not incomplete_dirs(builder)
    build(FACES_GROUPS, root)
    return root


def test_volume_pairs_pipeline(data_dir):
    ds = volume_pairs(CHAIRS, "validation", data_dir=data_dir)
    assert ds.element_spec[0].shape == (32, 32, 3) and ds.element_spec[1].shape == (32, 32, 32)
    images, volumes = zip(*ds.as_numpy_iterator())
    assert len(images) == 16
    assert images[0].dtype == np.float32 and 0 <= np.min(images) and np.max(images) <= 1
    assert set(np.unique(volumes)) == {0.0, 1.0}


def test_dcign_groups_pipeline_single_factor(data_dir):
    ds = dcign_groups(FACES_GROUPS, "train", data_dir=data_dir)
    assert ds.element_spec[0].shape == (8, 32, 32, 1) and ds.element_spec[1].dtype == tf.int32
    seen = set()
    for images, factor_id, factors in ds.as_numpy_iterator():
        seen.add(int(factor_id))
        varying = {k for k, v in factors.items() if len(np.unique(v)) > 1}
        name = {0: "azimuth", 1: "elevation", 2: "light", 3: "identity"}[int(factor_id)]
        assert varying == {name}, (factor_id, varying)
    assert seen == {0, 1, 2, 3}


def test_stored_examples_are_byte_identical_to_regenerated(data_dir):
    spec = specs.get_spec(CHAIRS)
    fresh = dict(examples.iter_examples(spec, "test", 0, 8))
    stored = tfds.builder(CHAIRS, data_dir=data_dir).as_dataset(split="test").as_numpy_iterator()
    by_identity = {}
    for ex in stored:
        by_identity[(int(ex["label_identity"]), int(ex["label_azimuth"]))] = ex
    for key, ex in fresh.items():
        other = by_identity[(int(ex["label_identity"]), int(ex["label_azimuth"]))]
        np.testing.assert_array_equal(other["image"], ex["image"])
        np.testing.assert_array_equal(other["volume"], ex["volume"])


def test_identities_disjoint_between_splits(data_dir):
    ids = {}
    for split in specs.SPLITS:
        ds = tfds.builder(FACES_GROUPS, data_dir=data_dir).as_dataset(split=split)
        ids[split] = set(np.concatenate([ex["label_identity"] for ex in ds.as_numpy_iterator()]).tolist())
    assert ids["train"] and not ids["train"] & ids["test"] and not ids["train"] & ids["validation"]
    assert not ids["validation"] & ids["test"]


def test_video_examples_turn_profile_to_profile():
    spec = specs.get_spec("ivg_faces/video_32_small")
    (_, ex), = list(examples.iter_examples(spec, "test", 0, 1))
    assert ex["image"].shape == (5, 32, 32, 3) and ex["volume"].shape == (32, 32, 32)
    np.testing.assert_allclose(ex["value_azimuth"], np.linspace(-np.pi / 2, np.pi / 2, 5), atol=1e-6)


@pytest.mark.parametrize("call", [
    lambda d: volume_pairs("ivg_faces/volumes_81", "train", data_dir=d),
    lambda d: volume_pairs(CHAIRS, "holdout", data_dir=d),
    lambda d: volume_pairs(FACES_GROUPS, "train", data_dir=d),
    lambda d: dcign_groups(CHAIRS, "train", data_dir=d),
    lambda d: specs.DatasetSpec(family="faces", name="x", kind="volumes", image_size=0, volume_size=8,
                                splits=(1, 1, 1), azimuths=(0.0,), ambients=(0.5,)),
    lambda d: specs.DatasetSpec(family="faces", name="x", kind="volumes", image_size=8, volume_size=8,
                                splits=(1, 1, 1), azimuths=(4.0,), ambients=(0.5,)),
    lambda d: specs.DatasetSpec(family="faces", name="x", kind="volumes", image_size=8, volume_size=8,
                                splits=(1, 1, 1), azimuths=(0.0,), ambients=(1.5,)),
    lambda d: specs.DatasetSpec(family="faces", name="x", kind="dcign", image_size=8, group_size=10,
                                splits=(1, 1, 1), identities=(5, 20, 20)),
])
def test_bad_names_and_specs(call, tmp_path):
    with pytest.raises(ValueError):
        call(str(tmp_path))


def test_generate_cli_rejects_unknown_config(capsys):
    from tf_ivg.cli import main

    assert main(["generate", "ivg_faces/nope", "--data-dir", "/nonexistent"]) == 2
    assert "unknown dataset config" in capsys.readouterr().err
