"""Shared fixtures. Splits the CPU into 2 logical devices before TensorFlow starts,
so MirroredStrategy tests have two replicas on any machine."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

_cpus = tf.config.list_physical_devices("CPU")
try:
    tf.config.set_logical_device_configuration(
        _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )
except RuntimeError:  # already initialised by another import; tests needing 2 devices check themselves
    pass


@pytest.fixture(scope="session")
def two_cpu_strategy():
    """A MirroredStrategy over two logical CPU devices, one per session: fresh strategies in one
    process can reuse collective keys and abort each other's all-reduce."""
    devices = tf.config.list_logical_devices("CPU")
    if len(devices) < 2:
        pytest.fail("conftest could not create 2 logical CPU devices (TensorFlow was initialised too early)")
    return tf.distribute.MirroredStrategy([d.name for d in devices[:2]])


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(1234)
    yield
