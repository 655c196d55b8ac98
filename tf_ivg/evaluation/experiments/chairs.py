"""Grant et al. 2016, 4.8 (Fig 6): volumes of chairs (30^3 in the paper, threshold 0.2), plus voxel IoU on a test set.

With the checkpoint's training config the test chairs are its dataset's test split (chairs never seen in
training, at the training views), and the mean volume of its training chairs is scored beside the model; without
one, random chairs over the full factor ranges.

Shape key: N test chairs, D volume side.
"""

import numpy as np

from tf_ivg.evaluation import metrics
from tf_ivg.evaluation.experiments import common, volume_predictions
from tf_ivg.evaluation.report import Report
from tf_ivg.evaluation.training_distribution import from_config


def run(
    model,
    workdir,
    num_examples=4,
    num_train=None,
    num_test=400,
    mean_volume_samples=2000,
    threshold=0.2,
    mesh_format="glb",
    seed=0,
    config=None,
):
    """Fig 6 (via `volume_predictions.run(family="chairs")`) and the mean IoU / voxel distance over `num_test` chairs.

    Args:
        num_train: training images searched for Fig 6's nearest neighbours (None: all, see `volume_predictions`).
        mean_volume_samples: training examples whose chairs make the mean-volume baseline (with a config).
        config: the model's training config (a checkpoint path carries its own).
    Returns:
        ExperimentResult with `test_voxel_iou` (and SD) and `test_mean_voxel_distance` over the test set, the
        mean volume's (`mean_volume_voxel_iou`, with a config) and `conditions`.
    """
    model, config = common.as_model_and_config(model, config)
    common.require_kind(model, "volume_ign", "chairs")
    figure = volume_predictions.run(
        model,
        workdir,
        family="chairs",
        num_examples=num_examples,
        num_train=num_train,
        threshold=threshold,
        mesh_format=mesh_format,
        seed=seed,
        name="chairs",
        config=config,
    )
    baseline = None
    if config is not None:
        distribution = from_config(config, model)
        images, volumes, _ = distribution.test_pairs(num_test, seed=seed)
        identities = np.unique(distribution.training_identities()[:mean_volume_samples])
        baseline = distribution.mean_volume(identities)
    else:
        scenes = common.volume_scenes(model, "chairs")
        images, volumes, _ = scenes.pairs(num_test, seed=seed + 7000)
    predictions = common.reconstruct(model, images)
    iou = metrics.voxel_iou(predictions, volumes, threshold=threshold)
    distance = metrics.mean_voxel_distance(predictions, volumes)
    sd = lambda values: float(values.std(ddof=1)) if len(values) > 1 else 0.0  # noqa: E731
    result = {
        **figure.metrics,
        "num_test": num_test,
        "test_voxel_iou": float(iou.mean()),
        "test_voxel_iou_sd": sd(iou),
        "test_mean_voxel_distance": float(distance.mean()),
    }
    rows = [
        ["model", f"{iou.mean():.4g} ({sd(iou):.2g})", f"{distance.mean():.4g}"],
    ]
    if baseline is not None:
        baseline = np.broadcast_to(baseline, volumes.shape)
        mean_iou = metrics.voxel_iou(baseline, volumes, threshold=threshold)
        mean_distance = metrics.mean_voxel_distance(baseline, volumes)
        result["mean_volume_voxel_iou"] = float(mean_iou.mean())
        result["mean_volume_mean_voxel_distance"] = float(mean_distance.mean())
        rows.append(
            [f"mean volume of {len(identities)} training chairs", f"{mean_iou.mean():.4g} ({sd(mean_iou):.2g})",
             f"{mean_distance.mean():.4g}"]
        )  # fmt: skip
    text = figure.report.read_text()
    report = Report("Volumes of chairs (Grant et al. 2016, 4.8, Fig 6)")
    report.paragraph(
        f"Test set: {num_test} held-out chairs ({figure.metrics['conditions']}), binarised at {threshold}. "
        "The paper reports no number for chairs."
    )
    report.table(["", "voxel IoU, mean (SD)", "mean voxel distance"], rows)
    report.blocks.append(text.split("\n", 1)[1])  # the figure section without its title
    path = report.write(figure.report)
    return common.ExperimentResult("chairs", path, result, figure.figures)
