"""The VolumeIGN training task (Grant et al. 2016) for `tf-ivg train` (interface: docs/CONTRACTS.md).

Shape key: B batch, S image side, T frames, D volume side.

Data: `(images [B, S, S, 3] or [B, T, S, S, 3], volumes [B, D, D, D])`, float32.
`config["dataset"]` is a tfds name read with `tf_ivg.data.volume_pairs`, or `generated/<family>`
(e.g. `generated/faces`) for pairs made in memory by `tf_ivg.data.make_volume_pairs`, or for a video
config (`frames > 1`) clips turning from left to right profile (`tf_ivg.data.scenes.Scenes.clips`)
(`config["generated_examples"]` of them, default 64; validation uses another seed and
`config["generated_validation_examples"]`, default a quarter as many). A single-image config (`frames == 1`) whose
tfds dataset holds clips trains on every frame of every clip, each paired with the clip's volume.
"""

import functools

import numpy as np
import tensorflow as tf

from tf_ivg.models.volume_ign import VolumeIGN
from tf_ivg.optimizers import make_optimizer
from tf_ivg.training.tasks import check_model_arguments

GENERATED_PREFIX = "generated/"


def validate_config(config):
    """Raises ValueError for a `model_config` VolumeIGN cannot take or a bad optimizer."""
    check_model_arguments(VolumeIGN, config.get("model_config"), config["name"])
    make_optimizer(config["optimizer"])


def build_model(config):
    """A compiled VolumeIGN (call inside the strategy scope)."""
    model = VolumeIGN(**config["model_config"])
    model.compile(optimizer=make_optimizer(config["optimizer"]), jit_compile=config.get("jit_compile", False))
    return model


def _batched(ds, config, training):
    if training:
        ds = ds.shuffle(config.get("shuffle_buffer", 256), seed=config["seed"]).repeat()
    else:
        ds = ds.repeat()
    return ds.batch(config["batch_size"], drop_remainder=True).prefetch(tf.data.AUTOTUNE)


@functools.lru_cache(maxsize=4)
def _generate(family, num, image_size, volume_size, seed, frames=1):
    """`num` pairs rendered in memory; `frames > 1` gives paper 4.7's clips `[N, T, S, S, 3]` (each face
    turning from left to right profile in equal steps, as `ivg_faces/video_*`)."""
    if frames > 1:
        from tf_ivg.data.scenes import Scenes

        clips, volumes = Scenes(family, image_size, volume_size).clips(num, frames=frames, seed=seed)
        return clips.astype(np.float32), volumes.astype(np.float32)
    from tf_ivg.data import make_volume_pairs

    images, volumes, _ = make_volume_pairs(num, image_size, volume_size, family=family, seed=seed, progress=True)
    return images.astype(np.float32), volumes.astype(np.float32)


def _generated(config, num, seed):
    """Pairs from `make_volume_pairs` (cached per process: rendering is the slow part)."""
    model = config["model_config"]
    family = config["dataset"][len(GENERATED_PREFIX) :]
    images, volumes = _generate(
        family, num, model.get("image_size", 80), model.get("volume_size", 80), seed, model.get("frames", 1)
    )
    return tf.data.Dataset.from_tensor_slices((images, volumes))


