"""`python -m tf_ivg.pretrained.build`: trains and writes the shipped pretrained model.

Shape key: N examples, S image side (32), D volume side (32).

Recipe (`tf_ivg.configs.faces_volume`, variant "small"): EXAMPLES face pairs rendered in memory with
seed SEED (`tf_ivg.pretrained.recipe.generate`), 64 validation pairs (seed SEED + 1), TEST held-out pairs
(seed SEED + 2; their identities are checked to be disjoint from training), `model.fit` for STEPS steps,
then the test figures: volume MSE and voxel IoU of the model and of the mean-volume baseline (always
predicting the mean training volume). Writes, each atomically, to OUT (default: this package folder):
- `faces_volume_32.keras`: the VolumeIGN without optimizer state;
- `faces_volume_32.json`: config, the exact command, seed, data sizes, training time and test figures.
"""

import argparse
import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path

from tf_ivg.pretrained import INFO_PATH, MODEL_PATH
from tf_ivg.utils.files import atomic_path

VALIDATION_EXAMPLES = 64


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tf_ivg.pretrained.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(MODEL_PATH.parent), help="output folder (default: the package's)")
    parser.add_argument("--steps", type=int, default=None, help="training steps (default: the config's, 5000)")
    parser.add_argument("--examples", type=int, default=None, help="training pairs (default: the config's, 3000)")
    parser.add_argument("--test-examples", type=int, default=200, help="held-out test pairs (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and the initialisation (default 0)")
    return parser.parse_args(argv)


def build(out, steps=None, examples=None, test_examples=200, seed=0, command=None):
    """Trains the small faces model and writes `out/faces_volume_32.{keras,json}`; returns the record."""
    import tensorflow as tf

    from tf_ivg.configs import check_config
    from tf_ivg.configs.faces_volume import small_config
    from tf_ivg.pretrained import recipe

    for name, value in (("examples", examples), ("test_examples", test_examples)):
        if value is not None and (not isinstance(value, int) or value <= 0):
            raise ValueError(f"{name} must be a positive int; got {value!r}")
    config = small_config()
    config["seed"] = int(seed)
    if examples is not None:
        config["generated_examples"] = examples
    check_config(config)
    size, depth = config["model_config"]["image_size"], config["model_config"]["volume_size"]
    start = time.time()
    train = recipe.generate(config["generated_examples"], seed, size, depth, desc="training faces")
    val = recipe.generate(VALIDATION_EXAMPLES, seed + 1, size, depth, desc="validation faces")
    test = recipe.generate(test_examples, seed + 2, size, depth, desc="test faces")
    recipe.check_disjoint(train[2], test[2])
    data_seconds = time.time() - start

    start = time.time()
    model, history, config = recipe.train(config, train[:2], val[:2], steps=steps)
    train_seconds = time.time() - start
    model = recipe.inference_copy(model)
    mean_volume = train[1].mean(axis=0)
    threshold = model.iou_threshold
    record = {
        "name": "faces_volume_32",
        "description": "VolumeIGN (paper 000, volume decoder only): 32x32 RGB face image -> 32^3 occupancy",
        "command": command or "python -m tf_ivg.pretrained.build",
        "seed": int(seed),
        "threshold": threshold,
        "data": {
            "generator": "tf_ivg.pretrained.recipe.generate (faces, tf_ivg.data ranges, rendered by Scenes)",
            "train_examples": int(len(train[0])),
            "train_seed": int(seed),
            "validation_examples": VALIDATION_EXAMPLES,
            "validation_seed": int(seed) + 1,
            "test_examples": int(test_examples),
            "test_seed": int(seed) + 2,
            "test_identities_disjoint_from_train": True,
        },
        "training": {
            "steps": config["steps"],
            "batch_size": config["batch_size"],
            "final_train_volume_mse": round(float(history.history["volume_mse"][-1]), 5),
            "final_train_voxel_iou": round(float(history.history["volume_iou"][-1]), 4),
            "data_seconds": round(data_seconds, 1),
            "train_seconds": round(train_seconds, 1),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "cpus": os.cpu_count(),
            "tensorflow": tf.__version__,
            "python": platform.python_version(),
        },
        "parameters": int(model.count_params()),
        "test": recipe.evaluate(model, test[0], test[1], mean_volume, threshold=threshold),
        "test_at_paper_threshold": recipe.evaluate(model, test[0], test[1], mean_volume, threshold=0.01),
        "config": config,
    }
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # Both files are written to temporary paths first, so a failure leaves the old pair untouched.
    with atomic_path(out / MODEL_PATH.name) as model_tmp:
        model.save(model_tmp)
        record["file_bytes"] = model_tmp.stat().st_size
        with atomic_path(out / INFO_PATH.name) as info_tmp:
            info_tmp.write_text(json.dumps(record, indent=2) + "\n")
    return record


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = parse_args(argv)
    command = "python -m tf_ivg.pretrained.build" + "".join(
        " " + shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)
    )
    record = build(
        args.out,
        steps=args.steps,
        examples=args.examples,
        test_examples=args.test_examples,
        seed=args.seed,
        command=command,
    )
    print(json.dumps({k: record[k] for k in ("command", "test", "test_at_paper_threshold", "training")}, indent=2))
    print(f"wrote {Path(args.out) / MODEL_PATH.name} and {Path(args.out) / INFO_PATH.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
