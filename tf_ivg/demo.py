"""`make demo` (`python -m tf_ivg.demo`): the whole pipeline on a fresh 2-core machine, in minutes.

Shape key: N faces, S image side (32), D volume side (32).

Steps, each announced as it starts:
1. check the papers' custom layers' gradients against finite differences (`tf_ivg.layers.checks`);
2. render held-out test faces in memory (`tf_ivg.data.scenes.Scenes.pairs`, the generator behind
   `tf_ivg.data.make_volume_pairs`) and check none of their identities is among the training faces;
3. train the 32^3 VolumeIGN (`faces_volume` config, variant "small") with `tf_ivg.train` on training and
   validation faces rendered in memory (`generated/faces`), one progress bar over all steps;
4. score the held-out faces (volume MSE, voxel IoU) beside the mean-volume baseline;
5. reconstruct the first held-out faces: a GLB and an OBJ mesh each, and `report.png` (rows: input,
   predicted volume from three viewpoints, ground truth from the same viewpoints);
6. export a TF Serving SavedModel (`tf_ivg.serving.export_model`) and check it reloads;
7. print where everything is (also written to `WORKDIR/summary.json`).

Layout of WORKDIR (default `runs/demo`): `train/` (a `tf-ivg train` workdir: `model.keras`, `config.json`,
`logs/` for TensorBoard; a checkpoint
`tf-ivg reconstruct --checkpoint` and `tf-ivg export` accept), `meshes/face_<i>.{glb,obj}`, `inputs/face_<i>.png`,
`report.png`, `serving/faces_volume_32/1/` (SavedModel), `summary.json`.

`--quick` is a tiny end-to-end run for tests (about a minute); `--steps`/`--examples` tune the full one.
"""

import argparse
import json
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
    import tf_ivg
    from tf_ivg.configs.faces_volume import small_config
    from tf_ivg.data.factors import identity_coefficients
    from tf_ivg.data.scenes import Scenes, check_disjoint
    from tf_ivg.evaluation.experiments.common import reconstruct
    from tf_ivg.evaluation.mesh import save_volume_mesh
    from tf_ivg.metrics import score_volumes
    from tf_ivg.serving import export_model
    from tf_ivg.training.progress import StepProgress
    from tf_ivg.utils.files import save_png, write_text

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    timings = {}

    _step(1, "checking the papers' custom layers (gradients vs finite differences)")
    if layer_check and not layer_checks():
        raise RuntimeError("some layer checks failed; see above")
    timings["layer_checks"] = time.time() - started

    config = small_config(steps=steps, examples=examples)
    config["seed"] = SEED
    config["generated_validation_examples"] = sizes["validation"]
    config["steps_per_epoch"] = min(config["steps_per_epoch"], max(1, steps // 4))
    config["validation_steps"] = max(1, sizes["validation"] // config["batch_size"])
    size, depth = config["model_config"]["image_size"], config["model_config"]["volume_size"]
    scenes = Scenes("faces", image_size=size, volume_size=depth)

    _step(2, f"rendering {sizes['test']} held-out test faces ({size}x{size} images, {depth}^3 volumes)")
    t = time.time()
    test_images, test_volumes, test_factors = scenes.pairs(sizes["test"], seed=SEED + 2, progress=True)
    train_ids = scenes.pair_identities(examples, seed=SEED)
    check_disjoint(train_ids, test_factors["identity"])
    print(f"  none of their identities is among the {examples} training faces")
    timings["data"] = time.time() - t

    _step(
        3,
        f"training the {depth}^3 VolumeIGN for {steps} steps on {examples} faces rendered in memory "
        f"(config faces_volume/small, tf_ivg.train)",
    )
    t = time.time()
    train_dir = workdir / "train"
    model, history = tf_ivg.train(
        config, str(train_dir), verbose=0, callbacks=[StepProgress(config["steps"])], restart=True
    )
    timings["training"] = time.time() - t

    _step(4, f"scoring {sizes['test']} held-out faces beside the mean-volume baseline")
    threshold = model.iou_threshold
    _, train_params = identity_coefficients("faces", train_ids)
    mean_volume = scenes.volumes(train_params).mean(axis=0)
    scores = score_volumes(model, test_images, test_volumes, mean_volume, threshold=threshold)
    for name in ("model", "mean_volume_baseline"):
        print(f"  {name:22s} volume MSE {scores[name]['volume_mse']:.4f}   voxel IoU {scores[name]['voxel_iou']:.4f}")
    test = (test_images, test_volumes)

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
        "checkpoint": str(train_dir / "model.keras"),
        "config": str(train_dir / "config.json"),
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
        f"  tf-ivg serve --model-base-path {workdir / 'serving' / 'faces_volume_32'}   # see docs/serving.md"
    )
    return summary


def main(argv=None):
    args = parse_args(argv)
    from tf_ivg.utils.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()
    sizes = dict(QUICK if args.quick else DEFAULTS)
    steps = args.steps or sizes["steps"]
    examples = args.examples or sizes["examples"]
    print(f"tf_ivg demo: writing to {Path(args.workdir).resolve()}")
    run(args.workdir, steps, examples, sizes, layer_check=not args.skip_layer_checks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
