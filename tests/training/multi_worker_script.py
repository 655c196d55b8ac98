"""One worker of tests/training/test_multi_worker.py, run in a fresh interpreter with TF_CONFIG set.

Usage: python tests/training/multi_worker_script.py WORKDIR RESULT_JSON

Trains `distributed_helpers.tiny_config("multi_worker")` with `tf_ivg.training.loop.train` (which
creates the MultiWorkerMirroredStrategy from TF_CONFIG before any other TensorFlow op) and writes
RESULT_JSON: the history, whether this worker is the chief, where it wrote during training,
whether that place still exists afterwards, and whether tf_ivg's workaround for keras-team/keras#20585
(tf_ivg/training/keras_compat.py) was in place.
"""

import json
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from tests.training.distributed_helpers import DeterministicStart, tiny_config, use_square_groups  # noqa: E402
from tf_ivg.training import keras_compat, loop, strategies  # noqa: E402


class WhereItWrites(keras.callbacks.Callback):
    """Records the folder holding this worker's model.keras after each epoch (the checkpoint callback
    runs before this one)."""

    def __init__(self, workdir):
        super().__init__()
        self.workdir = workdir
        self.found = set()

    def on_epoch_end(self, epoch, logs=None):
        for root, _, files in os.walk(self.workdir):
            if "model.keras" in files:
                self.found.add(os.path.relpath(root, self.workdir))


def main(workdir, result_path):
    use_square_groups()
    where = WhereItWrites(workdir)
    model, history = loop.train(
        tiny_config("multi_worker"), workdir, verbose=0, callbacks=[DeterministicStart(), where]
    )
    strategy = model.distribute_strategy
    task_id = strategy.cluster_resolver.task_id
    result = {
        "task_id": task_id,
        "replicas": strategy.num_replicas_in_sync,
        "is_chief": strategies.is_chief(strategy),
        "history": {k: [float(v) for v in values] for k, values in history.history.items()},
        "checkpoint_dirs_seen": sorted(where.found),
        "temp_dir_left": os.path.exists(os.path.join(workdir, f"workertemp_{task_id}")),
        "keras_patched": keras_compat.is_patched(),
    }
    tmp = f"{result_path}.tmp"
    with open(tmp, "w") as f:
        json.dump(result, f)
    os.replace(tmp, result_path)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
