"""Export VolumeIGN and DCIGN (smoke configs, untrained weights) and check that every
signature of the reloaded SavedModel gives the Keras model's outputs, and that each model exports
only what its schedule trains (a volume-only model has no `render` and no transformation code)."""

import numpy as np
import pytest
import tensorflow as tf

import tf_ivg
from tf_ivg.serving.compact import unpack_occupancy
from tf_ivg.serving.export import export_model
from tf_ivg.serving.repository import read_signature_defs

VOLUME_SIGNATURES = [
    "decode_volume",
    "encode",
    "encode_uint8",
    "reconstruct_compact",
    "reconstruct_compact_uint8",
    "serving_default",
    "serving_default_uint8",
]
DISENTANGLED_SIGNATURES = sorted(VOLUME_SIGNATURES + ["render"])
DCIGN_SIGNATURES = [
    "decode",
    "encode",
    "encode_uint8",
    "rerender",
    "rerender_uint8",
    "serving_default",
    "serving_default_uint8",
]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def volume_export(base):
    """The volume-only smoke model with in-distribution statistics fitted on random images."""
    from tf_ivg.novelty import with_novelty

    model = tf_ivg.build(tf_ivg.configs.get_config("faces_volume", "smoke"))
    model, _ = with_novelty(model, _images(model, 64, seed=50), _images(model, 32, seed=51), quantile=0.5)
    # Untrained volumes sit near 0, so a 0.5 threshold would pack all-zero bits; a threshold at
    # their median makes the bit-packed output carry information worth checking.
    probe = np.clip(np.asarray(model.reconstruct(_images(model, 2, seed=99))), 0, 1)
    model.iou_threshold = float(np.median(probe[probe > 0]))
    path = export_model(model, base, "volume_ign", version=1)
    return model, path, tf.saved_model.load(path)


@pytest.fixture(scope="module")
def disentangled_export(base):
    """Both decoders trained (schedule "alternate"), no in-distribution statistics."""
    model = tf_ivg.build(tf_ivg.configs.get_config("faces_disentangled", "smoke"))
    path = export_model(model, base, "disentangled", version=1)
    return model, path, tf.saved_model.load(path)


@pytest.fixture(scope="module")
def dcign_export(base):
    model = tf_ivg.build(tf_ivg.configs.get_config("dcign_faces", "smoke"))
    path = export_model(model, base, "dcign", version=1)
    return model, path, tf.saved_model.load(path)


def _images(model, batch, seed=0):
    return np.random.default_rng(seed).random((batch, *model.image_shape)).astype(np.float32)


def test_volume_ign_signatures(volume_export):
    model, path, loaded = volume_export
    defs = read_signature_defs(path)
    assert sorted(defs) == VOLUME_SIGNATURES
    d = model.volume_size
    shapes = {k: [x.size for x in v.tensor_shape.dim] for k, v in defs["serving_default"].outputs.items()}
    assert shapes == {"volume": [-1, d, d, d], "novelty": [-1], "in_distribution": [-1]}
    assert sorted(defs["encode"].outputs) == ["shape_code"]  # its transformation code never trained
    assert sorted(defs["reconstruct_compact"].outputs) == [
        "in_distribution",
        "novelty",
        "occupancy_bits",
        "volume_uint8",
    ]


def test_disentangled_signatures(disentangled_export):
    model, path, loaded = disentangled_export
    defs = read_signature_defs(path)
    assert sorted(defs) == DISENTANGLED_SIGNATURES
    assert sorted(defs["serving_default"].outputs) == ["volume"]  # no statistics fitted: no novelty output
    assert sorted(defs["encode"].outputs) == ["shape_code", "transformation_code"]
    assert sorted(defs["render"].inputs) == ["shape_code", "transformation_code"]
    x = _images(model, 2, seed=7)
    shape, transformation = (np.asarray(t) for t in model.encode(x))
    codes = loaded.signatures["encode"](image=tf.constant(x))
    np.testing.assert_allclose(codes["transformation_code"], transformation, atol=1e-5)
    rendered = loaded.signatures["render"](
        shape_code=tf.constant(shape), transformation_code=tf.constant(transformation)
    )["image"]
    np.testing.assert_allclose(rendered, np.clip(np.asarray(model.render(shape, transformation)), 0, 1), atol=1e-5)


