"""DC-IGN model: clamped train step, SGVB terms, errors, manipulation API and `.keras` round trip."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.models.dcign_helpers import shifting_square_group, tiny_dcign
from tf_ivg.models.dcign import DCIGN, FACTOR_NAMES, bernoulli_nll, kl_divergence


def _compiled(model, lr=1e-3):
    model.compile(optimizer=keras.optimizers.SGD(lr), jit_compile=False)
    return model


def _head_gradients(model, images, factor_id, term="objective", sample=True):
    """Forward in training mode; the gradient of the batch-averaged `term` w.r.t. the encoder's mean and
    log-variance outputs (the heads), times B: each example's own gradient."""
    ids = np.full([len(images)], factor_id, np.int32)
    with tf.GradientTape() as tape:
        out = model.forward(images, ids, training=True, sample=sample)
        loss = tf.nn.compute_average_loss(out[term])
    grads = tape.gradient(loss, [out["mean"], out["log_var"]], unconnected_gradients="zero")
    return out, [len(images) * g.numpy() for g in grads]


@pytest.mark.parametrize("factor_id", [0, 3])
def test_clamp_at_encoder_forward(factor_id):
    """Inactive units: mean and log-variance are their batch means before sampling; KL on the clamped posterior."""
    model = tiny_dcign()
    images = shifting_square_group()
    out, _ = _head_gradients(model, images, factor_id)
    active = model.active_mask(factor_id).numpy()
    start, stop = model.factor_latents[FACTOR_NAMES[factor_id]]
    assert active.sum() == stop - start and active[start:stop].all()
    mean, log_var, z = out["mean"].numpy(), out["log_var"].numpy(), out["z"].numpy()
    assert np.ptp(mean[:, ~active], axis=0).min() > 0  # the encoder really did vary them
    clamped_mean = np.where(active, mean, mean.mean(0))
    clamped_log_var = np.where(active, log_var, log_var.mean(0))
    assert np.ptp(z[:, ~active], axis=0).min() > 0  # sampled: the noise is drawn per example
    # Without noise the decoder gets the clamped posterior mean: inactive units one value for the batch.
    ids = np.full([len(images)], factor_id, np.int32)
    noiseless = model.forward(images, ids, training=True, sample=False)["decoder_input"].numpy()
    np.testing.assert_allclose(noiseless, clamped_mean, rtol=1e-5, atol=1e-6)
    assert np.ptp(noiseless[:, ~active], axis=0).max() < 1e-6
    np.testing.assert_allclose(
        out["kl"].numpy(),
        0.5 * np.sum(np.exp(clamped_log_var) + clamped_mean**2 - 1 - clamped_log_var, 1),
        rtol=1e-4,
        atol=1e-5,
    )
    np.testing.assert_array_equal(out["decoder_input"].numpy(), z)


@pytest.mark.parametrize("batch", [8, 20])
@pytest.mark.parametrize("factor_id", [0, 3])
def test_clamped_heads_get_exactly_the_pull(factor_id, batch):
    """The gradient reaching a clamped latent's mean / log-variance head is the pull
    `strength * (h - batch mean)` relative to one example's loss, at any batch size; the KL's and the
    reconstruction's shares are zero there; active heads get the ELBO's gradient, unscaled by B."""
    model = tiny_dcign(invariance_strength=0.05)
    images = np.concatenate([shifting_square_group(seed=s) for s in range(4)])[:batch]
    out, (g_mean, g_log_var) = _head_gradients(model, images, factor_id)
    active = model.active_mask(factor_id).numpy()
    for h, g in ((out["mean"].numpy(), g_mean), (out["log_var"].numpy(), g_log_var)):
        pull = 0.05 * (h - h.mean(0))
        np.testing.assert_allclose(g[:, ~active], pull[:, ~active], rtol=1e-4, atol=1e-7)
        assert np.abs(pull[:, ~active]).max() > 1e-4
    _, kl_grads = _head_gradients(model, images, factor_id, term="kl")
    _, bce_grads = _head_gradients(model, images, factor_id, term="reconstruction")
    for g in kl_grads + bce_grads:
        assert np.all(g[:, ~active] == 0.0)
    # Active heads: each example's -ELBO gradient, which the pull does not touch.
    _, (g_mean, _) = _head_gradients(model, images, factor_id, sample=False)
    _, (elbo_mean, _) = _head_gradients(model, images, factor_id, term="loss", sample=False)
    np.testing.assert_allclose(g_mean[:, active], elbo_mean[:, active], rtol=1e-5, atol=1e-6)
    assert np.abs(g_mean[:, active]).max() > 0


