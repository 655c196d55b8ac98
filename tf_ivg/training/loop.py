"""The generic `tf-ivg train` loop: config -> task -> data -> model -> `model.fit`.

Nothing here knows a particular model; `tf_ivg/training/tasks.py` maps the config's `model` to a
task module (docs/CONTRACTS.md). What every run gets:
- checks before training: the config's keys, the task's own `validate_config`, the dataset's
  existence (FileNotFoundError) and the data/model shape match (ValueError);
- `model.fit` with the Keras progress bar, TensorBoard scalars and the task's summary images,
  an atomic `.keras` checkpoint each epoch, and a backup (`tf_ivg.training.backup.Backup`, written by
  renames so a kill at any moment leaves a loadable one) from which a killed run resumes at the last
  finished epoch;
- the resolved config saved as `WORKDIR/config.json` beside `WORKDIR/model.keras` (with
  `strategy_class` and `replicas`: the distribution strategy that actually ran).

An "epoch" is `steps_per_epoch` steps (default min(steps, 100)); it is the unit of checkpointing,
resuming, validation and image summaries.
"""

import json
import math
import os
import shutil

import keras
import tensorflow as tf

from tf_ivg.checkpoints import CONFIG_FILE, MODEL_FILE
from tf_ivg.configs import check_config
from tf_ivg.training import strategies
from tf_ivg.training.backup import Backup
from tf_ivg.training.tasks import get_task
from tf_ivg.utils.files import atomic_path, write_json
from tf_ivg.utils.progress import interactive


def resolve_config(config, steps=None, mixed_bf16=False):
    """A copy of `config` with command-line overrides applied and derived loop settings filled in."""
    check_config(config)
    config = json.loads(json.dumps(config))
    if steps is not None:
        if not isinstance(steps, int) or steps <= 0:
            raise ValueError(f"steps must be a positive int; got {steps!r}")
        config["steps"] = steps
    config["steps_per_epoch"] = min(int(config.get("steps_per_epoch", 100)), config["steps"])
    if config["steps_per_epoch"] <= 0:
        raise ValueError(f"steps_per_epoch must be positive; got {config['steps_per_epoch']!r}")
    config["epochs"] = math.ceil(config["steps"] / config["steps_per_epoch"])
    learning_rate = config["optimizer"].get("learning_rate")
    if isinstance(learning_rate, dict) and "decay_steps" in learning_rate.get("config", {}):
        learning_rate["config"]["decay_steps"] = config["steps"]  # a decay schedule follows --steps
    config.setdefault("validation_steps", 10)
    config.setdefault("seed", 0)
    config.setdefault("strategy", strategies.DEFAULT)
    config["mixed_bf16"] = bool(mixed_bf16 or config.get("mixed_bf16", False))
    return config


class StopAtStep(keras.callbacks.Callback):
    """Ends training once the optimizer has taken `steps` steps, so a last partial epoch (steps not a
    multiple of steps_per_epoch) stops where the config says."""

    def __init__(self, steps):
        super().__init__()
        self.steps = int(steps)

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.optimizer.iterations.numpy()) >= self.steps:
            self.model.stop_training = True


class AtomicModelCheckpoint(keras.callbacks.Callback):
    """Saves the whole model (with optimizer state) to `path` after each epoch, via a temp file and
    a rename, so a run killed mid-save never leaves a truncated `.keras` file."""

    def __init__(self, path):
        super().__init__()
        self.path = path

    def on_epoch_end(self, epoch, logs=None):
        with atomic_path(self.path) as tmp:
            self.model.save(tmp)


class ImageSummaries(keras.callbacks.Callback):
    """Writes `summary_images(model, batch)` to TensorBoard after each epoch.

    Args:
      summary_images: the task's function `(model, batch) -> {name: [N, H, W, C] in [0, 1]}`.
      batch: a fixed batch (as the dataset yields it) to visualise.
      log_dir: the TensorBoard directory; images go to `log_dir/images`.
      steps_per_epoch: to label summaries with the training step.
    """

    def __init__(self, summary_images, batch, log_dir, steps_per_epoch):
        super().__init__()
        self.summary_images = summary_images
        self.batch = batch
        self.writer = tf.summary.create_file_writer(os.path.join(log_dir, "images"))
        self.steps_per_epoch = steps_per_epoch

    def on_epoch_end(self, epoch, logs=None):
        images = self.summary_images(self.model, self.batch)
        with self.writer.as_default(step=(epoch + 1) * self.steps_per_epoch):
            for name, value in images.items():
                tf.summary.image(name, tf.clip_by_value(tf.cast(value, tf.float32), 0.0, 1.0), max_outputs=4)
        self.writer.flush()


def _same_run(previous, config, workdir, state, remedy):
    """ValueError unless the run recorded in `previous` (a workdir's config) trains `config`'s model, dataset
    and batch size."""
    for key in ("model", "dataset", "model_config", "batch_size"):
        if previous.get(key) != config.get(key):
            raise ValueError(
                f"{workdir} holds {state} run with a different {key!r} ({previous.get(key)!r} there, "
                f"{config.get(key)!r} now); {remedy}"
            )


def _previous_config(workdir):
    """The config a run wrote into `workdir`, or None."""
    path = os.path.join(workdir, CONFIG_FILE)
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def _check_workdir(workdir, config):
    """Refuses to resume a backed-up run under a different model or dataset."""
    previous = _previous_config(workdir)
    if previous is not None and os.path.isdir(os.path.join(workdir, "backup")):
        _same_run(previous, config, workdir, "an unfinished", f"use another --workdir or delete {workdir}/backup")


