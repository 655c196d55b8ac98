"""DC-IGN (Kulkarni et al. 2015), 4.2: chairs test reconstruction MSE (paper 2.7722e-4 at 150x150) and Fig 7.

Test images come from the distribution the checkpoint trained on: for a tfds chairs DC-IGN config
(`ivg_chairs/dcign_*`, every chair at 30 azimuths x 2 elevations) the first chairs of its test split at
every pose, with two constant baselines from its training chairs: the mean training image, and the mean
training image at the same pose (the chair's pose is known; only its shape is not). Without a config, or
for in-memory (`source: "generate"`) configs, random unseen chairs over the family's full factor ranges.

Shape key: N test images, P poses per chair (60), S image side.
"""

import math

import numpy as np

from tf_ivg.evaluation import metrics
from tf_ivg.evaluation.experiments import common, dcign_traversals
from tf_ivg.evaluation.probes import batched
from tf_ivg.evaluation.report import Report

PAPER_MSE = 2.7722e-4


def pose_spec(config):
    """The `tf_ivg.data.specs.DatasetSpec` of a config trained on a tfds chairs "poses" dataset, else None."""
    if not config or config.get("source", "tfds") != "tfds":
        return None
    from tf_ivg.data.specs import get_spec

    spec = get_spec(config["dataset"])
    return spec if spec.kind == "poses" else None


def chair_poses(spec, split, num_chairs):
    """`[num_chairs * P, S, S, 1]` float32 in [0, 1]: the split's first chairs at every pose (chair-major),
    exactly as the dataset stores them (uint8), regenerated in memory."""
    from tf_ivg.data.examples import iter_examples

    available = spec.num_examples(split)
    if num_chairs > available:
        raise ValueError(f"{spec.full_name} has {available} {split} chairs; asked for {num_chairs}")
    stacks = [ex["images"] for _, ex in iter_examples(spec, split, 0, num_chairs)]
    return np.concatenate(stacks).astype(np.float32) / 255.0


def run(model, workdir, num_test=1200, num_baseline_chairs=20, num_images=4, num_reference=64, seed=0, config=None):
    """Writes `workdir/dcign_chairs/` (test MSE) and `workdir/traversals_chairs/` (Fig 7).

    Args:
        model: a DC-IGN trained on chairs (configs dcign_chairs, dcign_chairs_64) or its checkpoint.
        num_test: test images; from a tfds config, whole chairs at all P poses (rounded up to a multiple of P).
        num_baseline_chairs: training chairs whose images form the mean-image baselines (tfds configs).
        config: the checkpoint's training config (a checkpoint path carries its own).
    Returns:
        ExperimentResult with `test_mse` (grayscale in [0, 1], per-pixel mean), its SD over images, the
        baselines' MSE when the test set is a dataset's, and `conditions`.
    """
    model, config = common.as_model_and_config(model, config)
    common.require_kind(model, "dcign", "dcign_chairs")
    out = common.start(workdir, "dcign_chairs")
    spec = pose_spec(config)
    baselines = {}
    if spec is not None:
        poses = len(spec.poses[0])
        chairs = math.ceil(num_test / poses)
        images = chair_poses(spec, "test", chairs)
        training = chair_poses(spec, "train", num_baseline_chairs)
        per_pose = training.reshape(num_baseline_chairs, poses, *training.shape[1:]).mean(axis=0)
        baselines = {
            "mean_image": metrics.mse(np.broadcast_to(training.mean(axis=0), images.shape), images),
            "mean_image_at_pose": metrics.mse(np.tile(per_pose, (chairs, 1, 1, 1)), images),
        }
        conditions = (
            f"{spec.full_name}: the first {chairs} test chairs (never seen in training) at all {poses} poses "
            f"({len(spec.azimuths)} azimuths x {len(spec.elevations)} elevations), as the model was trained"
        )
    else:
        scenes = common.dcign_scenes(model, "chairs")
        images = scenes.images(*scenes.sample(num_test, seed=seed + 4000))
        conditions = "random unseen chairs over the full factor ranges (no tfds training config)"
    shown = np.random.default_rng(seed).permutation(len(images))[: num_images + num_reference]
    reconstructions = batched(lambda x: np.asarray(model.decode(model.encode(x))), images)
    mse = metrics.mse(reconstructions, images)
    traversal = dcign_traversals.run(
        model,
        workdir,
        family="chairs",
        num_images=num_images,
        num_reference=num_reference,
        seed=seed,
        name="traversals_chairs",
        images=None if spec is None else images[shown[:num_images]],
        reference=None if spec is None else images[shown[num_images:]],
    )
    size = f"{model.image_size}x{model.image_size}"
    report = Report("DC-IGN on chairs (Kulkarni et al. 2015, 4.2)")
    rows = [
        [f"DC-IGN test reconstruction MSE ({size})", f"{PAPER_MSE} (150x150)", f"{mse.mean():.4g} ({mse.std():.2g})"]
    ]
    labels = {"mean_image": "mean training image", "mean_image_at_pose": "mean training image at the same pose"}
    rows += [[labels[k], "", f"{v.mean():.4g}"] for k, v in baselines.items()]
    report.table(["", "paper", "ours M (SD)"], rows)
    report.paragraph(
        f"{len(images)} test images: {conditions}. Reconstruction = decoder(posterior mean); pixels in [0, 1]. "
        "The paper's images are 150x150 renders of real chair CAD models; ours are procedural chairs."
    )
    for p in traversal.figures:
        report.image(p, f"Fig 7: {p.stem}", relative_to=out)
    path = report.write(out / "report.md")
    summary = {"test_mse": float(mse.mean()), "test_mse_sd": float(mse.std()), "num_test": len(images)}
    summary.update({f"{k}_mse": float(v.mean()) for k, v in baselines.items()})
    summary["conditions"] = conditions
    return common.ExperimentResult("dcign_chairs", path, summary, traversal.figures)
