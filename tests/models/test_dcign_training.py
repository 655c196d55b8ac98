"""DC-IGN training: configs, the `dcign` task, one fit step under MirroredStrategy, smoke ELBO improvement."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.models.dcign_helpers import shifting_square_group, tiny_dcign
from tf_ivg import configs
from tf_ivg.checkpoints import load_with_config
from tf_ivg.configs.dcign_faces import PAPER_OPTIMIZER
from tf_ivg.models.dcign import DCIGN, FACTOR_NAMES
from tf_ivg.optimizers import make_optimizer
from tf_ivg.training import dcign_task, tasks

NAMES = ("dcign_faces", "dcign_chairs", "dcign_faces_baseline", "dcign_faces_64", "dcign_faces_64_baseline")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("variant", ["full", "smoke"])
def test_configs_are_valid(name, variant):
    config = configs.get_config(name, variant)
    json.dumps(config)
    assert config["model"] == "dcign" and config["name"] == name and config["variant"] == variant
    dcign_task.validate_config(config)
    model_config = config["model_config"]
    assert model_config["clamp"] is (not name.endswith("baseline"))
    latent_dim = model_config["latent_dim"]
    expected = {"azimuth": [0, 1], "elevation": [1, 2], "light": [2, 3], "identity": [3, latent_dim]}
    if name == "dcign_chairs":
        expected = {
            "azimuth": [0, 1],
            "elevation": [1, latent_dim],
            "light": [1, latent_dim],
            "identity": [1, latent_dim],
        }
    assert model_config["factor_latents"] == expected
    if variant == "full":
        assert config["optimizer"] == PAPER_OPTIMIZER
        assert config["batch_size"] == 20 and latent_dim == 200
        assert model_config["image_size"] == (64 if "_64" in name else 150)


def test_full_config_builds_paper_model():
    model = dcign_task.build_model(configs.get_config("dcign_faces", "full"))
    assert isinstance(model, DCIGN)
    assert model.decoder.output.shape[1:] == (150, 150, 1)
    optimizer = model.optimizer
    assert type(optimizer) is keras.optimizers.Adam and optimizer.weight_decay is None
    assert np.isclose(float(optimizer.learning_rate), 5e-4) and (optimizer.beta_1, optimizer.beta_2) == (0.9, 0.99)
    adam = make_optimizer({"class_name": "adam", "learning_rate": 1e-3})
    assert isinstance(adam, keras.optimizers.Adam)
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        make_optimizer({"class_name": "lbfgs"})


def test_task_registered_and_checks_shapes():
    assert tasks.get_task("dcign") is dcign_task
    config = configs.get_config("dcign_faces", "smoke")
    good = (tf.TensorSpec([None, 32, 32, 1], tf.float32), tf.TensorSpec([], tf.int32))
    dcign_task.check_compatible(config, good)
    with pytest.raises(ValueError, match=r"\[G, 32, 32, 1\]"):
        dcign_task.check_compatible(config, (tf.TensorSpec([8, 64, 64, 1], tf.float32), tf.TensorSpec([], tf.int32)))
    with pytest.raises(ValueError, match="groups of 5"):
        dcign_task.check_compatible(config, (tf.TensorSpec([5, 32, 32, 1], tf.float32), tf.TensorSpec([], tf.int32)))
    bad = dict(config, model_config=dict(config["model_config"], colour=True))
    with pytest.raises(ValueError, match="unknown keys"):
        dcign_task.validate_config(bad)


def test_groups_to_batches_keeps_groups_and_repeats_ids():
    images = np.stack([shifting_square_group(seed=s) for s in range(3)])  # [3, 6, 16, 16, 1]
    groups = tf.data.Dataset.from_tensor_slices((images, np.array([2, 0, 3], np.int32)))
    batches = dcign_task.groups_to_batches(groups, 6)
    assert batches.element_spec[0].shape.as_list() == [6, 16, 16, 1]
    out = list(batches.as_numpy_iterator())
    assert len(out) == 3
    for (got_images, got_ids), want_images, want_id in zip(out, images, [2, 0, 3]):
        np.testing.assert_array_equal(got_images, want_images)
        np.testing.assert_array_equal(got_ids, np.full([6], want_id))


def test_summary_images():
    model = tiny_dcign()
    images = shifting_square_group()
    out = dcign_task.summary_images(model, (images, np.zeros([6], np.int32)))
    assert out["input"].shape == (4, 16, 16, 1) and out["reconstruction"].shape == (4, 16, 16, 1)
    assert out["azimuth_traversal"].shape == (1, 16, 7 * 16, 1)
    for value in out.values():
        assert value.dtype == tf.float32 and 0.0 <= float(tf.reduce_min(value)) and float(tf.reduce_max(value)) <= 1.0


def test_fit_step_under_mirrored_strategy(two_cpu_strategy):
    with two_cpu_strategy.scope():
        model = tiny_dcign()
        model.compile(optimizer=keras.optimizers.RMSprop(1e-3), jit_compile=False)
    images = np.concatenate([shifting_square_group(group=4, seed=0), shifting_square_group(group=4, seed=1)])
    ids = np.array([0] * 4 + [3] * 4, np.int32)
    data = tf.data.Dataset.from_tensor_slices((images, ids)).batch(4, drop_remainder=True)
    before = [w.numpy().copy() for w in model.trainable_weights]
    history = model.fit(data, epochs=1, verbose=0)
    assert model.distribute_strategy is two_cpu_strategy
    assert np.isfinite(history.history["loss"][0])
    assert all(not np.array_equal(b, w.numpy()) for b, w in zip(before, model.trainable_weights))
    # Each replica's share of a mixed batch is still checked.
    mixed = tf.data.Dataset.from_tensor_slices((images[:4], np.array([0, 1, 0, 1], np.int32))).batch(4)
    with pytest.raises(tf.errors.InvalidArgumentError, match="single-factor group"):
        model.fit(mixed, epochs=1, verbose=0)


def _deterministic(model):
    """Makes q(z|x) (numerically) a point mass, so a training step is deterministic."""
    head = model.encoder.get_layer("z_log_var")
    head.kernel.assign(tf.zeros_like(head.kernel))
    head.bias.assign(tf.fill(head.bias.shape, -60.0))
    return model


def test_strategy_step_equals_single_device_step(two_cpu_strategy):
    """Per-example losses are averaged over the global batch: 2 replicas take the same step as 1 device."""
    images = np.concatenate([shifting_square_group(group=2, seed=0), shifting_square_group(group=2, seed=1)])
    single = _deterministic(tiny_dcign(clamp=False))
    single.compile(optimizer=keras.optimizers.SGD(0.05), jit_compile=False)
    with two_cpu_strategy.scope():
        mirrored = tiny_dcign(clamp=False)
        mirrored.compile(optimizer=keras.optimizers.SGD(0.05), jit_compile=False)
    mirrored.set_weights(single.get_weights())
    data = tf.data.Dataset.from_tensor_slices(images).batch(4)
    before = single.get_weights()
    single.fit(data, epochs=1, verbose=0)
    mirrored.fit(data, epochs=1, verbose=0)
    assert any(not np.allclose(w0, w1) for w0, w1 in zip(before, single.get_weights()))
    for a, b in zip(single.get_weights(), mirrored.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)


def test_factor_ids_match_data_contract():
    from tf_ivg.data import FACTOR_IDS
    from tf_ivg.models.dcign import FACTOR_NAMES

    assert {name: i for i, name in enumerate(FACTOR_NAMES)} == FACTOR_IDS


def test_smoke_config_trains_and_elbo_improves(tmp_path):
    """`tf-ivg train`'s loop on the smoke config (groups generated by tf_ivg.data.make_dcign_group)."""
    from tf_ivg.training import loop

    config = configs.get_config("dcign_faces", "smoke")
    _, val = dcign_task.make_datasets(config)
    batches = [(x, ids) for x, ids in val]
    assert len(batches) == config["validation_groups"]
    for x, ids in batches:  # each batch is one generated single-factor group
        assert x.shape == (8, 32, 32, 1) and len(set(ids.numpy())) == 1

    def neg_elbo(model, repeats=4):
        """Monte Carlo -ELBO per image over the validation groups (exact KL, sampled reconstruction)."""
        return float(
            np.mean([model.forward(x, sample=True)["loss"].numpy().mean() for x, _ in batches for _ in range(repeats)])
        )

    class Probe(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.before = neg_elbo(self.model)

    probe = Probe()
    model, history = loop.train(config, str(tmp_path), callbacks=[probe], verbose=0)
    after = neg_elbo(model)
    print("smoke -ELBO before, after:", probe.before, after)
    assert np.isfinite(after) and after < 0.9 * probe.before, (probe.before, after)
    assert len(history.history["loss"]) == config["steps"] // config["steps_per_epoch"]
    loaded, saved_config = load_with_config(str(tmp_path), compile=True)
    assert isinstance(loaded, DCIGN) and saved_config["name"] == "dcign_faces"
    x = batches[0][0]
    np.testing.assert_allclose(loaded.encode(x).numpy(), model.encode(x).numpy(), rtol=1e-5, atol=1e-6)


def test_paper_optimizer_computes_the_authors_rmsprop():
    """`PAPER_OPTIMIZER` steps as the authors' `rmsprop.lua` does (momentum decay 0.1, update decay 0.01,
    bias-corrected, epsilon 1e-8 inside the square root), for gradients well above 1e-4."""
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=5).astype(np.float32)
    variable = keras.Variable(w0)
    optimizer = make_optimizer(PAPER_OPTIMIZER)
    w, m, v = w0.astype(np.float64), np.zeros(5), np.zeros(5)
    for t in range(1, 31):
        g = rng.normal(scale=rng.uniform(0.01, 10.0), size=5)
        optimizer.apply([tf.constant(g, tf.float32)], [variable])
        # rmsprop.lua, b1 = momentumDecay 0.1, b2 = updateDecay 0.01, lr 5e-4 (descending).
        m = (1 - 0.1) * m + 0.1 * g
        v = (1 - 0.01) * v + 0.01 * g * g
        gamma = np.sqrt(1 - (1 - 0.01) ** t) / (1 - (1 - 0.1) ** t)
        w = w - 5e-4 * gamma * m / np.sqrt(v + 1e-8)
    np.testing.assert_allclose(variable.numpy(), w, rtol=1e-5, atol=1e-6)
    assert np.abs(w - w0).max() > 1e-3  # it moved far enough for a wrong beta to show


