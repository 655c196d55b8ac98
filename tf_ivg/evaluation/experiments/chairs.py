"""Grant et al. 2016, 4.8 (Fig 6): volumes of chairs (30^3 in the paper, threshold 0.2), plus voxel IoU on a test set."""

from tf_ivg.evaluation import metrics
from tf_ivg.evaluation.experiments import common, volume_predictions
from tf_ivg.evaluation.report import Report


def run(model, workdir, num_examples=4, num_train=200, num_test=100, threshold=0.2, mesh_format="glb", seed=0):
    """Fig 6 (via `volume_predictions.run(family="chairs")`) and the mean IoU / voxel distance over `num_test` chairs.

    Returns:
        ExperimentResult with `voxel_iou` and `mean_voxel_distance` over the test set.
    """
    model = common.as_model(model)
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
    )
    scenes = common.volume_scenes(model, "chairs")
    images, volumes, _ = scenes.pairs(num_test, seed=seed + 7000)
    predictions = common.reconstruct(model, images)
    iou = metrics.voxel_iou(predictions, volumes, threshold=threshold)
    distance = metrics.mean_voxel_distance(predictions, volumes)
    result = {
        **figure.metrics,
        "num_test": num_test,
        "test_voxel_iou": float(iou.mean()),
        "test_voxel_iou_sd": float(iou.std(ddof=1)) if num_test > 1 else 0.0,
        "test_mean_voxel_distance": float(distance.mean()),
    }
    text = figure.report.read_text()
    report = Report("Volumes of chairs (Grant et al. 2016, 4.8, Fig 6)")
    report.paragraph(
        f"Test set: {num_test} unseen chairs, predictions binarised at {threshold}. The paper reports no number for chairs."
    )
    report.table(
        ["metric", "ours"],
        [
            ["voxel IoU, mean (SD)", f"{iou.mean():.4g} ({result['test_voxel_iou_sd']:.2g})"],
            ["mean voxel distance", float(distance.mean())],
        ],
    )
    report.blocks.append(text.split("\n", 1)[1])  # the figure section without its title
    path = report.write(figure.report)
    return common.ExperimentResult("chairs", path, result, figure.figures)
