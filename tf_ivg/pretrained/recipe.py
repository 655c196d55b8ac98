"""The training recipe shared by the shipped pretrained model and `make demo`.

Shape key: N examples, B batch, S image side (32), D volume side (32).

- `generate(num, seed, ...)`: face image/volume pairs rendered in memory (as `tf_ivg.data.make_volume_pairs`,
  via `tf_ivg.data.scenes.Scenes`) in chunks under a progress bar -> `(images [N, S, S, 3], volumes [N, D, D, D], identities [N])`.
- `train(config, train_pairs, val_pairs, steps)`: a compiled VolumeIGN from the config
  (`tf_ivg.training.volume_task.build_model`) fitted with `model.fit`, one progress bar over all steps.
- `identities(num, seed)`: the identity ids `generate` would draw, without rendering (to check held-out sets).
- `evaluate(model, images, volumes, mean_volume, threshold)`: test figures beside the mean-volume baseline.
- `inference_copy(model)`: the same weights in an uncompiled model (no optimizer state: a smaller file).
"""

import json

import keras
import numpy as np
import tensorflow as tf

from tf_ivg.evaluation import metrics


def generate(num, seed, image_size=32, volume_size=32, chunk=250, desc="generating faces"):
    """`num` random faces in random poses, rendered in chunks of `chunk` under a tqdm bar.

    Faces, poses and lighting are drawn as in `tf_ivg.data.make_volume_pairs` (the training data's
    ranges), rendered with `tf_ivg.data.scenes.Scenes`, which XLA-compiles the renderer and the
    voxelizer once per size whatever `num` is. Chunk k uses the generator `default_rng([seed, k])`,
    so the pairs depend only on (num, seed, chunk).

    Returns:
      `(images [N, S, S, 3] float32 in [0, 1], volumes [N, D, D, D] float32 in {0, 1}, identities [N] int64)`.
    """
    from tqdm.auto import tqdm

    from tf_ivg.data.scenes import Scenes

    if not isinstance(num, int) or num <= 0:
        raise ValueError(f"num must be a positive int; got {num!r}")
    scenes = Scenes("faces", image_size=image_size, volume_size=volume_size)
    images, volumes, ids = [], [], []
    with tqdm(total=num, desc=desc, unit="face") as bar:
        for k, start in enumerate(range(0, num, chunk)):
            n = min(chunk, num - start)
            rng = np.random.default_rng([int(seed), k])
            identities, params = scenes.identities(n, rng)
            images.append(scenes.images(params, scenes.factors(n, rng)))
            volumes.append(scenes.volumes(params))
            ids.append(identities)
            bar.update(n)
    return np.concatenate(images), np.concatenate(volumes), np.concatenate(ids)


def identities(num, seed, chunk=250):
    """The identity ids `generate(num, seed, chunk=chunk)` draws, without rendering anything -> `[N]` int64."""
    from tf_ivg.data.scenes import Scenes

    scenes = Scenes("faces", image_size=32)
    return np.concatenate(
        [
            scenes.identities(min(chunk, num - start), np.random.default_rng([int(seed), k]))[0]
            for k, start in enumerate(range(0, num, chunk))
        ]
    )


def check_disjoint(train_ids, test_ids):
    """Raises ValueError if a test identity also appears in training."""
    shared = np.intersect1d(train_ids, test_ids)
    if shared.size:
        raise ValueError(f"{shared.size} test identities also appear in training: {shared[:5].tolist()}")


class StepProgress(keras.callbacks.Callback):
    """One tqdm bar over all training steps, showing the latest loss and IoU."""

    def __init__(self, total, desc="training"):
        super().__init__()
        self.total, self.desc, self.bar = total, desc, None

    def on_train_begin(self, logs=None):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=self.total, desc=self.desc, unit="step", mininterval=0.5)

    def on_train_batch_end(self, batch, logs=None):
        self.bar.update(1)
        if logs and batch % 10 == 0:
            self.bar.set_postfix({k: f"{float(logs[k]):.4f}" for k in ("volume_mse", "volume_iou") if k in logs})

    def on_epoch_end(self, epoch, logs=None):
        if logs and "val_volume_iou" in logs:
            self.bar.write(
                f"after {(epoch + 1) * self.params['steps']} steps: val volume_mse "
                f"{logs['val_volume_mse']:.4f}, val voxel IoU {logs['val_volume_iou']:.4f}"
            )

    def on_train_end(self, logs=None):
        self.bar.close()


