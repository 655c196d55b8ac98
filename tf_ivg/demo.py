"""`make demo` (`python -m tf_ivg.demo`): the whole pipeline on a fresh 2-core machine, in minutes.

Shape key: N faces, S image side (32), D volume side (32).

Steps, each announced as it starts:
1. check the papers' custom layers' gradients against finite differences (`tf_ivg.layers.checks`);
2. render a small face dataset in memory: training pairs, validation pairs and held-out test faces
   whose identities never appear in training (`tf_ivg.pretrained.recipe.generate`);
3. train the 32^3 VolumeIGN (`faces_volume` config, variant "small") with a progress bar;
4. score the held-out faces (volume MSE, voxel IoU) beside the mean-volume baseline;
5. reconstruct the first held-out faces: a GLB and an OBJ mesh each, and `report.png` (rows: input,
   predicted volume from three viewpoints, ground truth from the same viewpoints);
6. export a TF Serving SavedModel (`tf_ivg.serving.export_model`) and check it reloads;
7. print where everything is (also written to `WORKDIR/summary.json`).

Layout of WORKDIR (default `runs/demo`): `train/model.keras` + `train/config.json` (a checkpoint
`tf-ivg reconstruct --checkpoint` and `tf-ivg export` accept), `meshes/face_<i>.{glb,obj}`, `inputs/face_<i>.png`,
`report.png`, `serving/faces_volume_32/1/` (SavedModel), `summary.json`.

`--quick` is a tiny end-to-end run for tests (about a minute); `--steps`/`--examples` tune the full one.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

DEFAULTS = {"steps": 2000, "examples": 1500, "validation": 64, "test": 32, "shown": 4}
QUICK = {"steps": 60, "examples": 64, "validation": 16, "test": 4, "shown": 2}
SEED = 0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tf_ivg.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", default="runs/demo", help="output folder (default: runs/demo)")
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help=f"training steps (default {DEFAULTS['steps']}; {QUICK['steps']} with --quick)",
    )
    parser.add_argument(
        "--examples",
        type=int,
        default=None,
        help=f"training faces (default {DEFAULTS['examples']}; {QUICK['examples']} with --quick)",
    )
    parser.add_argument("--quick", action="store_true", help="a tiny run (for tests): few faces, few steps")
    parser.add_argument("--skip-layer-checks", action="store_true", help="skip step 1")
    args = parser.parse_args(argv)
    for name in ("steps", "examples"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            parser.error(f"--{name} must be a positive int; got {value}")
    return args


def _step(number, text):
    print(f"\n[{number}/7] {text}", flush=True)


def layer_checks():
    from tf_ivg.layers.checks import run_layer_checks

    report = run_layer_checks(seed=0)
    for check in report["checks"]:
        print(f"  {'ok ' if check['ok'] else 'FAIL'} {check['name']}")
    return all(check["ok"] for check in report["checks"])


def write_report(path, images, predicted, volumes, threshold):
    """`report.png`: one row per face: input `[S, S, 3]`, the predicted volume from `THREE_VIEWS` (azimuth 0,
    -0.7, +0.7 rad), the true volume from the same views."""
    from tf_ivg.evaluation.experiments.common import THREE_VIEWS, volume_views
    from tf_ivg.evaluation.figures import image_grid

    rows = [
        [image, *volume_views(p, threshold), *volume_views(v, 0.5)] for image, p, v in zip(images, predicted, volumes)
    ]
    views = [f"az {azimuth:+.1f}" for azimuth, _ in THREE_VIEWS]
    labels = ["input"] + [f"predicted {v}" for v in views] + [f"truth {v}" for v in views]
    return image_grid(
        path,
        rows,
        row_labels=[f"held-out face {i}" for i in range(len(rows))],
        col_labels=labels,
        title="VolumeIGN 32^3 on held-out faces",
    )


def run(workdir, steps, examples, sizes, layer_check=True):
    """The demo; returns the summary dict (also written to `workdir/summary.json`)."""
    from tf_ivg.configs.faces_volume import small_config
    from tf_ivg.evaluation.experiments.common import reconstruct
    from tf_ivg.evaluation.mesh import save_volume_mesh
    from tf_ivg.pretrained import recipe
    from tf_ivg.serving import export_model
    from tf_ivg.training.loop import CONFIG_FILE, MODEL_FILE, write_json_atomic
    from tf_ivg.utils.files import atomic_path, save_png, write_text

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    timings = {}

    _step(1, "checking the papers' custom layers (gradients vs finite differences)")
    if layer_check and not layer_checks():
        raise RuntimeError("some layer checks failed; see above")
    timings["layer_checks"] = time.time() - started

    _step(
        2,
        f"rendering {examples} training faces, {sizes['validation']} validation faces and "
        f"{sizes['test']} held-out test faces (32x32 images, 32^3 volumes)",
    )
    t = time.time()
    train = recipe.generate(examples, SEED, desc="training faces")
    val = recipe.generate(sizes["validation"], SEED + 1, desc="validation faces")
    test = recipe.generate(sizes["test"], SEED + 2, desc="test faces")
    recipe.check_disjoint(train[2], test[2])
    timings["data"] = time.time() - t

    _step(3, f"training the 32^3 VolumeIGN for {steps} steps (config faces_volume/small)")
    t = time.time()
    config = small_config(steps=steps, examples=examples)
    config["steps_per_epoch"] = min(config["steps_per_epoch"], max(1, steps // 4))
    model, history, config = recipe.train(config, train[:2], val[:2], steps=steps)
    train_dir = workdir / "train"
    train_dir.mkdir(exist_ok=True)
    model = recipe.inference_copy(model)
    with atomic_path(train_dir / MODEL_FILE) as tmp:
        model.save(tmp)
    write_json_atomic(str(train_dir / CONFIG_FILE), config)
    timings["training"] = time.time() - t

    _step(4, f"scoring {sizes['test']} held-out faces beside the mean-volume baseline")
    threshold = model.iou_threshold
    scores = recipe.evaluate(model, test[0], test[1], train[1].mean(axis=0), threshold=threshold)
    for name in ("model", "mean_volume_baseline"):
        print(f"  {name:22s} volume MSE {scores[name]['volume_mse']:.4f}   voxel IoU {scores[name]['voxel_iou']:.4f}")

    _step(5, f"reconstructing {sizes['shown']} held-out faces: meshes and report.png")
    t = time.time()
    shown = sizes["shown"]
    predicted = reconstruct(model, test[0][:shown])
    meshes, inputs = [], []
    for i in range(shown):
        inputs.append(str(save_png(workdir / "inputs" / f"face_{i}.png", test[0][i])))
        for ext in ("glb", "obj"):
            path = workdir / "meshes" / f"face_{i}.{ext}"
            if (predicted[i] > threshold).any():
                save_volume_mesh(predicted[i], path, threshold=threshold)
                meshes.append(str(path))
            else:
                print(f"  face {i}: no voxel above {threshold}; no mesh written")
    report = write_report(workdir / "report.png", test[0][:shown], predicted, test[1][:shown], threshold)
    timings["reconstruction"] = time.time() - t

    _step(6, "exporting a TF Serving SavedModel")
    t = time.time()
    saved_model = export_model(model, workdir / "serving", "faces_volume_32", version=1, overwrite=True)
    import tensorflow as tf

    signatures = sorted(tf.saved_model.load(str(saved_model)).signatures)
    timings["export"] = time.time() - t
    timings["total"] = time.time() - started

    summary = {
        "workdir": str(workdir.resolve()),
        "checkpoint": str(train_dir / MODEL_FILE),
        "config": str(train_dir / CONFIG_FILE),
        "training": {
            "steps": config["steps"],
            "examples": examples,
            "final_train_volume_mse": round(float(history.history["volume_mse"][-1]), 5),
        },
        "test": scores,
        "meshes": meshes,
        "inputs": inputs,
        "report": str(report),
        "saved_model": str(saved_model),
        "signatures": signatures,
        "seconds": {k: round(v, 1) for k, v in timings.items()},
    }
    write_text(workdir / "summary.json", json.dumps(summary, indent=2) + "\n")
    _step(7, "done")
    print(f"  checkpoint   {summary['checkpoint']}  (+ config.json beside it)")
    print(f"  meshes       {workdir / 'meshes'}/  ({len(meshes)} files: GLB and OBJ)")
    print(f"  report       {report}  (input | predicted volume, 3 views | ground truth, 3 views)")
    print(f"  SavedModel   {saved_model}  signatures: {', '.join(signatures)}")
    print(f"  summary      {workdir / 'summary.json'}")
    print(f"  total time   {timings['total']:.0f} s")
    print(
        "\nTry next:\n"
        f"  tf-ivg reconstruct {inputs[0]} -o face.glb        # the shipped pretrained model\n"
        f"  tf-ivg reconstruct {inputs[0]} --checkpoint {train_dir} --threshold {threshold} -o demo_face.glb\n"
        f"  tf-ivg serve --model-base-path {workdir / 'serving' / 'faces_volume_32'}   # see export/README.md"
    )
    return summary


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = parse_args(argv)
    sizes = dict(QUICK if args.quick else DEFAULTS)
    steps = args.steps or sizes["steps"]
    examples = args.examples or sizes["examples"]
    print(f"tf_ivg demo: writing to {Path(args.workdir).resolve()}")
    run(args.workdir, steps, examples, sizes, layer_check=not args.skip_layer_checks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
