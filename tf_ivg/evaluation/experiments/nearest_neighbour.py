"""Grant et al. 2016, 4.3: prediction against the pixel-wise nearest training image's volume.

Protocol (`tf_ivg.evaluation.training_distribution`): the model is scored on the distribution it was
trained on, read from its training config. The test pairs are held-out identities of that distribution
(for a tfds config, its test split) and the nearest neighbour is searched among the model's actual
training images. Per test pair: the paper's error (mean voxel-wise Euclidean distance to the ground truth)
of (a) the predicted volume and (b) the volume of the training image nearest to the input; paired t-test.

Beside them, as a sceptic would: the prediction binarised at the model's threshold (the targets are binary
and the L1 distance favours a binary answer), the mean training volume (an input-blind predictor), and an
oracle that reads the true shape coefficients (ridge regression from them to the volume, fitted on the
training identities): how close a perfect shape reader with a linear decoder gets. Volume MSE and voxel IoU
for every method, and paired t-tests of the prediction (raw and binarised) against each baseline.

A second, labelled table repeats the prediction-vs-neighbour comparison on scenes with pose and light from
the full factor ranges (generalisation; the same as training for a `generated/` config).

Shape key: N test pairs, S image side, D volume side, K shape coefficients.
"""

import numpy as np

from tf_ivg.evaluation import metrics
from tf_ivg.evaluation.experiments import common
from tf_ivg.evaluation.nearest_neighbour import nearest_neighbours
from tf_ivg.evaluation.report import Report
from tf_ivg.evaluation.stats import paired_ttest
from tf_ivg.evaluation.training_distribution import from_config, generalisation_scenes

PAPER = {
    "prediction_mean": 0.0096,
    "prediction_sd": 0.0013,
    "neighbour_mean": 0.017,
    "neighbour_sd": 0.0038,
    "t": -21.5945,
    "dof": 199,
    "p": 4.7022e-54,
}
METHODS = ("prediction", "prediction_binarised", "neighbour", "mean_volume", "oracle")
BASELINES = ("neighbour", "mean_volume", "oracle")


ORACLE_ALPHAS = (0.01, 0.1, 1.0, 10.0, 100.0)


def fit_oracle(coefficients, volumes, alpha_voxels=20_000, columns=65_536):
    """Ridge regression (scikit-learn) from true shape coefficients `[M, K]` to flattened volumes `[M, D^3]`
    -> `predict(coefficients [N, K]) -> volumes [N, D, D, D]` clipped to [0, 1].

    The ridge strength is chosen by `RidgeCV` (leave-one-out) on the voxels that vary between the
    identities (at most `alpha_voxels` of them, a fixed random subset; constant voxels are fitted exactly by
    the intercept whatever the strength), then `Ridge` is fitted `columns` voxels at a time: the same
    coefficients as one multi-output fit, in bounded memory (one 80^3 fit on 1,000 identities at once
    needs tens of GB).
    """
    from sklearn.linear_model import Ridge, RidgeCV

    x = np.asarray(coefficients, np.float64)
    shape = volumes.shape[1:]
    flat = volumes.reshape(len(volumes), -1)
    varying = np.flatnonzero(flat.min(axis=0) != flat.max(axis=0))
    pick = varying
    if len(varying) > alpha_voxels:
        pick = np.sort(np.random.default_rng(0).choice(varying, alpha_voxels, replace=False))
    alpha = RidgeCV(alphas=ORACLE_ALPHAS).fit(x, flat[:, pick]).alpha_ if len(pick) else ORACLE_ALPHAS[0]
    weights = np.zeros((flat.shape[1], x.shape[1]), np.float32)
    intercept = flat[0].astype(np.float32)
    for start in range(0, len(varying), columns):
        cols = varying[start : start + columns]
        ridge = Ridge(alpha=alpha).fit(x, flat[:, cols])
        weights[cols] = ridge.coef_
        intercept[cols] = ridge.intercept_

    def predict(queries):
        flat_prediction = np.asarray(queries, np.float32) @ weights.T + intercept
        return np.clip(flat_prediction, 0.0, 1.0).reshape(len(flat_prediction), *shape)

    predict.alpha = float(alpha)
    return predict


