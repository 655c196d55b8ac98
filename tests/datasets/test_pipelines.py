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
CHAIR_POSES = "ivg_chairs/dcign_32_small"
NAMES = {0: "azimuth", 1: "elevation", 2: "light", 3: "identity"}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """Starts `tf-ivg generate`, kills it mid-build, checks nothing looks finished, then completes it."""
    root = str(tmp_path_factory.mktemp("tfds"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tf_ivg.cli", "generate", CHAIRS, "--data-dir", root],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    config_dir = os.path.join(root, "ivg_chairs", "volumes_32_small")
    started = False
    deadline = time.time() + 900  # the child imports TensorFlow first: minutes on a loaded 2-core machine
    while time.time() < deadline and proc.poll() is None and not started:
        started = os.path.isdir(config_dir) and any("incomplete" in d for d in os.listdir(config_dir))
        time.sleep(0.2)
    assert proc.poll() is None, "generate finished before it could be interrupted"
    assert started, "generate wrote no incomplete folder within 900 s"
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
    build(CHAIR_POSES, root)
    return root


def test_volume_pairs_pipeline(data_dir):
    ds = volume_pairs(CHAIRS, "validation", data_dir=data_dir)
    assert ds.element_spec[0].shape == (32, 32, 3) and ds.element_spec[1].shape == (32, 32, 32)
    images, volumes = zip(*ds.as_numpy_iterator())
    assert len(images) == 16
    assert images[0].dtype == np.float32 and 0 <= np.min(images) and np.max(images) <= 1
    assert set(np.unique(volumes)) == {0.0, 1.0}


def test_pipelines_never_cache_decoded_examples_in_memory(data_dir):
    """tfds would auto-cache these small-on-disk datasets decoded; for ivg_faces/volumes_80 that is ~8.5 GB."""
    for ds in (volume_pairs(CHAIRS, "train", data_dir=data_dir), dcign_groups(FACES_GROUPS, "train", data_dir)):
        graph = tf.raw_ops.DatasetToGraphV2(input_dataset=ds._variant_tensor).numpy()
        assert b"TFRecordDataset" in graph and b"CacheDataset" not in graph


def test_dcign_groups_pipeline_single_factor(data_dir):
    ds = dcign_groups(FACES_GROUPS, "train", data_dir=data_dir)
    assert ds.element_spec[0].shape == (8, 32, 32, 1) and ds.element_spec[1].dtype == tf.int32
    seen = set()
    for _images, factor_id, factors in ds.as_numpy_iterator():
        seen.add(int(factor_id))
        varying = {k for k, v in factors.items() if len(np.unique(v)) > 1}
        assert varying == {NAMES[int(factor_id)]}, (factor_id, varying)
    assert seen == {0, 1, 2, 3}


def test_chair_poses_examples_cover_the_grid(data_dir):
    """One example per chair: 60 poses, 30 azimuths (a full turn, 12 degrees apart) x 2 elevations."""
    ds = tfds.builder(CHAIR_POSES, data_dir=data_dir).as_dataset(split="validation")
    chairs = list(ds.as_numpy_iterator())
    assert len(chairs) == 8 and len({int(ex["label_identity"]) for ex in chairs}) == 8
    ex = chairs[0]
    assert ex["images"].shape == (60, 32, 32, 1)
    assert sorted(set(zip(ex["label_azimuth"].tolist(), ex["label_elevation"].tolist()))) == [
        (a, e) for a in range(30) for e in range(2)
    ]
    np.testing.assert_allclose(np.diff(np.unique(ex["value_azimuth"])), np.radians(12), atol=1e-5)
    assert len(np.unique(ex["value_elevation"])) == 2
    # Every pose is a different picture of the same chair.
    flat = ex["images"].reshape(60, -1).astype(np.int32)
    assert np.all(np.abs(flat[:, None] - flat[None]).max(-1)[~np.eye(60, dtype=bool)] > 0)


def test_chair_groups_are_formed_from_poses(data_dir):
    """dcign_groups on a chairs config: azimuth, elevation and identity groups in which only that varies."""
    ds = dcign_groups(CHAIR_POSES, "train", data_dir=data_dir)
    assert ds.element_spec[0].shape == (8, 32, 32, 1) and ds.element_spec[1].dtype == tf.int32
    groups = list(ds.as_numpy_iterator())
    assert len(groups) == 3 * 16  # one group of each factor per chair
    counts = np.bincount([int(fid) for _, fid, _ in groups], minlength=4)
    assert counts.tolist() == [16, 16, 0, 16]
    for images, factor_id, factors in groups:
        varying = {k for k, v in factors.items() if len(np.unique(v)) > 1}
        assert varying == {NAMES[int(factor_id)]}, (factor_id, varying)
        distinct = {0: 8, 1: 2, 3: 8}[int(factor_id)]  # two elevations only
        assert len(np.unique(factors[NAMES[int(factor_id)]])) == distinct
        assert len({im.tobytes() for im in images}) == distinct
        assert images.dtype == np.float32 and 0 <= images.min() and images.max() <= 1 and images.max() > 0.1
    # Deterministic: a second read gives the same groups in the same order.
    again = list(ds.as_numpy_iterator())
    for (a, fa, _), (b, fb, _) in zip(groups, again):
        assert fa == fb and np.array_equal(a, b)
    # The validation split (8 chairs, groups of 8) uses every chair in identity groups.
    val = list(dcign_groups(CHAIR_POSES, "validation", data_dir=data_dir).as_numpy_iterator())
    assert len(val) == 24 and all(len(np.unique(f["identity"])) == 8 for _, fid, f in val if fid == 3)


def test_pipelines_decode_without_deprecated_tfds_calls(data_dir, monkeypatch):
    """tfds 4.9's own zlib decoding reads `FeatureConnector.dtype` (a deprecation warning); the pipelines'
    decoders do not, and give the same arrays."""
    from tensorflow_datasets.core.features import feature as feature_lib

    reference = next(iter(tfds.builder(CHAIRS, data_dir=data_dir).as_dataset(split="test")))
    calls = []
    monkeypatch.setattr(feature_lib, "log_tf_warning", calls.append)
    image, volume = next(iter(volume_pairs(CHAIRS, "test", data_dir=data_dir)))
    images, _, _ = next(iter(dcign_groups(FACES_GROUPS, "test", data_dir=data_dir)))
    next(iter(dcign_groups(CHAIR_POSES, "test", data_dir=data_dir)))
    assert not calls
    np.testing.assert_array_equal(volume.numpy(), reference["volume"].numpy().astype(np.float32))
    np.testing.assert_array_equal(image.numpy(), reference["image"].numpy().astype(np.float32) / 255.0)
    assert images.shape == (8, 32, 32, 1)
    next(iter(tfds.builder(CHAIRS, data_dir=data_dir).as_dataset(split="test")))  # tfds's decoding
    assert calls == ["FeatureConnector"]  # ... does call it: the check above can fail


def test_chair_groups_feed_the_dcign_task(data_dir):
    from tf_ivg import configs
    from tf_ivg.training import dcign_task

    config = dict(configs.get_config("dcign_chairs", "smoke"), source="tfds", dataset=CHAIR_POSES)
    train, val = dcign_task.make_datasets(config, data_dir=data_dir)
    images, factor_id = next(iter(train))
    assert images.shape == (8, 32, 32, 1) and factor_id.shape == (8,) and len(set(factor_id.numpy())) == 1


def test_stored_examples_are_byte_identical_to_regenerated(data_dir):
    spec = specs.get_spec(CHAIRS)
    fresh = dict(examples.iter_examples(spec, "test", 0, 8))
    stored = tfds.builder(CHAIRS, data_dir=data_dir).as_dataset(split="test").as_numpy_iterator()
    by_identity = {}
    for ex in stored:
        by_identity[(int(ex["label_identity"]), int(ex["label_azimuth"]))] = ex
    for ex in fresh.values():
        other = by_identity[(int(ex["label_identity"]), int(ex["label_azimuth"]))]
        np.testing.assert_array_equal(other["image"], ex["image"])
        np.testing.assert_array_equal(other["volume"], ex["volume"])


@pytest.mark.parametrize("name", [FACES_GROUPS, CHAIR_POSES, CHAIRS])
def test_identities_disjoint_between_splits(data_dir, name):
    ids = {}
    for split in specs.SPLITS:
        ds = tfds.builder(name, data_dir=data_dir).as_dataset(split=split)
        ids[split] = set(np.concatenate([np.ravel(ex["label_identity"]) for ex in ds.as_numpy_iterator()]).tolist())
    assert ids["train"] and not ids["train"] & ids["test"] and not ids["train"] & ids["validation"]
    assert not ids["validation"] & ids["test"]


def test_regenerated_examples_serialize_to_identical_bytes():
    """Same version and seed -> byte-identical examples (here a chairs poses example, made twice)."""
    spec = specs.get_spec(CHAIR_POSES)
    features = examples.features_for(spec)
    first, second = (list(examples.iter_examples(spec, "test", 3, 4)) for _ in range(2))
    assert first[0][0] == second[0][0] == "test_0000003"
    assert features.serialize_example(first[0][1]) == features.serialize_example(second[0][1])


def test_large_chairs_config_keeps_the_evaluation_chairs_and_extends_training():
    """volumes_30_large scores on volumes_30's validation and test views, and trains on a superset of its chairs."""
    small, large = specs.get_spec("ivg_chairs/volumes_30"), specs.get_spec("ivg_chairs/volumes_30_large")
    for split in ("validation", "test"):
        n = small.num_examples(split)
        assert large.num_examples(split) == n
        for a, b in zip(examples.volume_views(small, split, 0, n), examples.volume_views(large, split, 0, n)):
            if isinstance(a, dict):
                assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
            else:
                np.testing.assert_array_equal(a, b)
    small_ids = set(examples.volume_views(small, "train", 0, small.num_examples("train"))[0].tolist())
    large_ids = set(examples.volume_views(large, "train", 0, large.num_examples("train"))[0].tolist())
    assert small_ids < large_ids and len(large_ids) == 4 * len(small_ids) == 2500


@pytest.mark.parametrize("name", sorted(specs.SPECS))
def test_every_config_has_label_and_value_features(name):
    spec = specs.get_spec(name)
    keys = set(examples.features_for(spec).keys())
    required = {f"value_{k}" for k in ("azimuth", "elevation", "light", "ambient", "shape", "albedo")}
    required |= {"label_identity"} | ({"label_style"} if spec.family == "chairs" else set())
    required |= {
        "volumes": {"label_azimuth", "label_ambient"},
        "poses": {"label_azimuth", "label_elevation"},
        "video": set(),
        "dcign": {"factor_id"},
    }[spec.kind]
    assert required <= keys, required - keys


def test_video_examples_turn_profile_to_profile():
    spec = specs.get_spec("ivg_faces/video_32_small")
    ((_, ex),) = list(examples.iter_examples(spec, "test", 0, 1))
    assert ex["image"].shape == (5, 32, 32, 3) and ex["volume"].shape == (32, 32, 32)
    np.testing.assert_allclose(ex["value_azimuth"], np.linspace(-np.pi / 2, np.pi / 2, 5), atol=1e-6)


def _poses_spec(**overrides):
    kwargs = dict(
        family="chairs",
        name="x",
        kind="poses",
        image_size=8,
        group_size=4,
        splits=(8, 8, 8),
        azimuths=specs.CHAIR_AZIMUTHS,
        elevations=specs.CHAIR_ELEVATIONS,
        ambients=(0.35,),
        dcign_factors=specs.POSE_FACTORS,
    )
    return specs.DatasetSpec(**dict(kwargs, **overrides))


@pytest.mark.parametrize(
    "call",
    [
        lambda d: volume_pairs("ivg_faces/volumes_81", "train", data_dir=d),
        lambda d: volume_pairs(CHAIRS, "holdout", data_dir=d),
        lambda d: volume_pairs(FACES_GROUPS, "train", data_dir=d),
        lambda d: dcign_groups(CHAIRS, "train", data_dir=d),
        lambda d: specs.DatasetSpec(
            family="faces",
            name="x",
            kind="volumes",
            image_size=0,
            volume_size=8,
            splits=(1, 1, 1),
            azimuths=(0.0,),
            ambients=(0.5,),
        ),
        lambda d: specs.DatasetSpec(
            family="faces",
            name="x",
            kind="volumes",
            image_size=8,
            volume_size=8,
            splits=(1, 1, 1),
            azimuths=(4.0,),
            ambients=(0.5,),
        ),
        lambda d: specs.DatasetSpec(
            family="faces",
            name="x",
            kind="volumes",
            image_size=8,
            volume_size=8,
            splits=(1, 1, 1),
            azimuths=(0.0,),
            ambients=(1.5,),
        ),
        lambda d: specs.DatasetSpec(
            family="faces",
            name="x",
            kind="dcign",
            image_size=8,
            group_size=10,
            splits=(1, 1, 1),
            identities=(5, 20, 20),
        ),
        lambda d: _poses_spec(group_size=31),  # more than the 30 azimuths
        lambda d: _poses_spec(splits=(8, 8, 3)),  # fewer test chairs than a group of 4
        lambda d: _poses_spec(dcign_factors=("light",)),  # chairs have a fixed light
        lambda d: _poses_spec(elevations=(2.0,)),  # beyond +-90 degrees
        lambda d: _poses_spec(image_size=-32),
    ],
)
def test_bad_names_and_specs(call, tmp_path):
    with pytest.raises(ValueError):
        call(str(tmp_path))


def test_generate_cli_rejects_unknown_config(capsys):
    from tf_ivg.cli import main

    assert main(["generate", "ivg_faces/nope", "--data-dir", "/nonexistent"]) == 2
    assert "unknown dataset config" in capsys.readouterr().err


def test_the_bad_poses_specs_differ_from_a_valid_one():
    spec = _poses_spec()
    assert spec.poses[0].shape == (60,) and spec.num_examples("test") == 8
