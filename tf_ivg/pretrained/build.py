"""`python -m tf_ivg.pretrained.build [NAME]`: trains and writes a shipped pretrained model.

NAME is `faces_volume_32` (the default; its recipe below) or `dcign_faces_64` (`dcign_recipe.py`).
Shape key: N examples, S image side (32), D volume side (32).

Recipe of faces_volume_32 (`tf_ivg.configs.faces_volume`, variant "small"): `tf_ivg.train` on EXAMPLES face pairs rendered in
memory with seed SEED (`generated/faces`, `tf_ivg.data.make_volume_pairs`), validated on 64 pairs (seed
SEED + 1), then scored on TEST held-out pairs (seed SEED + 2; their identities are checked to be disjoint
from training): volume MSE and voxel IoU of the model and of the mean-volume baseline (always predicting
the mean training volume). Training runs in WORKDIR (default `runs/pretrained/faces_volume_32`), so a
killed build resumes where it stopped. Writes, each atomically, to OUT (default: this package folder):
- `faces_volume_32.keras`: the VolumeIGN without optimizer state, with in-distribution statistics
  (`tf_ivg.novelty.with_novelty`: a Gaussian of the training images' shape codes, its threshold the 99th
  percentile of NOVELTY_EXAMPLES held-out faces, seed SEED + 3, identities disjoint from training);
- `faces_volume_32.json`: config, the exact command, seed, data sizes, training time, test figures, and the
  in-distribution check's false-alarm rate on the test faces and detection rate on `tf_ivg.novelty.reference_outliers`.
"""

import argparse
import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path

from tf_ivg.pretrained import DEFAULT, HERE