def make_datasets(config, data_dir=None):
    """`(train_ds, val_ds)`: batched, repeating datasets of `(images, volumes)`.

    Raises:
      FileNotFoundError: the tfds dataset is not prepared in `data_dir`.
    """
    name = config["dataset"]
    if name.startswith(GENERATED_PREFIX):
        examples = config.get("generated_examples", 64)
        train = _generated(config, examples, config["seed"])
        val = _generated(
            config,
            config.get("generated_validation_examples", max(config["batch_size"], examples // 4)),
            config["seed"] + 1,
        )
    else:
        from tf_ivg.data import volume_pairs

        try:
            train = volume_pairs(name, config.get("train_split", "train"), data_dir=data_dir)
            val = volume_pairs(name, config.get("validation_split", "validation"), data_dir=data_dir)
        except FileNotFoundError:
            raise
        except Exception as error:  # tfds reports a missing dataset with several error types
            if (
                "not found" in str(error).lower()
                or "no such" in str(error).lower()
                or "does not exist" in str(error).lower()
            ):
                raise FileNotFoundError(
                    f"dataset {name!r} is not prepared in {data_dir or 'the default tfds data dir'}: {error}. "
                    f"Generate it with `tf-ivg generate` (docs/data.md) or pass --data-dir"
                ) from None
            raise
        train = train.map(lambda image, volume, *rest: (image, volume))
        val = val.map(lambda image, volume, *rest: (image, volume))
        if config["model_config"].get("frames", 1) == 1 and train.element_spec[0].shape.rank == 4:
            train, val = _frames(train), _frames(val)
    return _batched(train, config, True), _batched(val, config, False)


def _frames(clips):
    """(clip [T,S,S,3], volume) -> one (frame [S,S,3], volume) pair per frame: a single-image model given a
    video config trains on the clips' frames (paper 4.7's single-image baseline)."""
    return clips.flat_map(
        lambda clip, volume: tf.data.Dataset.from_tensor_slices(clip).map(lambda frame: (frame, volume))
    )


def check_compatible(config, element_spec):
    """Raises ValueError unless the dataset yields `(images, volumes)` of the config's shapes."""
    model = config["model_config"]
    size, frames, channels = model.get("image_size", 80), model.get("frames", 1), model.get("channels", 3)
    depth = model.get("volume_size", 80)
    image_shape = (size, size, channels) if frames == 1 else (frames, size, size, channels)
    if not isinstance(element_spec, (tuple, list)) or len(element_spec) < 2:
        raise ValueError(f"dataset {config['dataset']!r} must yield (images, volumes); got {element_spec}")
    images, volumes = element_spec[0], element_spec[1]
    got_image, got_volume = tuple(images.shape[1:]), tuple(volumes.shape[1:])
    if got_image != image_shape:
        raise ValueError(
            f"dataset {config['dataset']!r} yields images of shape {got_image} but config {config['name']!r} "
            f"expects {image_shape} (image_size={size}, frames={frames}, channels={channels})"
        )
    if got_volume != (depth,) * 3:
        raise ValueError(
            f"dataset {config['dataset']!r} yields volumes of shape {got_volume} but config {config['name']!r} "
            f"expects {(depth,) * 3} (volume_size={depth})"
        )


def summary_images(model, batch, count=4):
    """TensorBoard images for the first `count` examples of `batch`, each `[N, H, W, C]` in [0, 1]:
    the input (a clip's middle frame), the target and predicted volumes as frontal silhouettes
    (max over z) and depth maps, and the image decoder's reconstruction when it is trained."""
    images, volumes = batch[0][:count], batch[1][:count]
    predicted = model.reconstruct(images)
    shown = images if model.frames == 1 else images[:, model.frames // 2]
    depth = tf.linspace(0.0, 1.0, model.volume_size)  # z runs towards the camera

    def depth_map(v):
        return tf.reduce_max(tf.cast(v > 0.5, tf.float32) * depth, axis=3)[..., None]

    out = {
        "input": tf.cast(shown, tf.float32),
        "volume/target_silhouette": tf.reduce_max(volumes, axis=3)[..., None],
        "volume/predicted_silhouette": tf.reduce_max(tf.clip_by_value(predicted, 0.0, 1.0), axis=3)[..., None],
        "volume/target_depth": depth_map(volumes),
        "volume/predicted_depth": depth_map(predicted),
    }
    if model.uses_image_decoder:
        rendered = model.render(*model.encode(images))
        out["image/reconstruction"] = rendered if model.frames == 1 else rendered[:, model.frames // 2]
    return out
