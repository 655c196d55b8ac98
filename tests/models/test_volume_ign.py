"""VolumeIGN: shapes, gradient blocking, decoder switching, frozen idle decoder, saving, strategy."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf_ivg.configs import get_config
from tf_ivg.metrics import voxel_iou
from tf_ivg.models import VolumeIGN, build_volume_decoder

TINY = dict(
    image_size=32,
    volume_size=16,
    shape_code=6,
    transformation_code=3,
    encoder_filters=[4, 4, 4],
    stn_filters=2,
    volume_grid=4,
    volume_filters=[4, 4],
    volume_upsampling=[2, 2],
    image_grid=8,
    image_filters=[4, 4],
    image_upsampling=[2, 2],
)


VOLUME_CONFIGS = ["faces_volume", "faces_disentangled", "faces_video", "chairs_volume"]


def _data(batch=4, frames=1, seed=0, size=32, depth=16):
    rng = np.random.default_rng(seed)
    shape = (batch, size, size, 3) if frames == 1 else (batch, frames, size, size, 3)
    images = rng.uniform(size=shape).astype("float32")
    volumes = (rng.uniform(size=(batch, depth, depth, depth)) > 0.7).astype("float32")
    return images, volumes


def _values(variables):
    return [np.array(v.numpy(), copy=True) for v in variables]


def _same(before, variables):
    return all(np.array_equal(b, v.numpy()) for b, v in zip(before, variables))


@pytest.mark.parametrize("name", VOLUME_CONFIGS)
def test_every_config_builds_with_the_declared_shapes(name):
    for variant in ("full", "smoke"):
        model_config = get_config(name, variant)["model_config"]
        model = VolumeIGN(**model_config)
        k, z = model_config["shape_code"], model_config["transformation_code"]
        d = model_config["volume_size"]
        assert tuple(model.encoder.input_shape[1:]) == model.image_shape
        assert [tuple(s) for s in model.encoder.output_shape] == [(None, k), (None, z)]
        assert tuple(model.volume_decoder.output_shape) == (None, d, d, d)
        assert tuple(model.image_decoder.output_shape) == (None, *model.image_shape)
        if variant == "full":
            assert model.image_size == 80 and d in (30, 80)


@pytest.mark.parametrize("frames", [1, 5])
def test_inference_api_shapes_and_code_swapping(frames):
    model = VolumeIGN(frames=frames, **TINY)
    images, _ = _data(batch=2, frames=frames)
    volumes = model.reconstruct(images)
    assert tuple(volumes.shape) == (2, 16, 16, 16)
    shape, transformation = model.encode(images)
    assert tuple(shape.shape) == (2, 6) and tuple(transformation.shape) == (2, 3)
    rendered = model.render(shape, transformation)
    assert tuple(rendered.shape) == images.shape
    swapped = model.render(shape, tf.reverse(transformation, [0]))  # shape of 0 with pose of 1
    assert tuple(swapped.shape) == images.shape
    assert not np.allclose(np.asarray(swapped), np.asarray(rendered))
    np.testing.assert_allclose(np.asarray(model(images)), np.asarray(volumes), rtol=1e-5, atol=1e-6)


def test_video_frames_reach_the_first_layer_as_channels():
    model = VolumeIGN(frames=5, **TINY)
    first_conv = model.encoder.get_layer("conv1")
    assert first_conv.kernel.shape[2] == 5 * 3
    images, _ = _data(batch=1, frames=5)
    base = np.asarray(model.reconstruct(images))
    changed = images.copy()
    changed[:, 4] = 0.0  # the last frame alone changes the output
    assert not np.allclose(np.asarray(model.reconstruct(changed)), base)


def test_image_loss_gives_no_gradient_to_the_shape_code():
    model = VolumeIGN(**TINY)
    images, _ = _data()
    code_layer = model.encoder.get_layer("graphics_code")
    with tf.GradientTape() as tape:
        shape, transformation = model.encoder(images, training=True)
        loss = tf.reduce_mean(tf.square(model.image_decoder([shape, transformation], training=True) - images))
    kernel_grad, bias_grad = tape.gradient(loss, [code_layer.kernel, code_layer.bias])
    k = TINY["shape_code"]
    assert np.all(np.asarray(kernel_grad)[:, :k] == 0.0) and np.all(np.asarray(bias_grad)[:k] == 0.0)
    assert np.abs(np.asarray(kernel_grad)[:, k:]).sum() > 0 and np.abs(np.asarray(bias_grad)[k:]).sum() > 0
    # ...while the volume loss does train the shape code
    with tf.GradientTape() as tape:
        shape, _ = model.encoder(images, training=True)
        loss = tf.reduce_mean(model.volume_decoder(shape, training=True))
    assert np.abs(np.asarray(tape.gradient(loss, code_layer.kernel))[:, :k]).sum() > 0


def test_schedule_alternates_every_three_batches_and_idle_decoder_stays_still():
    model = VolumeIGN(schedule="alternate", switch_every=3, **TINY)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    assert [bool(model.route_to_volume(step)) for step in range(8)] == [True] * 3 + [False] * 3 + [True] * 2
    images, volumes = _data()
    for step in range(6):
        vol_before = _values(model.volume_decoder.trainable_variables)
        img_before = _values(model.image_decoder.trainable_variables)
        vol_opt_before = _values(model.volume_optimizer.variables)
        enc_before = _values(model.encoder.trainable_variables)
        model.train_on_batch(images, volumes)
        volume_moved = not _same(vol_before, model.volume_decoder.trainable_variables)
        image_moved = not _same(img_before, model.image_decoder.trainable_variables)
        assert (volume_moved, image_moved) == ((True, False) if step < 3 else (False, True)), step
        assert not _same(enc_before, model.encoder.trainable_variables)
        if step >= 3:  # Adam has momentum for the volume decoder now; its state is frozen too
            assert _same(vol_opt_before, model.volume_optimizer.variables)
    assert int(model.optimizer.iterations) == 6
    assert int(model.volume_optimizer.iterations) == 3 and int(model.image_optimizer.iterations) == 3


def test_volume_only_never_touches_the_image_decoder():
    model = VolumeIGN(schedule="volume_only", **TINY)
    model.compile(optimizer="adam")
    images, volumes = _data()
    before = _values(model.image_decoder.trainable_variables)
    logs = [model.train_on_batch(images, volumes, return_dict=True) for _ in range(4)]
    assert _same(before, model.image_decoder.trainable_variables)
    assert "image_mse" not in logs[-1] and logs[-1]["volume_mse"] > 0.0


def test_metrics_match_a_direct_computation():
    model = VolumeIGN(schedule="volume_only", iou_threshold=0.1, **TINY)
    model.compile(optimizer="adam")
    images, volumes = _data()
    logs = model.evaluate(images, volumes, batch_size=4, verbose=0, return_dict=True)
    predicted = np.asarray(model.reconstruct(images))
    np.testing.assert_allclose(logs["volume_mse"], np.mean((predicted - volumes) ** 2), rtol=1e-4)
    p, t = predicted > 0.1, volumes > 0.5
    iou = np.mean([(p[i] & t[i]).sum() / max((p[i] | t[i]).sum(), 1) for i in range(4)])
    np.testing.assert_allclose(logs["volume_iou"], iou, rtol=1e-4)


def test_voxel_iou_values():
    target = np.zeros((2, 4, 4, 4), "float32")
    target[0, :2] = 1.0
    predicted = np.zeros_like(target)
    predicted[0, :1] = 0.9  # half of the target
    np.testing.assert_allclose(np.asarray(voxel_iou(predicted, target)), [0.5, 1.0])


def test_keras_round_trip_reproduces_predictions(tmp_path):
    model = VolumeIGN(schedule="alternate", **TINY)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    images, volumes = _data()
    model.train_on_batch(images, volumes)
    path = tmp_path / "volume_ign.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, VolumeIGN) and loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(np.asarray(loaded.reconstruct(images)), np.asarray(model.reconstruct(images)))
    shape, transformation = model.encode(images)
    np.testing.assert_array_equal(
        np.asarray(loaded.render(shape, transformation)), np.asarray(model.render(shape, transformation))
    )
    for name in ("optimizer", "volume_optimizer", "image_optimizer"):
        assert int(getattr(loaded, name).iterations) == int(getattr(model, name).iterations), name


class _Recorder(keras.callbacks.Callback):
    """Copies both decoders' weights after every training batch."""

    def __init__(self):
        super().__init__()
        self.volume, self.image = [], []

    def on_train_batch_end(self, batch, logs=None):
        self.volume.append(_values(self.model.volume_decoder.trainable_variables))
        self.image.append(_values(self.model.image_decoder.trainable_variables))


