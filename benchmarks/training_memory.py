"""Resident memory of a training run over its steps; prints JSON.

Trains a config with `tf_ivg.train` (the one trainer) for `--steps` steps in a temporary workdir and records
the process's resident set size (VmRSS from /proc/self/status) after the steps in `--at`. The issue this
answers: an 80^3 `faces_volume` run on `ivg_faces/volumes_80` grew to ~10 GB over its first 1,600 steps. The
cause was tfds's auto-cache, which keeps datasets under 250 MiB on disk in memory *decoded* (zlib-stored
volumes inflate ~40x); `tf_ivg.data.pipelines` now reads without it. The target: RSS at the last step within
20% of RSS at step 100.

Usage (the dataset must be generated first, `tf-ivg generate ivg_faces/volumes_80 --data-dir DIR`):
  nice python benchmarks/training_memory.py --config faces_volume --data-dir DIR --steps 1000
  nice python benchmarks/training_memory.py --config faces_volume --variant smoke --data-dir DIR --steps 300
"""

import argparse
import json
import os
import platform
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def rss_mib():
    """This process's resident set size in MiB (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="faces_volume")
    parser.add_argument("--variant", default="full")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--at", type=int, nargs="+", default=[100, 250, 500, 750, 1000])
    parser.add_argument("--mixed-bf16", action="store_true")
    args = parser.parse_args(argv)
    if args.steps < 100:
        parser.error("--steps must be at least 100 (the reference point)")

    import keras

    import tf_ivg

    config = tf_ivg.configs.get_config(args.config, args.variant)
    config["steps_per_epoch"] = min(config.get("steps_per_epoch", args.steps), args.steps)
    at = sorted({s for s in args.at if s <= args.steps} | {100, args.steps})
    samples = {}
    start = time.time()

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            step = int(self.model.optimizer.iterations.numpy())
            if step in at and step not in samples:
                samples[step] = round(rss_mib(), 1)

    with tempfile.TemporaryDirectory() as workdir:
        tf_ivg.train(
            config,
            workdir,
            data_dir=args.data_dir,
            steps=args.steps,
            mixed_bf16=args.mixed_bf16,
            verbose=0,
            callbacks=[Record()],
        )
    growth = samples[args.steps] / samples[100] - 1.0
    print(
        json.dumps(
            {
                "config": args.config,
                "variant": args.variant,
                "dataset": config["dataset"],
                "steps": args.steps,
                "batch_size": config["batch_size"],
                "rss_mib_at_step": {str(k): v for k, v in sorted(samples.items())},
                "growth_after_step_100": round(growth, 4),
                "within_20_percent": abs(growth) <= 0.2,
                "seconds": round(time.time() - start, 1),
                "python": platform.python_version(),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