@pytest.mark.parametrize("batch", [1, 3])
def test_volume_ign_matches_keras(volume_export, batch):
    model, _, loaded = volume_export
    x = _images(model, batch, seed=batch)
    sig = loaded.signatures
    expected_volume = np.clip(np.asarray(model.reconstruct(x)), 0, 1)
    served = sig["serving_default"](image=tf.constant(x))
    volume = served["volume"].numpy()
    assert volume.shape == (batch,) + (model.volume_size,) * 3
    np.testing.assert_allclose(volume, expected_volume, atol=1e-5)
    novelty = np.asarray(model.novelty(x))
    np.testing.assert_allclose(served["novelty"], novelty, rtol=1e-4)
    np.testing.assert_array_equal(served["in_distribution"], novelty <= model.novelty_threshold)

    shape, _ = (np.asarray(t) for t in model.encode(x))
    codes = sig["encode"](image=tf.constant(x))
    np.testing.assert_allclose(codes["shape_code"], shape, atol=1e-5)

    decoded = sig["decode_volume"](shape_code=tf.constant(shape))["volume"]
    np.testing.assert_allclose(decoded, expected_volume, atol=1e-5)

    x8 = (x * 255).round().astype(np.uint8)
    np.testing.assert_allclose(
        sig["serving_default_uint8"](image=tf.constant(x8))["volume"],
        np.clip(np.asarray(model.reconstruct(x8 / 255.0)), 0, 1),
        atol=1e-5,
    )

    compact = sig["reconstruct_compact"](image=tf.constant(x))
    levels = compact["volume_uint8"].numpy()
    assert levels.dtype == np.uint8
    assert np.max(np.abs(levels.astype(np.float32) - 255 * expected_volume)) <= 0.5 + 1e-3
    bits = compact["occupancy_bits"].numpy()
    assert bits.shape == (batch, model.volume_size**3 // 8)
    occupied = expected_volume >= model.iou_threshold
    assert 0.05 < occupied.mean() < 0.95  # the check below is not trivial
    near = np.abs(expected_volume - model.iou_threshold) < 1e-5  # float ties may round either way
    np.testing.assert_array_equal(unpack_occupancy(bits, model.volume_size)[~near], occupied[~near])


def test_dcign_signatures_match_keras(dcign_export):
    model, path, loaded = dcign_export
    assert sorted(read_signature_defs(path)) == DCIGN_SIGNATURES
    sig = loaded.signatures
    x = np.random.default_rng(1).random((3, model.image_size, model.image_size, model.channels)).astype(np.float32)
    np.testing.assert_allclose(
        sig["serving_default"](image=tf.constant(x))["reconstruction"], model(x, training=False), atol=1e-5
    )
    mean, log_var = (np.asarray(t) for t in model.encode(x, return_log_var=True))
    codes = sig["encode"](image=tf.constant(x))
    np.testing.assert_allclose(codes["z_mean"], mean, atol=1e-5)
    np.testing.assert_allclose(codes["z_log_var"], log_var, atol=1e-5)
    np.testing.assert_allclose(sig["decode"](z=tf.constant(mean))["image"], model.decode(mean), atol=1e-5)
    from tf_ivg.models.dcign import FACTOR_NAMES

    for factor, name in enumerate(FACTOR_NAMES):
        got = sig["rerender"](image=tf.constant(x), factor=tf.fill([3], factor), value=tf.fill([3], 2.5))["image"]
        np.testing.assert_allclose(got, model.rerender(x, name, 2.5), atol=1e-5)
    mixed = sig["rerender"](image=tf.constant(x), factor=tf.constant([0, 1, 2]), value=tf.constant([-1.0, 0.0, 1.0]))[
        "image"
    ].numpy()
    for i, (name, value) in enumerate([("azimuth", -1.0), ("elevation", 0.0), ("light", 1.0)]):
        np.testing.assert_allclose(mixed[i], np.asarray(model.rerender(x[i : i + 1], name, value))[0], atol=1e-5)
    with pytest.raises(tf.errors.InvalidArgumentError, match="factor id"):
        sig["rerender"](image=tf.constant(x[:1]), factor=tf.constant([4]), value=tf.constant([0.0]))


def test_grpc_round_trip_of_every_signature(base, volume_export, disentangled_export, dcign_export):
    """All three models served at once; every signature over gRPC equals the in-process Keras endpoint."""
    from tf_ivg.serving.client import ServingClient
    from tf_ivg.serving.endpoints import with_uint8_twins
    from tf_ivg.serving.export import endpoints_for
    from tf_ivg.serving.server import LocalServer

    with (
        LocalServer(base, port=0, host="127.0.0.1", poll_seconds=0) as server,
        ServingClient(f"127.0.0.1:{server.port}", timeout=60) as client,
    ):
        exports = (("volume_ign", volume_export), ("disentangled", disentangled_export), ("dcign", dcign_export))
        for name, (model, _, _) in exports:
            endpoints = with_uint8_twins(endpoints_for(model))
            assert sorted(client.metadata(name)["signatures"]) == sorted(e.name for e in endpoints)
            for endpoint in endpoints:
                inputs = endpoint.sample_inputs(2, seed=4)
                got = client.predict(name, endpoint.name, **inputs)
                expected = endpoint(**inputs)
                assert sorted(got) == sorted(expected), endpoint.name
                for key in expected:
                    assert got[key].dtype == expected[key].dtype and got[key].shape == expected[key].shape
                    if key == "occupancy_bits":  # compare voxels; a float tie at the threshold may flip one
                        side = model.volume_size
                        flips = np.mean(unpack_occupancy(got[key], side) != unpack_occupancy(expected[key], side))
                        assert flips < 1e-4, flips
                        continue
                    tolerance = 1 if expected[key].dtype == np.uint8 else 1e-4  # uint8 rounding ties
                    np.testing.assert_allclose(
                        got[key].astype(np.float64),
                        expected[key].astype(np.float64),
                        atol=tolerance,
                        err_msg=f"{name}/{endpoint.name}/{key}",
                    )