def _two_steps(strategy):
    """Fits 2 batches (volume decoder, then image decoder) with SGD; returns the recorder and the
    first step's change of the volume decoder's output bias."""
    keras.utils.set_random_seed(7)
    with strategy.scope():
        model = VolumeIGN(schedule="alternate", switch_every=1, rrelu=(0.2, 0.2), **TINY)
        model.compile(optimizer=keras.optimizers.SGD(1.0))
    bias_index = [v.path for v in model.volume_decoder.trainable_variables].index(
        model.volume_decoder.get_layer("conv3d_out").bias.path
    )
    before = model.volume_decoder.get_layer("conv3d_out").bias.numpy()[0]
    images, volumes = _data(batch=8)
    recorder = _Recorder()
    history = model.fit(images, volumes, batch_size=4, epochs=1, verbose=0, shuffle=False, callbacks=[recorder])
    assert np.all(np.isfinite(history.history["loss"]))
    assert model.distribute_strategy is strategy
    return recorder, recorder.volume[0][bias_index][0] - before


def test_fit_under_mirrored_strategy_averages_loss_and_keeps_idle_decoder_still(two_cpu_strategy):
    recorder, mirrored_step = _two_steps(two_cpu_strategy)
    # batch 1 went to the image decoder: the volume decoder did not move, the image decoder did
    assert all(np.array_equal(a, b) for a, b in zip(recorder.volume[0], recorder.volume[1]))
    assert not all(np.array_equal(a, b) for a, b in zip(recorder.image[0], recorder.image[1]))
    # Loss scaling: 2 replicas take the same SGD step as one device (a per-replica mean would
    # double it). Batch-norm statistics differ per replica, hence the tolerance.
    _, single_step = _two_steps(tf.distribute.get_strategy())
    assert single_step != 0.0
    np.testing.assert_allclose(mirrored_step, single_step, rtol=0.35)


