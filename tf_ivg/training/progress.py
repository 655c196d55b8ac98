"""`StepProgress`: one progress bar over all training steps, for `train(..., verbose=0, callbacks=[...])`.

Keras's own bar restarts every epoch (an epoch is a checkpointing unit of `steps_per_epoch` steps);
this one runs across epochs, shows the latest loss terms and prints the validation scores after each
epoch. On a terminal or in a notebook only (`tf_ivg.utils.progress`); redirected logs get the
validation lines alone.
"""

import keras

from tf_ivg.utils.progress import progress_bar


class StepProgress(keras.callbacks.Callback):
    """A tqdm bar over `total` steps showing `shown` logs; validation logs printed after each epoch.

    Args:
      total: the number of training steps.
      shown: names of the per-step logs to show beside the bar.
      desc: the bar's label.
    """

    def __init__(self, total, shown=("volume_mse", "volume_iou"), desc="training"):
        super().__init__()
        self.total, self.shown, self.desc, self.bar = int(total), tuple(shown), desc, None
        self.done = 0

    def on_train_begin(self, logs=None):
        self.done = int(self.model.optimizer.iterations.numpy())  # a resumed run starts part-way
        self.bar = progress_bar(total=self.total, desc=self.desc, unit="step")
        self.bar.update(self.done)

    def on_train_batch_end(self, batch, logs=None):
        self.bar.update(1)
        self.done += 1
        if logs and batch % 10 == 0:
            self.bar.set_postfix({k: f"{float(logs[k]):.4f}" for k in self.shown if k in logs})

    def on_epoch_end(self, epoch, logs=None):
        scores = {k[4:]: v for k, v in (logs or {}).items() if k.startswith("val_") and k[4:] in self.shown}
        if scores:
            text = ", ".join(f"{k} {float(v):.4f}" for k, v in scores.items())
            self.bar.write(f"after {self.done} steps: validation {text}")

    def on_train_end(self, logs=None):
        self.bar.close()
