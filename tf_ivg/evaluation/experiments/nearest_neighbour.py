"""Paper 000, 4.3: prediction against the pixel-wise nearest training image's volume.

Mean voxel-wise Euclidean distance to the ground truth of (a) the predicted volume and (b) the
volume of the training image nearest to the input, over a test set; paired-samples t-test.
"""
import numpy as np

from tf_ivg.evaluation import metrics
from tf_ivg.evaluation.experiments import common
from tf_ivg.evaluation.nearest_neighbour import nearest_neighbours
from tf_ivg.evaluation.report import Report
from tf_ivg.evaluation.stats import paired_ttest

PAPER = {"prediction_mean": 0.0096, "prediction_sd": 0.0013, "neighbour_mean": 0.017, "neighbour_sd": 0.0038,
         "t": -21.5945, "dof": 199, "p": 4.7022e-54}


def run(model, workdir, family="faces", num_test=200, num_train=16000, seed=0, chunk=500):
    """Writes `workdir/nearest_neighbour/report.md`.

    Args:
        model: a single-image VolumeIGN or a checkpoint path.
        num_test: test pairs (paper: 200). num_train: training images searched (paper: 16,000),
            rendered in chunks of `chunk`; only the neighbours' volumes are voxelized.
    Returns:
        ExperimentResult with both means and SDs, t, dof and p.
    """
    model = common.as_model(model)
    common.require_kind(model, "volume_ign", "nearest_neighbour")
    out = common.start(workdir, "nearest_neighbour")
    scenes = common.volume_scenes(model, family)
    images, volumes, _ = scenes.pairs(num_test, seed=seed + 1000)
    predictions = common.reconstruct(model, images)

    train_params, train_factors = scenes.sample(num_train, seed=seed + 2000)

    def chunks():
        from tqdm import tqdm

        for start in tqdm(range(0, num_train, chunk), desc="rendering the training images", unit="chunk", disable=None, leave=False):
            part = {k: v[start : start + chunk] for k, v in train_factors.items()}
            yield scenes.images(train_params[start : start + chunk], part)

    neighbour, pixel_distance = nearest_neighbours(images, chunks())
    neighbour_volumes = scenes.volumes(train_params[neighbour])
    prediction_error = metrics.mean_voxel_distance(predictions, volumes)
    neighbour_error = metrics.mean_voxel_distance(neighbour_volumes, volumes)
    test = paired_ttest(prediction_error, neighbour_error)

    report = Report("Nearest-neighbour comparison (paper 000, 4.3)")
    report.paragraph(
        f"{num_test} test image/volume pairs; nearest neighbour by pixel-wise Euclidean distance among "
        f"{num_train} training images; error = mean voxel-wise Euclidean distance to the ground-truth volume."
    )
    report.table(
        ["", "paper", "ours"],
        common.paired_ttest_rows(test, PAPER, "prediction error", "prediction", "nearest-neighbour error", "neighbour")
        + [
            ["predictions better than neighbour", "—", f"{int((prediction_error < neighbour_error).sum())} / {num_test}"],
        ],
    )
    report.paragraph(test.apa("prediction", "nearest neighbour"))
    path = report.write(out / "report.md")
    result = {
        "num_test": num_test, "num_train": num_train,
        "prediction_mean": test.mean_a, "prediction_sd": test.sd_a,
        "neighbour_mean": test.mean_b, "neighbour_sd": test.sd_b,
        "t": test.t, "dof": test.dof, "p": test.p,
        "mean_pixel_distance_to_neighbour": float(np.mean(pixel_distance)),
    }
    return common.ExperimentResult("nearest_neighbour", path, result, [])