class _StateRecorder(keras.callbacks.Callback):
    """Copies each decoder's weights and optimizer variables, every replica's copy of each, before
    training and after every batch."""

    def __init__(self, strategy):
        super().__init__()
        self.strategy = strategy
        self.volume, self.image = [], []

    def _copies(self, variables):
        local = self.strategy.experimental_local_results
        return [np.array(c.numpy(), copy=True) for v in variables for c in local(v.value)]

    def _record(self):
        model = self.model
        self.volume.append(self._copies(model.volume_decoder.trainable_variables + model.volume_optimizer.variables))
        self.image.append(self._copies(model.image_decoder.trainable_variables + model.image_optimizer.variables))

    def on_train_begin(self, logs=None):
        self._record()

    def on_train_batch_end(self, batch, logs=None):
        self._record()


@pytest.mark.parametrize("fast_paths", ["1", "0"])
def test_idle_decoder_and_its_adam_state_stay_bit_for_bit_still_on_every_replica(two_cpu_strategy, fast_paths):
    """Adam with weight decay (both move weights whose gradient is zero) on 2 replicas, with the CPU fast
    paths and without: on the other decoder's batches, a decoder's weights, moments and step count keep every
    bit on both replicas."""
    from tf_ivg import fast

    with two_cpu_strategy.scope():
        model = VolumeIGN(schedule="alternate", switch_every=1, **TINY)
        model.compile(optimizer=keras.optimizers.Adam(1e-2, weight_decay=0.1))
    recorder = _StateRecorder(two_cpu_strategy)
    images, volumes = _data(batch=8)
    with fast.override(fast_paths):
        model.fit(images, volumes, batch_size=2, epochs=1, verbose=0, shuffle=False, callbacks=[recorder])
    conv = model.volume_decoder.get_layer("conv3d_out")
    assert ("convolution_op" in vars(conv)) == (fast_paths == "1")
    assert len(recorder.volume) == 5  # before training, then after batches 0 (volume), 1 (image), 2, 3

    def same(states, step):  # state after batch `step` == state before it, every array, every bit
        return all(np.array_equal(a, b) for a, b in zip(states[step], states[step + 1]))

    for step in range(4):
        volume_batch = step % 2 == 0
        assert same(recorder.image, step) == volume_batch, step
        assert same(recorder.volume, step) == (not volume_batch), step
    assert [int(o.iterations.numpy()) for o in (model.volume_optimizer, model.image_optimizer)] == [2, 2]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(schedule="sometimes"), "schedule"),
        (dict(switch_every=0), "switch_every"),
        (dict(volume_grid=3), "volume decoder"),
        (dict(image_upsampling=[2]), "image decoder"),
        (dict(encoder_filters=[4]), "encoder filters"),
        (dict(image_size=12), "too small"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        VolumeIGN(**{**TINY, **kwargs})


def test_volume_decoder_output_goes_through_a_single_prelu_slope():
    decoder = build_volume_decoder(volume_size=8, shape_code=4, grid=2, filters=[2, 2], upsampling=[2, 2])
    prelu = decoder.get_layer("prelu_out")
    assert tuple(prelu.alpha.shape) == (1, 1, 1, 1)


def test_volume_targets_of_the_wrong_size_are_refused():
    model = VolumeIGN(**TINY)
    with pytest.raises(ValueError, match=r"\[B, 16, 16, 16\]"):
        model._volume_terms(tf.zeros([2, TINY["shape_code"]]), tf.zeros([2, 8, 8, 8]), False)


def test_mixed_bfloat16_training_step():
    keras.mixed_precision.set_dtype_policy("mixed_bfloat16")
    try:
        model = VolumeIGN(schedule="alternate", switch_every=1, **TINY)
        model.compile(optimizer="adam")
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
    images, volumes = _data()
    logs = [model.train_on_batch(images, volumes, return_dict=True) for _ in range(2)]
    assert np.isfinite(logs[-1]["volume_mse"]) and logs[-1]["image_mse"] > 0.0
    assert model.encoder.get_layer("conv1").compute_dtype == "bfloat16"
    assert all(v.dtype == "float32" for v in model.trainable_variables)
    assert model.reconstruct(images).dtype == "float32"
