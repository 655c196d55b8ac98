"""Grant et al. 2016, 4.7: volumes from 5-frame clips against the best single frame.

The video model sees the whole clip; the single-image model sees each frame separately and the
frame whose volume has the lowest error counts (the paper's benchmark). Paired-samples t-test.
"""

import numpy as np

from tf_ivg.evaluation import metrics
from tf_ivg.evaluation.experiments import common
from tf_ivg.evaluation.report import Report
from tf_ivg.evaluation.stats import paired_ttest

PAPER = {
    "video_mean": 0.0073,
    "video_sd": 0.0009,
    "single_mean": 0.0089,
    "single_sd": 0.0014,
    "t": -13.7522,
    "dof": 199,
    "p": 1.0947e-30,
}


def run(model, workdir, baseline, family="faces", num_clips=500, seed=0):
    """Writes `workdir/video/report.md`.

    Args:
        model: the clip VolumeIGN (frames = T > 1), or a checkpoint path (config faces_video).
        baseline: the single-image VolumeIGN (config faces_disentangled), or a checkpoint path.
        num_clips: test clips (paper: 500).
    Returns:
        ExperimentResult with both means and SDs, t, dof and p.
    """
    model, baseline = common.as_model(model), common.as_model(baseline)
    common.require_kind(model, "volume_ign", "video")
    common.require_kind(baseline, "volume_ign", "video")
    if model.frames < 2 or baseline.frames != 1:
        raise ValueError(
            f"video needs a clip model (frames > 1) and a single-image baseline (frames == 1); got frames {model.frames} and {baseline.frames}"
        )
    if (model.image_size, model.volume_size) != (baseline.image_size, baseline.volume_size):
        raise ValueError("the video model and the single-image baseline must share image and volume sizes")
    out = common.start(workdir, "video")
    scenes = common.volume_scenes(model, family)
    clips, volumes = scenes.clips(num_clips, frames=model.frames, seed=seed + 1000)
    video_error = metrics.mean_voxel_distance(common.reconstruct(model, clips), volumes)
    frame_errors = np.stack(
        [metrics.mean_voxel_distance(common.reconstruct(baseline, clips[:, t]), volumes) for t in range(model.frames)],
        axis=1,
    )
    single_error = frame_errors.min(axis=1)
    test = paired_ttest(video_error, single_error)
    report = Report("Volumes from videos against single images (Grant et al. 2016, 4.7)")
    report.paragraph(
        f"{num_clips} test clips of {model.frames} frames (left to right profile); single-image error: the best frame per clip."
    )
    report.table(
        ["", "paper", "ours"],
        common.paired_ttest_rows(test, PAPER, "video error", "video", "best single frame", "single"),
    )
    report.table(
        ["frame", "single-image mean error", "chosen as best"],
        [[t, float(frame_errors[:, t].mean()), int((frame_errors.argmin(1) == t).sum())] for t in range(model.frames)],
    )
    report.paragraph(test.apa("video", "best single frame"))
    path = report.write(out / "report.md")
    result = {
        "num_clips": num_clips,
        "video_mean": test.mean_a,
        "video_sd": test.sd_a,
        "single_mean": test.mean_b,
        "single_sd": test.sd_b,
        "t": test.t,
        "dof": test.dof,
        "p": test.p,
    }
    return common.ExperimentResult("video", path, result, [])
