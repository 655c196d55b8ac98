"""Grant et al. 2016, 4.3: prediction against the pixel-wise nearest training image's volume.

Mean voxel-wise Euclidean distance to the ground truth of (a) the predicted volume and (b) the
volume of the training image nearest to the input, over a test set; paired-samples t-test.
Beside them, volume MSE and voxel IoU of the prediction (raw, and binarised like the neighbour's
volume, which the L1 distance favours), the neighbour's volume and a third baseline, the mean
training volume (an input-blind predictor).

Shape key: N test pairs, S image side, D volume side.
"""

import numpy as np

from tf_ivg.evaluation import metrics
from tf_ivg.evaluation.experiments import common
from tf_ivg.evaluation.nearest_neighbour import nearest_neighbours
from tf_ivg.evaluation.report import Report
from tf_ivg.evaluation.stats import paired_ttest

PAPER = {
    "prediction_mean": 0.0096,
    "prediction_sd": 0.0013,
    "neighbour_mean": 0.017,
    "neighbour_sd": 0.0038,
    "t": -21.5945,
    "dof": 199,
    "p": 4.7022e-54,
}


def _mean_volume(scenes, params, chunk):
    """The voxel-wise mean `[D, D, D]` of the volumes of `params [M, P]`, voxelized `chunk` at a time."""
    total = None
    for start in range(0, len(params), chunk):
        part = scenes.volumes(params[start : start + chunk]).sum(axis=0, dtype=np.float64)
        total = part if total is None else total + part
    return (total / len(params)).astype(np.float32)


def _baseline_rows(errors):
    """Table rows `[method, mean voxel distance, volume MSE, voxel IoU]` as "M (SD)" strings."""
    fmt = lambda values, digits: f"{np.mean(values):.{digits}f} ({np.std(values, ddof=1):.{digits}f})"  # noqa: E731
    return [[name, fmt(e["distance"], 4), fmt(e["mse"], 4), fmt(e["iou"], 3)] for name, e in errors.items()]


def run(model, workdir, family="faces", num_test=200, num_train=16000, mean_volume_samples=2000, seed=0, chunk=500):
    """Writes `workdir/nearest_neighbour/report.md`.

    Args:
        model: a single-image VolumeIGN or a checkpoint path.
        num_test: test pairs (paper: 200). num_train: training images searched (paper: 16,000),
            rendered in chunks of `chunk`; only the neighbours' volumes are voxelized.
        mean_volume_samples: how many of those training scenes are voxelized for the mean-volume
            baseline (capped at num_train; the mean of 2,000 is within about 0.01 of the mean of all).
    Returns:
        ExperimentResult with both means and SDs, t, dof and p, and per method (`prediction`,
        `prediction_binarised`, `neighbour`, `mean_volume`) the mean voxel distance, volume MSE and voxel IoU.
    """
    if isinstance(mean_volume_samples, bool) or not isinstance(mean_volume_samples, int) or mean_volume_samples < 1:
        raise ValueError(f"mean_volume_samples must be a positive int; got {mean_volume_samples!r}")
    model = common.as_model(model)
    common.require_kind(model, "volume_ign", "nearest_neighbour")
    out = common.start(workdir, "nearest_neighbour")
    scenes = common.volume_scenes(model, family)
    images, volumes, _ = scenes.pairs(num_test, seed=seed + 1000)
    predictions = common.reconstruct(model, images)

    train_params, train_factors = scenes.sample(num_train, seed=seed + 2000)

    def chunks():
        from tqdm import tqdm

        for start in tqdm(
            range(0, num_train, chunk), desc="rendering the training images", unit="chunk", disable=None, leave=False
        ):
            part = {k: v[start : start + chunk] for k, v in train_factors.items()}
            yield scenes.images(train_params[start : start + chunk], part)

    neighbour, pixel_distance = nearest_neighbours(images, chunks())
    neighbour_volumes = scenes.volumes(train_params[neighbour])
    prediction_error = metrics.mean_voxel_distance(predictions, volumes)
    neighbour_error = metrics.mean_voxel_distance(neighbour_volumes, volumes)
    test = paired_ttest(prediction_error, neighbour_error)
    mean_volume = _mean_volume(scenes, train_params[: min(mean_volume_samples, num_train)], chunk)
    mean_volumes = np.broadcast_to(mean_volume, volumes.shape)
    threshold = float(getattr(model, "iou_threshold", 0.5))
    errors = {
        name: {
            "distance": metrics.mean_voxel_distance(v, volumes),
            "mse": metrics.mse(v, volumes),
            "iou": metrics.voxel_iou(v, volumes, threshold=threshold),
        }
        for name, v in (
            ("prediction", predictions),
            ("prediction_binarised", (predictions > threshold).astype(np.float32)),
            ("neighbour", neighbour_volumes),
            ("mean_volume", mean_volumes),
        )
    }

    report = Report("Nearest-neighbour comparison (Grant et al. 2016, 4.3)")
    report.paragraph(
        f"{num_test} test image/volume pairs; nearest neighbour by pixel-wise Euclidean distance among "
        f"{num_train} training images; error = mean voxel-wise Euclidean distance to the ground-truth volume."
    )
    report.table(
        ["", "paper", "ours"],
        common.paired_ttest_rows(test, PAPER, "prediction error", "prediction", "nearest-neighbour error", "neighbour")
        + [
            [
                "predictions better than neighbour",
                "—",
                f"{int((prediction_error < neighbour_error).sum())} / {num_test}",
            ],
        ],
    )
    report.paragraph(test.apa("prediction", "nearest neighbour"))
    report.paragraph(
        f"Baselines, M (SD) over the {num_test} test pairs; IoU binarises predictions at {threshold} "
        f"(the model's `iou_threshold`); the mean volume is the voxel-wise mean of "
        f"{min(mean_volume_samples, num_train)} training volumes."
    )
    labels = {
        "prediction": "prediction",
        "prediction_binarised": f"prediction binarised at {threshold}",
        "neighbour": "nearest-neighbour volume",
        "mean_volume": "mean training volume",
    }
    report.table(
        ["method", "mean voxel distance", "volume MSE", "voxel IoU"],
        _baseline_rows({labels[k]: v for k, v in errors.items()}),
    )
    path = report.write(out / "report.md")
    result = {
        "num_test": num_test,
        "num_train": num_train,
        "prediction_mean": test.mean_a,
        "prediction_sd": test.sd_a,
        "neighbour_mean": test.mean_b,
        "neighbour_sd": test.sd_b,
        "t": test.t,
        "dof": test.dof,
        "p": test.p,
        "mean_pixel_distance_to_neighbour": float(np.mean(pixel_distance)),
        "iou_threshold": threshold,
        **{f"{name}_{metric}": float(np.mean(values)) for name, e in errors.items() for metric, values in e.items()},
    }
    return common.ExperimentResult("nearest_neighbour", path, result, [])