def _errors(predicted, volumes, threshold):
    return {
        "distance": metrics.mean_voxel_distance(predicted, volumes),
        "mse": metrics.mse(predicted, volumes),
        "iou": metrics.voxel_iou(predicted, volumes, threshold=threshold),
    }


def _means_and_sds(errors):
    """`{method: {metric: [N]}}` -> `{method_metric: mean, method_metric_sd: SD}` (SD with ddof 1)."""
    out = {}
    for name, by_metric in errors.items():
        for metric, values in by_metric.items():
            out[f"{name}_{metric}"] = float(np.mean(values))
            out[f"{name}_{metric}_sd"] = float(np.std(values, ddof=1))
    return out


def _fmt(values, digits):
    return f"{np.mean(values):.{digits}f} ({np.std(values, ddof=1):.{digits}f})"


def _neighbour_volumes(distribution, images, database_images, train_ids):
    neighbour, pixel_distance = nearest_neighbours(images, database_images)
    return distribution.volumes_of(train_ids[neighbour]), pixel_distance


def run(
    model,
    workdir,
    family="faces",
    num_test=200,
    num_train=None,
    mean_volume_samples=2000,
    oracle_identities=1000,
    generalisation=True,
    seed=0,
    chunk=500,
    config=None,
):
    """Writes `workdir/nearest_neighbour/report.md`.

    Args:
        model: a single-image VolumeIGN with `config`, or a `tf-ivg train` workdir / pretrained name
            (their config is read).
        num_test: test pairs (paper: 200). num_train: training images searched (default all of them;
            paper: 16,000), rendered `chunk` at a time; only the neighbours' volumes are voxelized.
        mean_volume_samples: training identities whose volumes make the mean volume (of those in num_train).
        oracle_identities: training identities the oracle is fitted on (capped by those in num_train).
        generalisation: also score scenes with pose and light from the full factor ranges.
        family: unused (the family is the training config's); kept for `reproduce`.
        config: the model's training config (when `model` is a model object).
    Returns:
        ExperimentResult: the headline prediction-vs-neighbour test (`prediction_mean`, `neighbour_mean`, SDs,
        `t`, `dof`, `p`), per method in METHODS `<method>_{distance,mse,iou}` and their SDs (`..._sd`), `tests` (prediction and
        prediction_binarised against each baseline: t, p, how many test pairs the prediction wins),
        `distribution`, and `generalisation` (the same headline on full-range scenes).
    """
    del family
    model, config = common.as_model_and_config(model, config)
    common.require_kind(model, "volume_ign", "nearest_neighbour")
    distribution = from_config(config, model)
    out = common.start(workdir, "nearest_neighbour")
    threshold = float(getattr(model, "iou_threshold", 0.5))

    train_ids, database = distribution.training_database(num_train, chunk=chunk)
    num_train = len(train_ids)

    images, volumes, test_ids = distribution.test_pairs(num_test, seed=seed)
    predictions = common.reconstruct(model, images)
    neighbour_volumes, pixel_distance = _neighbour_volumes(distribution, images, database, train_ids)
    identities = np.unique(train_ids)
    mean_volume = distribution.mean_volume(identities[:mean_volume_samples], chunk)
    oracle_ids = identities[:oracle_identities]
    oracle = fit_oracle(
        distribution.shape_coefficients(oracle_ids), distribution.volumes_of(oracle_ids).astype(np.float32)
    )
    predicted = {
        "prediction": predictions,
        "prediction_binarised": (predictions > threshold).astype(np.float32),
        "neighbour": neighbour_volumes,
        "mean_volume": np.broadcast_to(mean_volume, volumes.shape),
        "oracle": oracle(distribution.shape_coefficients(test_ids)),
    }
    errors = {name: _errors(v, volumes, threshold) for name, v in predicted.items()}
    headline = paired_ttest(errors["prediction"]["distance"], errors["neighbour"]["distance"])
    tests = {}
    for method in ("prediction", "prediction_binarised"):
        for baseline in BASELINES:
            a, b = errors[method]["distance"], errors[baseline]["distance"]
            test = paired_ttest(a, b)
            tests[f"{method}_vs_{baseline}"] = {
                "t": test.t,
                "dof": test.dof,
                "p": test.p,
                "wins": int((a < b).sum()),
                "ratio": float(np.mean(a) / np.mean(b)),
            }

    report = Report("Nearest-neighbour comparison (Grant et al. 2016, 4.3)")
    report.paragraph(
        f"Training distribution: {distribution.description}. {num_test} held-out test pairs of it; nearest neighbour "
        f"by pixel-wise Euclidean distance among the first {num_train} training images; error = mean voxel-wise "
        "Euclidean distance to the ground-truth volume."
    )
    report.table(
        ["", "paper", "ours"],
        common.paired_ttest_rows(
            headline, PAPER, "prediction error", "prediction", "nearest-neighbour error", "neighbour"
        )
        + [["predictions better than neighbour", "—", f"{tests['prediction_vs_neighbour']['wins']} / {num_test}"]],
    )
    report.paragraph(headline.apa("prediction", "nearest neighbour"))
    labels = {
        "prediction": "prediction",
        "prediction_binarised": f"prediction binarised at {threshold}",
        "neighbour": "nearest-neighbour volume",
        "mean_volume": f"mean training volume ({len(identities[:mean_volume_samples])} training identities)",
        "oracle": f"oracle: ridge from the true shape coefficients ({len(oracle_ids)} training identities)",
    }
    report.paragraph(f"Every method, M (SD) over the {num_test} test pairs; IoU at {threshold}.")
    report.table(
        ["method", "mean voxel distance", "volume MSE", "voxel IoU"],
        [[labels[k], _fmt(e["distance"], 4), _fmt(e["mse"], 4), _fmt(e["iou"], 3)] for k, e in errors.items()],
    )
    report.paragraph("Paired t-tests on the mean voxel distance (negative t: the prediction is better).")
    report.table(
        ["comparison", "t", "p", "prediction better", "ratio of means"],
        [
            [
                k.replace("_vs_", " vs ").replace("_", " "),
                f"{v['t']:.2f}",
                f"{v['p']:.2e}",
                v["wins"],
                f"{v['ratio']:.3f}",
            ]
            for k, v in tests.items()
        ],
    )
    result = {
        "distribution": distribution.description,
        "num_test": num_test,
        "num_train": num_train,
        "prediction_mean": headline.mean_a,
        "prediction_sd": headline.sd_a,
        "neighbour_mean": headline.mean_b,
        "neighbour_sd": headline.sd_b,
        "t": headline.t,
        "dof": headline.dof,
        "p": headline.p,
        "mean_pixel_distance_to_neighbour": float(np.mean(pixel_distance)),
        "iou_threshold": threshold,
        "oracle_identities": int(len(oracle_ids)),
        "tests": tests,
        **_means_and_sds(errors),
    }
    if generalisation:
        scenes = generalisation_scenes(distribution)
        g_images, g_volumes, _ = scenes.pairs(num_test, seed=20_000 + seed)
        g_predictions = common.reconstruct(model, g_images)
        g_neighbours, _ = _neighbour_volumes(distribution, g_images, database, train_ids)
        g_errors = {
            "prediction": _errors(g_predictions, g_volumes, threshold),
            "prediction_binarised": _errors((g_predictions > threshold).astype(np.float32), g_volumes, threshold),
            "neighbour": _errors(g_neighbours, g_volumes, threshold),
            "mean_volume": _errors(np.broadcast_to(mean_volume, g_volumes.shape), g_volumes, threshold),
        }
        g_test = paired_ttest(g_errors["prediction"]["distance"], g_errors["neighbour"]["distance"])
        report.paragraph(
            f"Generalisation (not the headline): {num_test} scenes with pose and light drawn from the full factor "
            "ranges, the same training images searched."
        )
        report.table(
            ["method", "mean voxel distance", "volume MSE", "voxel IoU"],
            [[labels[k], _fmt(e["distance"], 4), _fmt(e["mse"], 4), _fmt(e["iou"], 3)] for k, e in g_errors.items()],
        )
        report.paragraph(g_test.apa("prediction", "nearest neighbour"))
        result["generalisation"] = {
            "t": g_test.t,
            "p": g_test.p,
            **_means_and_sds(g_errors),
        }
    path = report.write(out / "report.md")
    return common.ExperimentResult("nearest_neighbour", path, result, [])
