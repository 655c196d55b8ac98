"""Grant et al. 2016, 4.8 (Fig 6): volumes of chairs (30^3 in the paper, threshold 0.2), plus voxel IoU on a test set.

With the checkpoint's training config the test chairs are its dataset's test split (chairs never seen in
training, at the training views), and two baselines are scored beside the model on every test image: the mean
volume of its training chairs, and the volume of the pixel-wise nearest of its training images (as Grant et al.
4.3 do for faces). Without one, random chairs over the full factor ranges.

Shape key: N test chairs, D volume side.
"""

import numpy as np

from tf_ivg.evaluation import metrics
from tf_ivg.evaluation.experiments import common, volume_predictions
from tf_ivg.evaluation.nearest_neighbour import nearest_neighbours
from tf_ivg.evaluation.report import Report
from tf_ivg.evaluation.stats import paired_ttest
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
        num_train: training images searched for the nearest neighbours, of Fig 6 and of the test set's baseline
            (None: all, see `volume_predictions`).
        mean_volume_samples: training examples whose chairs make the mean-volume baseline (with a config).
        config: the model's training config (a checkpoint path carries its own).
    Returns:
        ExperimentResult with `test_voxel_iou` (and SD) and `test_mean_voxel_distance` over the test set, with a
        config the same for the mean volume (`mean_volume_voxel_iou`, ...) and the nearest neighbour
        (`neighbour_voxel_iou`, ...), a paired t-test of the IoUs (`model_vs_neighbour_iou`), `num_test_chairs`,
        and `conditions`.
    """
    model, config = common.as_model_and_config(model, config)
    common.require_kind(model, "volume_ign", "chairs")
    distribution = None if config is None else from_config(config, model)
    # the training images are rendered once, for Fig 6's neighbours and the test set's
    database = None if distribution is None else distribution.training_database(num_train)
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
        database=database,
    )
    baselines = {}
    if distribution is not None:
        images, volumes, test_ids = distribution.test_pairs(num_test, seed=seed)
        identities = np.unique(distribution.training_identities()[:mean_volume_samples])
        baselines[f"mean volume of {len(identities)} training chairs"] = (
            "mean_volume",
            np.broadcast_to(distribution.mean_volume(identities), volumes.shape),
        )
        train_ids, train_images = database
        neighbour, _ = nearest_neighbours(images, train_images)
        baselines[f"volume of the pixel-wise nearest of {len(train_ids)} training images"] = (
            "neighbour",
            distribution.volumes_of(train_ids[neighbour]),
        )
        test_set = (
            f"the first {num_test} images of the test split, {len(np.unique(test_ids))} chairs never seen in training"
        )
    else:
        scenes = common.volume_scenes(model, "chairs")
        images, volumes, _ = scenes.pairs(num_test, seed=seed + 7000)
        test_set = f"{num_test} random chairs"
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
    if distribution is not None:
        result["num_test_chairs"] = int(len(np.unique(test_ids)))
    rows = [["model", f"{iou.mean():.4g} ({sd(iou):.2g})", f"{distance.mean():.4g}"]]
    for label, (key, baseline) in baselines.items():
        base_iou = metrics.voxel_iou(baseline, volumes, threshold=threshold)
        base_distance = metrics.mean_voxel_distance(baseline, volumes)
        result[f"{key}_voxel_iou"] = float(base_iou.mean())
        result[f"{key}_voxel_iou_sd"] = sd(base_iou)
        result[f"{key}_mean_voxel_distance"] = float(base_distance.mean())
        rows.append([label, f"{base_iou.mean():.4g} ({sd(base_iou):.2g})", f"{base_distance.mean():.4g}"])
        if key == "neighbour" and num_test >= 2:
            test = paired_ttest(iou, base_iou)
            result["model_vs_neighbour_iou"] = {
                "t": test.t,
                "dof": test.dof,
                "p": test.p,
                "wins": int((iou > base_iou).sum()),
            }
    text = figure.report.read_text()
    report = Report("Volumes of chairs (Grant et al. 2016, 4.8, Fig 6)")
    report.paragraph(
        f"Test set: {test_set} ({figure.metrics['conditions']}); predictions binarised at {threshold}. "
        "The paper reports no number for chairs."
    )
    report.table(["", "voxel IoU, mean (SD)", "mean voxel distance"], rows)
    if "model_vs_neighbour_iou" in result:
        test = result["model_vs_neighbour_iou"]
        report.paragraph(
            f"Paired t-test of the IoUs, model vs nearest neighbour: t({test['dof']}) = {test['t']:.2f}, "
            f"p = {test['p']:.2g}; the model is better on {test['wins']} of {num_test} images."
        )
    report.blocks.append(text.split("\n", 1)[1])  # the figure section without its title
    path = report.write(figure.report)
    return common.ExperimentResult("chairs", path, result, figure.figures)