def test_clamp_at_sample_ablation_keeps_the_old_behaviour():
    """`clamp_at="sample"`: z is clamped after sampling; the KL of the unclamped posterior trains every head."""
    model = tiny_dcign(clamp_at="sample")
    images = shifting_square_group()
    out, _ = _head_gradients(model, images, 0)
    z, decoder_input = out["z"].numpy(), out["decoder_input"].numpy()
    active = model.active_mask(0).numpy()
    np.testing.assert_allclose(
        decoder_input[:, ~active], np.broadcast_to(z[:, ~active].mean(0), z[:, ~active].shape), rtol=1e-6, atol=1e-6
    )
    np.testing.assert_array_equal(decoder_input[:, active], z[:, active])
    _, kl_grads = _head_gradients(model, images, 0, term="kl")
    assert np.abs(kl_grads[0][:, ~active]).max() > 0
    with pytest.raises(ValueError, match="clamp_at must be one of"):
        tiny_dcign(clamp_at="decoder")


def test_clamped_training_step_moves_every_weight():
    model = _compiled(tiny_dcign())
    images = shifting_square_group()
    before = [w.numpy().copy() for w in model.trainable_weights]
    logs = model.train_on_batch(images, np.zeros([len(images)], np.int32), return_dict=True)
    assert np.isfinite(logs["loss"]) and {"loss", "reconstruction", "kl", "invariance"} <= set(logs)
    assert logs["invariance"] > 0
    moved = [not np.array_equal(b, w.numpy()) for b, w in zip(before, model.trainable_weights)]
    assert all(moved)


def test_kl_matches_closed_form_and_monte_carlo():
    rng = np.random.default_rng(0)
    mean = rng.normal(size=(3, 5)).astype(np.float32)
    log_var = rng.normal(scale=0.5, size=(3, 5)).astype(np.float32)
    var = np.exp(log_var)
    closed = 0.5 * np.sum(var + mean**2 - 1.0 - log_var, axis=1)
    np.testing.assert_allclose(kl_divergence(mean, log_var).numpy(), closed, rtol=1e-5)
    # Monte Carlo E_q[log q - log p] agrees with the closed form.
    eps = rng.normal(size=(200_000, 1, 5))
    z = mean + np.sqrt(var) * eps
    log_q = -0.5 * np.sum(eps**2 + log_var + np.log(2 * np.pi), axis=-1)
    log_p = -0.5 * np.sum(z**2 + np.log(2 * np.pi), axis=-1)
    np.testing.assert_allclose((log_q - log_p).mean(0), closed, rtol=0.03, atol=0.02)


def test_forward_terms_match_numpy():
    model = tiny_dcign()
    images = shifting_square_group()
    out = model.forward(images, training=False, sample=False)
    np.testing.assert_array_equal(out["z"].numpy(), out["mean"].numpy())
    p = 1.0 / (1.0 + np.exp(-out["logits"].numpy().astype(np.float64)))
    bce = -(images * np.log(p) + (1 - images) * np.log(1 - p)).reshape(len(images), -1).sum(1)
    np.testing.assert_allclose(out["reconstruction"].numpy(), bce, rtol=1e-4)
    np.testing.assert_allclose(bernoulli_nll(images, out["logits"]).numpy(), bce, rtol=1e-4)
    np.testing.assert_allclose(out["loss"].numpy(), out["reconstruction"].numpy() + out["kl"].numpy(), rtol=1e-6)
    mean, log_var = out["mean"].numpy(), out["log_var"].numpy()
    np.testing.assert_allclose(
        out["kl"].numpy(), 0.5 * np.sum(np.exp(log_var) + mean**2 - 1 - log_var, 1), rtol=1e-4, atol=1e-6
    )


