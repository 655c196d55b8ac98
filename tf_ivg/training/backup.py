"""`Backup`: the resumable state of a `tf-ivg train` run, written so that a kill at any moment leaves a
loadable backup.

Layout of `WORKDIR/backup/`: `weights.weights.h5` (the model's and optimizers' variables, Keras's
`save_weights` format) and `progress.json` (`{"epoch": finished epochs}`). Each is written to a temporary
file in the same folder and renamed over the old one, so either the old or the new file is there, never
a truncated one; the weights are renamed before the progress, so a kill between the two redoes at most
one epoch (the optimizer's step count, saved with the weights, keeps `StopAtStep` exact).

Public Keras only: `Model.save_weights`/`load_weights`, `Optimizer.build`, and `fit(initial_epoch=...)`
(`restore` returns the epoch to start from).
"""

import json
import os
import shutil

import keras

from tf_ivg.utils.files import atomic_path

WEIGHTS_FILE = "weights.weights.h5"
PROGRESS_FILE = "progress.json"


class Backup(keras.callbacks.Callback):
    """Saves the run's state after every epoch; `restore(model)` before `fit` resumes it.

    Args:
      directory: the backup folder (`WORKDIR/backup`).
      write: False on the non-chief workers of a multi-worker run (they restore from the chief's backup,
        on a filesystem all workers share, and never write or delete it).
    """

    def __init__(self, directory, write=True):
        super().__init__()
        self.directory = str(directory)
        self.write = bool(write)
        self.epoch = 0

    @property
    def weights_path(self):
        return os.path.join(self.directory, WEIGHTS_FILE)

    @property
    def progress_path(self):
        return os.path.join(self.directory, PROGRESS_FILE)

    def restore(self, model):
        """Loads the backed-up state into `model` (built and compiled) -> the number of finished epochs
        (0 without a backup).

        Raises:
          ValueError: a backup that cannot be loaded, with what to do about it.
        """
        if not os.path.isfile(self.weights_path):
            return 0
        try:
            if model.optimizer is not None and not model.optimizer.built:
                model.optimizer.build(model.trainable_variables)
            model.load_weights(self.weights_path)
            epoch = 0
            if os.path.isfile(self.progress_path):
                with open(self.progress_path) as f:
                    epoch = int(json.load(f)["epoch"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise ValueError(
                f"the backup in {self.directory} cannot be loaded ({reason}); rerun with --restart "
                "(train(..., restart=True)) to discard it and start over"
            ) from None
        self.epoch = epoch
        return epoch

    def on_epoch_end(self, epoch, logs=None):
        self.epoch = epoch + 1
        if not self.write:
            return
        with atomic_path(self.weights_path) as tmp:
            self.model.save_weights(str(tmp))
        with atomic_path(self.progress_path) as tmp:
            tmp.write_text(json.dumps({"epoch": self.epoch}) + "\n")

    def on_train_end(self, logs=None):
        # A finished run needs no backup (fit returns normally only when every epoch ran or the step
        # count was reached); an interrupted one never gets here.
        if self.write:
            shutil.rmtree(self.directory, ignore_errors=True)