def _finished_steps(workdir, config):
    """The steps of a run that finished in `workdir` (its model file and config, no backup), or None.

    Raises:
      ValueError: the finished run trained another model, dataset or batch size.
    """
    previous = _previous_config(workdir)
    if (
        previous is None
        or os.path.isdir(os.path.join(workdir, "backup"))
        or not os.path.isfile(os.path.join(workdir, MODEL_FILE))
    ):
        return None
    _same_run(previous, config, workdir, "a finished", "use another --workdir, or --restart to overwrite it")
    return int(previous.get("steps", 0))


def train(
    config,
    workdir,
    data_dir=None,
    steps=None,
    mixed_bf16=False,
    strategy=None,
    verbose="auto",
    callbacks=(),
    restart=False,
):
    """Trains the model a config describes; resumes from `workdir/backup` if a run was interrupted.

    Args:
      config: a config dict (`tf_ivg.configs.get_config(...)`).
      workdir: output folder (model.keras, config.json, logs/, backup/).
      data_dir: tfds data directory (None: the tfds default).
      steps: overrides `config["steps"]`.
      mixed_bf16: train under the `mixed_bfloat16` dtype policy.
      strategy: a `tf.distribute.Strategy` (default: `strategies.make_strategy(config["strategy"])`,
        made before any other TensorFlow op as MultiWorkerMirroredStrategy requires). Under
        multi-worker only the chief writes into `workdir`; the others write into a temporary
        `workdir/workertemp_<id>` that is removed at the end.
      verbose: passed to `model.fit`; "auto" shows Keras's progress bar on a terminal or in a notebook and
        one line per epoch when the output is redirected to a file.
      callbacks: extra Keras callbacks (e.g. `tf_ivg.training.progress.StepProgress` with `verbose=0`).
      restart: discard an unfinished run's backup in `workdir/backup`, or a finished run, and start from step 0.

    A workdir holding a finished run of at least `steps` steps is not trained again: the call returns its
    model (compiled, the trained weights) and `history` None. One of fewer steps is refused (ValueError), as
    it cannot be extended; `restart=True` trains from step 0 and overwrites it.

    Returns:
      `(model, history)`.
    """
    config = resolve_config(config, steps=steps, mixed_bf16=mixed_bf16)
    task = get_task(config["model"])
    # First of all (a task's validate_config may already create Keras variables): MultiWorkerMirroredStrategy
    # must exist before any TensorFlow op runs in the process.
    strategy = strategy or strategies.make_strategy(config["strategy"])
    # What actually ran: a strategy object passed in overrides the config's "strategy" name.
    config["strategy_class"] = type(strategy).__name__
    config["replicas"] = int(strategy.num_replicas_in_sync)
    if hasattr(task, "validate_config"):
        task.validate_config(config)
    strategies.check_batch_size(config["batch_size"], strategy)
    os.makedirs(workdir, exist_ok=True)
    if restart and strategies.is_chief(strategy):
        shutil.rmtree(os.path.join(workdir, "backup"), ignore_errors=True)
    _check_workdir(workdir, config)
    finished = None if restart else _finished_steps(workdir, config)
    if finished is not None:
        if finished < config["steps"]:
            raise ValueError(
                f"{workdir} holds a run that finished after {finished} steps; it cannot be extended to "
                f"{config['steps']}: use another --workdir, or --restart to train from step 0 and overwrite it"
            )
        with strategy.scope():
            model = task.build_model(config)
        model.load_weights(os.path.join(workdir, MODEL_FILE))
        return model, None
    out_dir = strategies.write_dir(workdir, strategy)  # workdir on the chief, a temporary dir elsewhere

    previous_policy = keras.mixed_precision.dtype_policy()
    if config["mixed_bf16"]:
        keras.mixed_precision.set_dtype_policy("mixed_bfloat16")
    try:
        keras.utils.set_random_seed(config["seed"])
        train_ds, val_ds = task.make_datasets(config, data_dir)
        if not config["validation_steps"]:
            val_ds = None
        task.check_compatible(config, train_ds.element_spec)
        if val_ds is not None:
            task.check_compatible(config, val_ds.element_spec)
        sample_batch = next(iter((val_ds if val_ds is not None else train_ds).take(1)))
        train_ds, val_ds = strategies.shard(train_ds, strategy), strategies.shard(val_ds, strategy)

        backup = Backup(os.path.join(workdir, "backup"), write=strategies.is_chief(strategy))
        with strategy.scope():
            model = task.build_model(config)
            initial_epoch = backup.restore(model)
        write_json(os.path.join(out_dir, CONFIG_FILE), config)

        log_dir = os.path.join(out_dir, "logs")
        all_callbacks = [
            backup,
            AtomicModelCheckpoint(os.path.join(out_dir, MODEL_FILE)),
            keras.callbacks.TensorBoard(log_dir, update_freq=max(1, config["steps_per_epoch"] // 10)),
            ImageSummaries(task.summary_images, sample_batch, log_dir, config["steps_per_epoch"]),
            *callbacks,
        ]
        if config["steps"] % config["steps_per_epoch"]:
            all_callbacks.insert(0, StopAtStep(config["steps"]))
        if verbose == "auto":  # the per-step bar on a terminal or in a notebook; one line per epoch in a log file
            verbose = 1 if interactive() else 2
        history = model.fit(
            train_ds,
            epochs=config["epochs"],
            initial_epoch=initial_epoch,
            steps_per_epoch=config["steps_per_epoch"],
            validation_data=val_ds,
            validation_steps=config["validation_steps"] if val_ds is not None else None,
            callbacks=all_callbacks,
            verbose=verbose,
            shuffle=False,  # the task's datasets are shuffled; Keras ignores (and warns about) shuffle for them
        )
    finally:
        keras.mixed_precision.set_dtype_policy(previous_policy)
        strategies.remove_write_dir(out_dir, workdir)
    return model, history
