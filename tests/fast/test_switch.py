"""tf_ivg.fast's switch and `apply`: per-instance fast paths on stock Keras objects, and files trained with
them that load without tf_ivg.fast."""

import json
import subprocess
import sys
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.models.test_volume_ign import TINY as VOLUME_TINY
from tf_ivg import fast
from tf_ivg.models import VolumeIGN

TINY = dict(VOLUME_TINY, switch_every=1)


def _data(batch=4):
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(batch, 32, 32, 3)).astype("float32")
    return images, (rng.uniform(size=(batch, 16, 16, 16)) > 0.7).astype("float32")


@pytest.mark.parametrize(
    "value, expected",
    [
        ("0", set()),
        ("1", set(fast.PATHS)),
        ("conv", {"conv"}),
        (" Conv ", {"conv"}),
        ("", set(fast.PATHS) if fast._auto() else set()),
        ("auto", set(fast.PATHS) if fast._auto() else set()),
    ],
)
def test_the_environment_variable_sets_the_paths(monkeypatch, value, expected):
    monkeypatch.setenv("TF_IVG_FAST", value)
    assert fast.enabled_paths() == expected
    assert all(fast.enabled(p) == (p in expected) for p in fast.PATHS)


@pytest.mark.parametrize(
    "flags, gpus, expected",
    [({"avx2", "fma"}, [], True), ({"avx2", "avx512f"}, [], False), (set(), [], False), ({"avx2"}, ["GPU:0"], False)],
)
def test_auto_is_the_default_and_means_a_cpu_without_avx512(monkeypatch, flags, gpus, expected):
    monkeypatch.delenv("TF_IVG_FAST", raising=False)
    monkeypatch.setattr(fast, "cpu_flags", lambda: frozenset(flags))
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: gpus if kind == "GPU" else [])
    fast._auto.cache_clear()
    try:
        assert fast.enabled_paths() == (set(fast.PATHS) if expected else set())
    finally:
        fast._auto.cache_clear()


def test_cpu_flags_reads_this_machine():
    flags = fast.cpu_flags()
    assert isinstance(flags, frozenset)
    if sys.platform.startswith("linux"):
        assert flags and all(" " not in f for f in flags)


def test_configure_and_override_win_over_the_variable_and_bad_names_are_refused(monkeypatch):
    monkeypatch.setenv("TF_IVG_FAST", "0")
    with fast.override("conv"):
        assert fast.enabled_paths() == {"conv"}
        with fast.override("0"):
            assert fast.enabled_paths() == set()
        assert fast.enabled_paths() == {"conv"}
    assert fast.enabled_paths() == set()
    fast.configure("1")
    try:
        assert fast.enabled_paths() == set(fast.PATHS)
    finally:
        fast.configure(None)
    assert fast.enabled_paths() == set()
    with pytest.raises(ValueError, match="unknown"):
        fast.configure("conv,warp")
    with pytest.raises(ValueError, match="unknown fast path"):
        fast.enabled("warp")
    monkeypatch.setenv("TF_IVG_FAST", "bogus")
    with pytest.raises(ValueError, match="TF_IVG_FAST"):
        fast.enabled_paths()


def _installed(model):
    """Per stock convolution of `model` (STN localisation nets' included): is the fast path on it?"""
    layers = model._flatten_layers()
    return [
        ("convolution_op" in vars(la)) for la in layers if isinstance(la, (keras.layers.Conv2D, keras.layers.Conv3D))
    ]


def test_volume_ign_installs_the_switched_paths_when_it_builds_its_train_function():
    model = VolumeIGN(**TINY)
    model.compile(optimizer="adam")
    assert len(_installed(model)) == 16 and not any(_installed(model))  # nothing before training
    images, volumes = _data()
    with fast.override("1"):
        model.train_on_batch(images, volumes)
    assert all(_installed(model))
    assert keras.layers.Conv2D.convolution_op.__module__.startswith("keras.")  # Keras's class untouched
    with fast.override("0"):
        model.train_on_batch(images, volumes)  # the same train function: nothing changes
        assert all(_installed(model))
        model.compile(optimizer="adam")  # a new train function: the switch is read again
        model.train_on_batch(images, volumes)
    assert not any(_installed(model))


def test_a_training_step_is_the_same_with_and_without_the_fast_paths():
    images, volumes = _data()
    weights = []
    for spec in ("1", "0"):
        keras.utils.set_random_seed(5)
        model = VolumeIGN(**{**TINY, "rrelu": (0.2, 0.2)})  # no random slopes: both runs see one network
        model.compile(optimizer=keras.optimizers.SGD(0.5))
        initial = model.get_weights()
        with fast.override(spec):
            model.fit(images, volumes, batch_size=2, epochs=1, verbose=0, shuffle=False)
        assert all(_installed(model)) == (spec == "1")
        weights.append(model.get_weights())
    assert any(not np.array_equal(a, b) for a, b in zip(weights[0], initial))  # it trained
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_a_model_trained_with_every_fast_path_saves_stock_classes_and_loads_without_tf_ivg_fast(tmp_path):
    model = VolumeIGN(**TINY)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    images, volumes = _data()
    with fast.override("1"):
        model.fit(images, volumes, batch_size=2, epochs=1, verbose=0)
    assert all(_installed(model))
    path = tmp_path / "model.keras"
    model.save(path)
    config = zipfile.ZipFile(path).read("config.json").decode()
    assert "Fast" not in config and "FusedAdam" not in config and "tf_ivg.fast" not in config
    assert json.loads(config)["compile_config"]["optimizer"]["module"] == "keras.optimizers"
    np.save(tmp_path / "images.npy", images)
    np.save(tmp_path / "volumes.npy", np.asarray(model.reconstruct(images)))
    np.save(tmp_path / "rendered.npy", np.asarray(model.render(*model.encode(images))))
    code = f"""
import sys
sys.modules["tf_ivg.fast"] = None  # any import of it fails
import keras, numpy as np, tf_ivg.models
folder = {str(tmp_path)!r}
model = keras.models.load_model(folder + "/model.keras")
images = np.load(folder + "/images.npy")
np.testing.assert_array_equal(np.asarray(model.reconstruct(images)), np.load(folder + "/volumes.npy"))
np.testing.assert_array_equal(np.asarray(model.render(*model.encode(images))), np.load(folder + "/rendered.npy"))
assert sys.modules["tf_ivg.fast"] is None and not [m for m in sys.modules if m.startswith("tf_ivg.fast.")]
print(type(model.optimizer).__name__, int(model.optimizer.iterations))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "Adam 2"