def test_mixed_group_and_missing_factor_id_fail_clearly():
    model = _compiled(tiny_dcign())
    images = shifting_square_group()
    with pytest.raises(tf.errors.InvalidArgumentError, match="single-factor group"):
        model.train_on_batch(images, np.array([0, 0, 0, 1, 1, 1], np.int32))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"factor_id must be in \[0, 4\)"):
        model.train_on_batch(images, np.full([6], 7, np.int32))
    with pytest.raises(ValueError, match="needs the batch's factor_id"):
        model.train_on_batch(images)
    with pytest.raises(ValueError, match=r"images of shape \[B, 16, 16, 1\]"):
        model.forward(np.zeros((2, 8, 8, 1), np.float32))


def test_baseline_does_not_clamp():
    model = _compiled(tiny_dcign(clamp=False))
    images = shifting_square_group()
    out = model.forward(images, training=True)
    np.testing.assert_array_equal(out["decoder_input"].numpy(), out["z"].numpy())
    assert np.isfinite(model.train_on_batch(images, return_dict=True)["loss"])


def test_bad_layouts_raise():
    with pytest.raises(ValueError, match="prod\\(up_factors\\)"):
        DCIGN(image_size=32, latent_dim=8, encoder_padding="same", decoder_grid=5, up_factors=(2, 2))
    with pytest.raises(ValueError, match="factor_latents"):
        tiny_dcign(factor_latents={"azimuth": [0, 1]})
    with pytest.raises(ValueError, match="too small"):
        DCIGN(image_size=32, latent_dim=8, encoder_padding="valid")


def test_paper_shapes():
    model = DCIGN()
    assert model.encoder.get_layer("pool3").output.shape[1:] == (15, 15, 24)
    assert [model.encoder.get_layer(f"conv{i}").filters for i in (1, 2, 3)] == [96, 48, 24]
    assert model.encoder.output[0].shape[-1] == 200
    assert model.decoder.get_layer("grid").output.shape[1:3] == (15, 15)
    assert model.decoder.output.shape[1:] == (150, 150, 1)
    quick = DCIGN(image_size=64)
    assert quick.decoder.output.shape[1:] == (64, 64, 1)


def test_manipulation_api():
    model = tiny_dcign()
    images = shifting_square_group()[:2]
    z = model.encode(images).numpy()
    assert z.shape == (2, 6)
    decoded = model.decode(z).numpy()
    assert decoded.shape == (2, 16, 16, 1) and 0 < decoded.min() and decoded.max() < 1
    values = np.array([-2.0, 0.0, 2.0], np.float32)
    grid = model.rerender(images, "light", values).numpy()
    assert grid.shape == (2, 3, 16, 16, 1)
    for v, value in enumerate(values):
        expected = z.copy()
        expected[:, 2] = value
        np.testing.assert_allclose(grid[:, v], model.decode(expected).numpy(), atol=1e-6)
    single = model.rerender(images, 4, 1.5).numpy()
    expected = z.copy()
    expected[:, 4] = 1.5
    np.testing.assert_allclose(single, model.decode(expected).numpy(), atol=1e-6)
    assert model.most_varying_latent(images) == int(np.argmax(z.var(0)))
    with pytest.raises(ValueError, match="unknown factor"):
        model.rerender(images, "colour", 0.0)


def test_keras_round_trip(tmp_path):
    model = _compiled(tiny_dcign(clamp=False, invariance_strength=0.02))
    images = shifting_square_group()
    model.train_on_batch(images)
    path = tmp_path / "dcign.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, DCIGN)
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.encode(images).numpy(), model.encode(images).numpy())
    np.testing.assert_array_equal(loaded(images).numpy(), model(images).numpy())
    assert np.isfinite(loaded.train_on_batch(images, return_dict=True)["loss"])