def test_batches_draw_their_factor_at_random(monkeypatch):
    """Each group's factor is drawn at random and the groups are shuffled (the authors'
    `load_random_mv_batch`), not cycled azimuth -> elevation -> light -> identity."""
    import tf_ivg.data

    def fake_group(factor, group_size, image_size, family="faces", seed=0):
        fid = FACTOR_NAMES.index(factor)
        return np.full((group_size, image_size, image_size, 1), fid / 4, np.float32), fid, {}

    monkeypatch.setattr(tf_ivg.data, "make_dcign_group", fake_group)
    config = dict(configs.get_config("dcign_faces", "smoke"), num_groups=64, seed=12345)
    train, _ = dcign_task.make_datasets(config)
    ids = [int(batch_ids[0]) for _, batch_ids in train.take(128).as_numpy_iterator()]
    first, second = ids[:64], ids[64:]
    assert sorted(first) == sorted(second)  # one pass = every generated group once
    assert first == second  # one fixed random order, the same on every pass (and on every replica count)
    assert first[:8] != [i % 4 for i in range(8)]
    counts = np.bincount(first, minlength=4)
    assert counts.min() >= 8, counts  # each factor drawn, about 16 of 64 each
    changes = np.mean(np.diff(first) != 0)
    assert 0.55 < changes < 0.95, changes  # iid draws change factor 3/4 of the time; a cycle always does
