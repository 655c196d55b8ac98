import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.keras_contract import assert_keras_round_trip, fit_one_step_under_strategy
from tf_ivg.layers import BatchMeanClamp, GradientBlock


def _grad(layer_fn, x, weights=None):
    weights = tf.ones_like(x) if weights is None else weights
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = layer_fn(x)
        loss = tf.reduce_sum(out * weights)
    return out, tape.gradient(loss, x)


def test_gradient_block_forward_identical_gradient_zero():
    x = tf.random.normal([4, 6])
    out, grad = _grad(GradientBlock(), x, tf.random.normal([4, 6]))
    np.testing.assert_array_equal(out.numpy(), x.numpy())
    assert grad is not None and np.all(grad.numpy() == 0.0)


def test_gradient_block_scales_upstream_exactly():
    x = tf.random.normal([4, 6])
    upstream = tf.random.normal([4, 6])
    _, grad = _grad(GradientBlock(scale=0.25), x, upstream)
    np.testing.assert_array_equal(grad.numpy(), (upstream * 0.25).numpy())


def test_gradient_block_round_trip_and_strategy(tmp_path, two_cpu_strategy):
    assert_keras_round_trip(GradientBlock(scale=0.5), [tf.random.normal([2, 3])], tmp_path)

    def make(x):  # the second branch keeps a gradient path so weights still move
        d = keras.layers.Dense(3)(x)
        return keras.layers.Add()([GradientBlock()(d), keras.layers.Dense(3)(x)])

    fit_one_step_under_strategy(two_cpu_strategy, make, [(4,)], (3,))


# A batch worked out by hand: B=3, Z=3, units 0 and 2 active, unit 1 inactive.
Z = np.array([[1.0, 2.0, 0.5], [3.0, 5.0, -1.0], [2.0, 8.0, 4.0]], np.float32)
ACTIVE = np.array([True, False, True])
UPSTREAM = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]], np.float32)
MEAN_1 = 5.0  # mean of column 1


def test_clamp_forward_and_backward_by_hand():
    out, grad = _grad(
        lambda z: BatchMeanClamp(strength=0.01)(z, ACTIVE, training=True), tf.constant(Z), tf.constant(UPSTREAM)
    )
    expected_out = Z.copy()
    expected_out[:, 1] = MEAN_1
    np.testing.assert_allclose(out.numpy(), expected_out)
    expected_grad = UPSTREAM.copy()
    expected_grad[:, 1] = 0.0  # nothing flows back through a clamped unit
    np.testing.assert_allclose(grad.numpy(), expected_grad, atol=1e-7)


def test_penalty_gradient_is_the_pull_by_hand():
    clamp = BatchMeanClamp(strength=0.01)
    penalty, grad = _grad(lambda z: clamp.invariance_penalty(z, ACTIVE), tf.constant(Z), tf.ones([len(Z)]))
    np.testing.assert_allclose(penalty.numpy(), 0.005 * (Z[:, 1] - MEAN_1) ** 2, rtol=1e-6)
    expected_grad = np.zeros_like(Z)
    expected_grad[:, 1] = 0.01 * (Z[:, 1] - MEAN_1)  # -0.03, 0, 0.03: the authors' gradient filter
    np.testing.assert_allclose(grad.numpy(), expected_grad, atol=1e-7)


def test_clamp_zero_option_and_numeric_mask():
    clamp = BatchMeanClamp(inactive_gradient="zero")
    _, grad = _grad(lambda z: clamp(z, ACTIVE.astype("int32"), training=True), tf.constant(Z), tf.constant(UPSTREAM))
    expected = UPSTREAM.copy()
    expected[:, 1] = 0.0
    np.testing.assert_allclose(grad.numpy(), expected)
    np.testing.assert_array_equal(clamp.invariance_penalty(Z, ACTIVE.astype("int32")).numpy(), np.zeros(len(Z)))


