"""Fixtures for the serving tests: a tiny functional Keras model (so the generic export and
server are tested without the paper models), its export, and a local server over it."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf_ivg.serving.endpoints import Endpoint, functional_endpoints

BIG_SIDE = 64  # [B, 64, 64, 64] float32 = 1 MiB per example: batch 6 passes gRPC's 4 MiB default


def tiny_model(seed=0):
    """image [B, 8, 8, 3] -> logits [B, 5], embedding [B, 4]."""
    keras.utils.set_random_seed(seed)
    image = keras.Input((8, 8, 3), name="image")
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(image)
    embedding = keras.layers.GlobalAveragePooling2D(name="embedding")(x)
    logits = keras.layers.Dense(5, name="logits")(embedding)
    return keras.Model(image, [logits, embedding])


def tiny_endpoints(model):
    """serving_default (generic) + a `volume` signature with a large output, for message limits."""

    def volume(inputs):
        level = tf.sigmoid(model(inputs["image"], training=False)[0][:, :1])  # [B, 1]
        return {"volume": tf.broadcast_to(level[:, :, None, None], [tf.shape(level)[0]] + [BIG_SIDE] * 3)}

    big = Endpoint("volume", volume, {"image": tf.TensorSpec([None, 8, 8, 3], tf.float32)}, ["image"])
    return functional_endpoints(model) + [big]


def images(batch, seed=0):
    return np.random.default_rng(seed).random((batch, 8, 8, 3)).astype(np.float32)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """(base_dir, model) with `tiny/1` exported."""
    from tf_ivg.serving.export import export_model

    base = tmp_path_factory.mktemp("models")
    model = tiny_model()
    export_model(model, base, "tiny", version=1, endpoints=tiny_endpoints(model))
    return base, model


@pytest.fixture(scope="module")
def server(exported):
    from tf_ivg.serving.server import LocalServer

    base, _ = exported
    with LocalServer(base, port=0, host="127.0.0.1", poll_seconds=0.2) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    from tf_ivg.serving.client import ServingClient

    with ServingClient(f"127.0.0.1:{server.port}", timeout=20.0) as connected:
        yield connected