VALIDATION_EXAMPLES = 64
NOVELTY_EXAMPLES = 500
DCIGN = "dcign_faces_64"
RECIPES = (DEFAULT, DCIGN)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tf_ivg.pretrained.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("name", nargs="?", default=DEFAULT, choices=RECIPES, help=f"which model (default {DEFAULT})")
    parser.add_argument("--out", default=str(HERE), help="output folder (default: the package's)")
    parser.add_argument(
        "--workdir", default=None, help="training workdir (checkpoints, logs; resumable; default runs/pretrained/NAME)"
    )
    parser.add_argument(
        "--data-dir", default="data", help=f"tfds data directory ({DCIGN}: generated there if missing; default data)"
    )
    parser.add_argument(
        "--steps", type=int, default=None, help="training steps (default: the config's: 5000; 12000 for dcign_faces_64)"
    )
    parser.add_argument("--examples", type=int, default=None, help="training pairs (default: the config's, 3000)")
    parser.add_argument("--test-examples", type=int, default=200, help="held-out test pairs (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and the initialisation (default 0)")
    args = parser.parse_args(argv)
    args.workdir = args.workdir or f"runs/pretrained/{args.name}"
    if args.name == DCIGN and args.examples is not None:
        parser.error(f"--examples applies to {DEFAULT}; {DCIGN} trains on the tfds dataset ivg_faces/dcign_64")
    for name in ("steps", "examples", "test_examples"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            parser.error(f"--{name.replace('_', '-')} must be a positive int; got {value}")
    return args


def build(out, workdir, steps=None, examples=None, test_examples=200, seed=0, command=None):
    """Trains the small faces model and writes `out/faces_volume_32.{keras,json}`; returns the record."""
    import tensorflow as tf

    import tf_ivg
    from tf_ivg import novelty
    from tf_ivg.checkpoints import save_for_inference
    from tf_ivg.configs.faces_volume import small_config
    from tf_ivg.data.factors import identity_coefficients
    from tf_ivg.data.scenes import Scenes, check_disjoint
    from tf_ivg.metrics import score_volumes
    from tf_ivg.training.progress import StepProgress
    from tf_ivg.utils.files import atomic_path

    config = small_config(**({"steps": steps} if steps else {}), **({"examples": examples} if examples else {}))
    config["seed"] = int(seed)
    config["generated_validation_examples"] = VALIDATION_EXAMPLES
    size, depth = config["model_config"]["image_size"], config["model_config"]["volume_size"]
    scenes = Scenes("faces", image_size=size, volume_size=depth)

    start = time.time()
    model, history = tf_ivg.train(config, str(workdir), verbose=0, callbacks=[StepProgress(config["steps"])])
    train_seconds = time.time() - start

    start = time.time()
    train_ids = scenes.pair_identities(config["generated_examples"], seed=seed)
    test_images, test_volumes, test_factors = scenes.pairs(test_examples, seed=seed + 2, progress=True)
    check_disjoint(train_ids, test_factors["identity"])
    mean_volume = scenes.volumes(identity_coefficients("faces", train_ids)[1]).mean(axis=0)
    threshold = model.iou_threshold
    images_only = Scenes("faces", image_size=size)
    train_images = images_only.pairs(config["generated_examples"], seed=seed)[0]
    held_out_images, _, held_out_factors = images_only.pairs(NOVELTY_EXAMPLES, seed=seed + 3)
    check_disjoint(train_ids, held_out_factors["identity"])
    model, _ = novelty.with_novelty(model, train_images, held_out_images)
    in_distribution = novelty.evaluate(model, test_images, novelty.reference_outliers(size))
    record = {
        "name": DEFAULT,
        "description": "VolumeIGN (Grant et al. 2016, volume decoder only): 32x32 RGB face image -> 32^3 occupancy, "
        "trained on procedural faces rendered on a dark background (not photographs)",
        "command": command or "python -m tf_ivg.pretrained.build",
        "seed": int(seed),
        "threshold": threshold,
        "data": {
            "generator": "tf_ivg.data.make_volume_pairs (faces, tf_ivg.data.RANGES)",
            "train_examples": int(config["generated_examples"]),
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
            # None when the workdir held the finished run already (tf_ivg.train did not train).
            "final_train_volume_mse": round(float(history.history["volume_mse"][-1]), 5) if history else None,
            "final_train_voxel_iou": round(float(history.history["volume_iou"][-1]), 4) if history else None,
            "train_seconds": round(train_seconds, 1),
            "test_data_seconds": round(time.time() - start, 1),
            "cpus": os.cpu_count(),
            "tensorflow": tf.__version__,
            "python": platform.python_version(),
        },
        "parameters": int(model.count_params()),
        "test": score_volumes(model, test_images, test_volumes, mean_volume, threshold=threshold),
        "test_at_paper_threshold": score_volumes(model, test_images, test_volumes, mean_volume, threshold=0.01),
        "in_distribution": {
            "method": "Mahalanobis distance of the shape code from a Ledoit-Wolf Gaussian of the training images' "
            "codes, per code unit (tf_ivg.novelty)",
            "fitted_on": f"the {config['generated_examples']} training images",
            "threshold_from": f"the {novelty.DEFAULT_QUANTILE} quantile of {NOVELTY_EXAMPLES} held-out faces "
            f"(seed {int(seed) + 3}, identities disjoint from training)",
            "false_alarms_measured_on": f"the {test_examples} test faces",
            "outlier_sources": "tf_ivg.novelty.reference_outliers: scikit-image sample photographs, uniform noise, "
            "constant images",
            **in_distribution,
        },
        "config": config,
    }
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # The model is written to a temporary path first, so a failure leaves the old pair untouched.
    with atomic_path(out / f"{DEFAULT}.keras") as model_tmp:
        record["file_bytes"] = save_for_inference(model, model_tmp)
        with atomic_path(out / f"{DEFAULT}.json") as info_tmp:
            info_tmp.write_text(json.dumps(record, indent=2) + "\n")
    return record


def main(argv=None):
    args = parse_args(argv)
    from tf_ivg.utils.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()
    command = "python -m tf_ivg.pretrained.build" + "".join(
        " " + shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)
    )
    if args.name == DCIGN:
        from tf_ivg.pretrained import dcign_recipe

        record = dcign_recipe.build(
            args.out, args.workdir, args.data_dir, steps=args.steps, seed=args.seed, command=command
        )
        print(json.dumps({k: record[k] for k in ("command", "test", "training")}, indent=2))
    else:
        record = build(
            args.out,
            args.workdir,
            steps=args.steps,
            examples=args.examples,
            test_examples=args.test_examples,
            seed=args.seed,
            command=command,
        )
        print(json.dumps({k: record[k] for k in ("command", "test", "test_at_paper_threshold", "training")}, indent=2))
    print(f"wrote {Path(args.out) / (args.name + '.keras')} and {Path(args.out) / (args.name + '.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