def resolve(config, steps=None):
    """A copy of `config` with `steps` overridden (the cosine decay, if any, follows it)."""
    config = json.loads(json.dumps(config))
    if steps is not None:
        if not isinstance(steps, int) or steps <= 0:
            raise ValueError(f"steps must be a positive int; got {steps!r}")
        config["steps"] = steps
    learning_rate = config["optimizer"].get("learning_rate")
    if isinstance(learning_rate, dict) and "decay_steps" in learning_rate.get("config", {}):
        learning_rate["config"]["decay_steps"] = config["steps"]
    config["steps_per_epoch"] = min(config.get("steps_per_epoch", 100), config["steps"])
    return config


def train(config, train_pairs, val_pairs=None, steps=None, callbacks=(), progress=True):
    """Fits a VolumeIGN described by `config` on in-memory pairs.

    Args:
      config: a volume config (e.g. `tf_ivg.configs.faces_volume.get_config("small")`).
      train_pairs: `(images [N, S, S, 3], volumes [N, D, D, D])`.
      val_pairs: optional pairs for validation after each epoch of `config["steps_per_epoch"]` steps.
      steps: overrides `config["steps"]`.

    Returns:
      `(model, history, resolved config)`.
    """
    from tf_ivg.training.volume_task import build_model

    config = resolve(config, steps)
    keras.utils.set_random_seed(config.get("seed", 0))
    batch = config["batch_size"]
    images, volumes = train_pairs
    if len(images) < batch:
        raise ValueError(f"need at least batch_size={batch} training pairs; got {len(images)}")
    train_ds = (
        tf.data.Dataset.from_tensor_slices((images, volumes))
        .shuffle(len(images), seed=config.get("seed", 0))
        .repeat()
        .batch(batch, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )
    val_ds, val_steps = None, None
    if val_pairs is not None and len(val_pairs[0]) >= batch:
        val_ds = tf.data.Dataset.from_tensor_slices(tuple(val_pairs)).batch(batch, drop_remainder=True).repeat()
        val_steps = len(val_pairs[0]) // batch
    model = build_model(config)
    per_epoch = config["steps_per_epoch"]
    epochs = -(-config["steps"] // per_epoch)
    from tf_ivg.training.loop import StopAtStep

    extra = [StepProgress(config["steps"])] if progress else []
    history = model.fit(
        train_ds,
        epochs=epochs,
        steps_per_epoch=per_epoch,
        validation_data=val_ds,
        validation_steps=val_steps,
        verbose=0,
        shuffle=False,  # train_ds is shuffled
        callbacks=[StopAtStep(config["steps"]), *extra, *callbacks],
    )
    return model, history, config


def inference_copy(model):
    """An uncompiled VolumeIGN with `model`'s architecture and weights (no optimizer state)."""
    from tf_ivg.models.volume_ign import VolumeIGN

    copy = VolumeIGN.from_config(model.get_config())
    copy.set_weights(model.get_weights())
    return copy


def evaluate(model, images, volumes, mean_volume, threshold=0.5, batch_size=32):
    """Test figures of `model` beside the mean-volume baseline (always predicting `mean_volume`).

    Args:
      images: `[N, S, S, 3]`; volumes: `[N, D, D, D]` in {0, 1}; mean_volume: `[D, D, D]` (training mean).
      threshold: occupancy threshold of the predictions for IoU (the target is binarised at 0.5).

    Returns:
      dict with `examples`, `threshold`, and for "model" and "mean_volume_baseline" the mean (and SD
      over examples) of `volume_mse` and `voxel_iou`.
    """
    from tf_ivg.evaluation.experiments.common import reconstruct

    predicted = reconstruct(model, images, batch_size=batch_size)
    baseline = np.broadcast_to(np.asarray(mean_volume, np.float32), volumes.shape)
    out = {"examples": int(len(images)), "threshold": float(threshold)}
    for name, prediction in (("model", predicted), ("mean_volume_baseline", baseline)):
        mse = metrics.mse(prediction, volumes)
        iou = metrics.voxel_iou(prediction, volumes, threshold=threshold)
        out[name] = {
            "volume_mse": round(float(mse.mean()), 5),
            "volume_mse_sd": round(float(mse.std()), 5),
            "voxel_iou": round(float(iou.mean()), 4),
            "voxel_iou_sd": round(float(iou.std()), 4),
        }
    return out
