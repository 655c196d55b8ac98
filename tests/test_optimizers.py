"""FusedAdam: Keras Adam's updates, config and state, with one op per variable."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf_ivg.optimizers import FusedAdam, make_optimizer


def _train(optimizer, steps=4):
    rng = np.random.default_rng(0)
    weights = [keras.Variable(rng.normal(size=(3, 4)).astype("float32")), keras.Variable(np.zeros(4, "float32"))]
    optimizer.build(weights)
    for step in range(steps):
        grads = [tf.constant(rng.normal(size=w.shape) * (step + 1), tf.float32) for w in weights]
        optimizer.apply(grads, weights)
    return [w.numpy() for w in weights] + [v.numpy() for v in optimizer.variables]


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(learning_rate=1e-2),
        dict(learning_rate=keras.optimizers.schedules.CosineDecay(1e-2, 10), beta_1=0.8, epsilon=1e-4),
        dict(learning_rate=1e-2, weight_decay=0.1, clipnorm=1.0),
    ],
)
def test_updates_and_state_equal_keras_adam(kwargs):
    want = _train(keras.optimizers.Adam(**kwargs))
    got = _train(FusedAdam(**kwargs))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)  # float rounding; updates are ~1e-2
    assert not np.allclose(want[0], _train(keras.optimizers.Adam(**kwargs), steps=0)[0])  # it trained


def test_make_optimizer_builds_fused_adam_that_round_trips():
    schedule = {
        "module": "keras.optimizers.schedules",
        "class_name": "CosineDecay",
        "config": {"initial_learning_rate": 1e-3, "decay_steps": 100, "alpha": 0.05},
    }
    optimizer = make_optimizer({"class_name": "adam", "learning_rate": schedule, "beta_2": 0.99})
    assert isinstance(optimizer, FusedAdam) and optimizer.beta_2 == 0.99
    again = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert isinstance(again, FusedAdam)
    assert isinstance(again.learning_rate, keras.optimizers.schedules.CosineDecay) or callable(again._learning_rate)
    assert not isinstance(make_optimizer({"class_name": "sgd"}), FusedAdam)


def test_same_updates_under_mirrored_strategy(two_cpu_strategy):
    results = []
    for cls in (keras.optimizers.Adam, FusedAdam):
        with two_cpu_strategy.scope():
            keras.utils.set_random_seed(3)
            model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3)])
            model.compile(optimizer=cls(learning_rate=1e-2), loss="mse")
        x = np.random.default_rng(1).normal(size=(8, 5)).astype("float32")
        model.fit(x, x[:, :3], batch_size=4, epochs=2, verbose=0)
        results.append(model.get_weights())
    for got, want in zip(results[1], results[0]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_a_checkpoint_compiled_with_fused_adam_loads_after_importing_only_the_models(tmp_path):
    import subprocess
    import sys

    from tf_ivg.configs import get_config
    from tf_ivg.training.volume_task import build_model

    model = build_model(get_config("faces_volume", "smoke"))
    path = tmp_path / "model.keras"
    model.save(path)
    code = f"import keras, tf_ivg.models; m = keras.models.load_model({str(path)!r}); print(type(m.optimizer).__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "FusedAdam"
