"""Shared by tests/training/test_strategies.py, test_multi_worker.py and multi_worker_script.py: a tiny
training run whose result does not depend on how a global batch is split between replicas.

The model is the DC-IGN baseline smoke config (32x32, 16 latents; no clamping: a clamp takes each
replica's own batch mean). It has no BatchNorm, whose per-replica statistics would differ from one
device's. `DeterministicStart` sets its first weights from numpy and makes its posterior a point
mass (log-variance -40: the reparameterisation noise, drawn per replica, is ~2e-9). RMSprop gets
an epsilon far above its squared-gradient average, which makes it plain SGD with learning rate
lr / sqrt(epsilon): unlike RMSprop or Adam, SGD's step scales with the loss, so a loss averaged over
the per-replica batch instead of the global one would take a twice-too-large step and show.
Shape key: G group size (= the global batch, 8), S image side (32).
"""

import keras
import numpy as np
import tensorflow as tf

from tests.models.dcign_helpers import shifting_square_group
from tf_ivg.configs import get_config
from tf_ivg.training import dcign_task

LOG_VAR = -40.0
EPSILON = 1e10  # >> 0.1 * gradient**2: the first steps' gradients are below 16 in magnitude
SGD_LEARNING_RATE = 1e-4


def tiny_config(strategy="default"):
    """4 steps of batch 8 (2 epochs of 2 steps), 1 validation batch, groups generated in memory."""
    config = get_config("dcign_faces_baseline", "smoke")
    config.update(
        steps=4,
        steps_per_epoch=2,
        validation_steps=1,
        num_groups=2,
        validation_groups=1,
        strategy=strategy,
        optimizer={
            "class_name": "rmsprop",
            "learning_rate": SGD_LEARNING_RATE * EPSILON**0.5,
            "rho": 0.9,
            "epsilon": EPSILON,
        },
    )
    return config


def square_groups(config, num_groups, seed):
    """Stands in for `dcign_task.generated_groups` (which renders faces: seconds per group): groups
    `(images [G, 32, 32, 1], factor_id [])`: a moving bright square on a dark ground in the first half,
    a moving dark square on a bright ground (another size and row) in the second, so that a replica
    fed the wrong part of a batch sees very different data and its loss shows it."""
    size, group = int(config["model_config"]["image_size"]), int(config["batch_size"])
    images = np.stack(
        [
            np.concatenate(
                [
                    shifting_square_group(size, group // 2, seed=seed + 2 * i),
                    1.0 - shifting_square_group(size, group - group // 2, seed=seed + 2 * i + 1),
                ]
            )
            for i in range(int(num_groups))
        ]
    )
    return tf.data.Dataset.from_tensor_slices((images, np.zeros([int(num_groups)], np.int32)))


def use_square_groups():
    """Makes the DC-IGN task's in-memory groups the squares of `square_groups` in this process."""
    dcign_task.generated_groups = square_groups


class DeterministicStart(keras.callbacks.Callback):
    """Before training, sets every trainable weight from a seeded numpy generator (so the start does not
    depend on TensorFlow's random state, which differs between processes and runs) and q(z|x)'s
    log-variance head to a constant -40. Runs in cross-replica context: every replica's copy is set."""

    def on_train_begin(self, logs=None):
        rng = np.random.default_rng(0)
        for w in self.model.trainable_weights:
            shape = tuple(w.shape)
            if len(shape) == 1:
                w.assign(np.zeros(shape, "float32"))
            else:
                w.assign((rng.standard_normal(shape) / np.sqrt(np.prod(shape[:-1]))).astype("float32"))
        head = self.model.encoder.get_layer("z_log_var")
        head.kernel.assign(np.zeros(head.kernel.shape, "float32"))
        head.bias.assign(np.full(head.bias.shape, LOG_VAR, "float32"))


def weights_of(model):
    return [np.asarray(w) for w in model.get_weights()]
