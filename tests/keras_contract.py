"""Checks every tf_ivg layer must pass: config and `.keras` round trips, and a fit step under a strategy."""

import keras
import numpy as np
import tensorflow as tf


def _model_around(layer, inputs):
    keras_inputs = [keras.Input(shape=tuple(x.shape[1:]), batch_size=None) for x in inputs]
    out = layer(keras_inputs if len(keras_inputs) > 1 else keras_inputs[0])
    return keras.Model(keras_inputs, out)


def assert_keras_round_trip(layer, inputs, tmp_path):
    """`from_config(get_config())` rebuilds the same config; a model saved as `.keras` reloads with identical
    outputs."""
    config = layer.get_config()
    clone = layer.__class__.from_config(config)
    assert clone.get_config() == config
    model = _model_around(layer, inputs)
    feed = inputs if len(inputs) > 1 else inputs[0]
    expected = model(feed, training=False)
    path = tmp_path / f"{layer.name}.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_array_equal(np.asarray(reloaded(feed, training=False)), np.asarray(expected))


def fit_one_step_under_strategy(strategy, make_outputs, input_shapes, target_shape, batch=4):
    """Builds `make_outputs(inputs)` inside `strategy.scope()`, fits one step, checks weights moved and loss is
    finite."""
    with strategy.scope():
        inputs = [keras.Input(shape=s) for s in input_shapes]
        outputs = make_outputs(inputs if len(inputs) > 1 else inputs[0])
        model = keras.Model(inputs, outputs)
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    rng = np.random.default_rng(0)
    data = [rng.uniform(size=(batch, *s)).astype("float32") for s in input_shapes]
    target = rng.uniform(size=(batch, *target_shape)).astype("float32")
    before = [w.numpy().copy() for w in model.trainable_weights]
    history = model.fit(data if len(data) > 1 else data[0], target, batch_size=batch, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    after = [w.numpy() for w in model.trainable_weights]
    assert any(not np.array_equal(b, a) for b, a in zip(before, after)), "no weight moved in the fit step"
    assert model.distribute_strategy is strategy
    return model


def identity_theta(batch):
    return tf.tile([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]], [batch, 1, 1])