def test_clamp_is_identity_at_inference():
    out, grad = _grad(lambda z: BatchMeanClamp()(z, ACTIVE, training=False), tf.constant(Z), tf.constant(UPSTREAM))
    np.testing.assert_array_equal(out.numpy(), Z)
    np.testing.assert_array_equal(grad.numpy(), UPSTREAM)


@pytest.mark.parametrize("z_shape, mask_len, match", [((3,), 3, "rank 2"), ((3, 3), 4, "length Z=3")])
def test_clamp_bad_input_raises(z_shape, mask_len, match):
    with pytest.raises(ValueError, match=match):
        BatchMeanClamp()(tf.zeros(z_shape), tf.ones([mask_len], tf.bool), training=True)


def test_clamp_bad_option_raises():
    with pytest.raises(ValueError, match="'mean' or 'zero'"):
        BatchMeanClamp(inactive_gradient="clip")


@keras.saving.register_keras_serializable(package="tf_ivg_tests")
class ClampModel(keras.Model):
    """Encoder -> clamp -> decoder; the mask is a model attribute set per batch in tests."""

    def __init__(self, active, **kwargs):
        super().__init__(**kwargs)
        self.active = np.asarray(active)
        self.encoder = keras.layers.Dense(3, name="encoder")
        self.clamp = BatchMeanClamp(strength=0.01)
        self.decoder = keras.layers.Dense(2, name="decoder")

    def get_config(self):
        return {**super().get_config(), "active": self.active.tolist()}

    def call(self, x, training=None):
        z = self.encoder(x)
        if training:
            self.add_loss(keras.ops.mean(self.clamp.invariance_penalty(z, self.active)))
        return self.decoder(self.clamp(z, self.active, training=training))


@pytest.mark.parametrize("jit_compile", [False, True])
def test_clamp_inside_model_fit(jit_compile):
    x = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    y = np.zeros((4, 2), "float32")
    model = ClampModel(ACTIVE)
    model.compile(optimizer=keras.optimizers.SGD(1.0), loss="mse", jit_compile=jit_compile)
    model(x)
    w_before = model.encoder.kernel.numpy().copy()
    b_before = model.encoder.bias.numpy().copy()
    z = model.encoder(x).numpy()
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    # Unit 1 is inactive: its encoder weights move by -lr * mean_b x_b (z_b - mean) / 100, independent of the loss.
    pull = 0.01 * (z[:, 1] - z[:, 1].mean()) / len(x)  # the penalty is averaged over the batch
    np.testing.assert_allclose(model.encoder.kernel.numpy()[:, 1], w_before[:, 1] - x.T @ pull, atol=1e-5)
    np.testing.assert_allclose(model.encoder.bias.numpy()[1], b_before[1] - pull.sum(), atol=1e-6)
    assert not np.allclose(model.encoder.kernel.numpy()[:, 0], w_before[:, 0])


def test_clamp_round_trip_and_strategy(tmp_path, two_cpu_strategy):
    clamp = BatchMeanClamp(strength=0.5, inactive_gradient="zero", name="clamp")
    clone = BatchMeanClamp.from_config(clamp.get_config())
    assert clone.get_config() == clamp.get_config()
    model = ClampModel(ACTIVE)
    x = np.random.default_rng(1).normal(size=(4, 5)).astype("float32")
    expected = model(x, training=False).numpy()
    model.save(tmp_path / "clamp.keras")
    reloaded = keras.models.load_model(tmp_path / "clamp.keras")
    np.testing.assert_array_equal(reloaded(x, training=False).numpy(), expected)
    with two_cpu_strategy.scope():
        dist_model = ClampModel(ACTIVE)
        dist_model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        before = dist_model(x).numpy()  # variables are created on first call: inside the scope
    dist_model.fit(x, np.zeros((4, 2), "float32"), batch_size=4, epochs=1, verbose=0)
    assert not np.allclose(dist_model(x).numpy(), before)
