"""make_optimizer: stock Keras optimizers from a config's spec."""

import keras
import pytest

from tf_ivg.optimizers import make_optimizer


def test_make_optimizer_builds_keras_adam_that_round_trips():
    schedule = {
        "module": "keras.optimizers.schedules",
        "class_name": "CosineDecay",
        "config": {"initial_learning_rate": 1e-3, "decay_steps": 100, "alpha": 0.05},
    }
    optimizer = make_optimizer({"class_name": "adam", "learning_rate": schedule, "beta_2": 0.99})
    assert type(optimizer) is keras.optimizers.Adam and optimizer.beta_2 == 0.99
    again = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert type(again) is keras.optimizers.Adam
    assert isinstance(again.learning_rate, keras.optimizers.schedules.CosineDecay) or callable(again._learning_rate)
    assert type(make_optimizer({"class_name": "sgd"})) is keras.optimizers.SGD


@pytest.mark.parametrize(
    "spec, message",
    [("adam", "class_name"), ({"class_name": "lbfgs"}, "lbfgs"), ({"class_name": "adam", "speed": 2}, "speed")],
)
def test_bad_specs_raise_value_error(spec, message):
    with pytest.raises(ValueError, match=message):
        make_optimizer(spec)


def test_compile_configs_saved_with_fused_adam_still_load():
    """Checkpoints saved before 2026-12-02 name `tf_ivg>FusedAdam` in their compile config."""
    saved = {
        "module": None,
        "class_name": "FusedAdam",
        "config": {"name": "adam", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07},
        "registered_name": "tf_ivg>FusedAdam",
    }
    optimizer = keras.optimizers.deserialize(saved)
    assert isinstance(optimizer, keras.optimizers.Adam) and optimizer.beta_2 == 0.999
