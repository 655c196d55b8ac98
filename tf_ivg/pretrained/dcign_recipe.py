"""The recipe of the shipped `dcign_faces_64`: DC-IGN (Kulkarni et al. 2015) on 64x64 procedural faces.

Shape key: S image side (64), Z latents (200), G groups, N images per group (20).

`build` generates `ivg_faces/dcign_64` (tfds) if missing, trains config `dcign_faces_64` with `tf_ivg.train`
under mixed bfloat16 (resumable in WORKDIR), then scores the model on data it never saw:
- -ELBO per image on the dataset's test split (200 groups of 200 identities outside training's);
- for azimuth, elevation and light, `tf_ivg.latent_factors.factor_scores` on TEST_GROUPS rendered
  groups per factor (random identities, checked to be outside training's): Pearson and Spearman r of the
  factor's latent with the truth, within-group r, the best-matching latent;
- the latent <-> radians lines `tf-ivg rerender` uses (`tf_ivg.latent_factors`).
It writes `dcign_faces_64.keras` (weights stored as float16: half the size; they load as float32) and
`dcign_faces_64.json` (command, seed, data, training curve, test figures, calibration, config).
"""

import os
import platform
import time

NAME = "dcign_faces_64"
CONFIG = "dcign_faces_64"
TEST_GROUPS = 25
GROUP_SIZE = 20
CONVERGED_CHANGE = 0.01  # the validation loss improved by less than this fraction over the last quarter of training


def _epoch_losses(workdir, split):
    """`[[(step, wall time, epoch loss)] per events file]` of the run's TensorBoard logs `logs/<split>` (one
    file per session of a resumed run)."""
    from pathlib import Path

    import tensorflow as tf
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    files = []
    for events in sorted(Path(workdir, "logs", split).glob("events.out.tfevents.*")):
        accumulator = EventAccumulator(str(events), size_guidance={"tensors": 0})
        accumulator.Reload()
        if "epoch_loss" in accumulator.Tags().get("tensors", []):
            files.append(
                [
                    (int(e.step), e.wall_time, float(tf.make_ndarray(e.tensor_proto)))
                    for e in accumulator.Tensors("epoch_loss")
                ]
            )
    return files


def validation_curve(workdir):
    """`[(step, validation -ELBO)]` per epoch from the run's TensorBoard logs (every session of a resumed run)."""
    return sorted({step: loss for events in _epoch_losses(workdir, "validation") for step, _, loss in events}.items())


def training_seconds(workdir):
    """Wall-clock seconds of training, summed over the run's sessions (first to last epoch of each), plus one
    epoch per session for the first epoch's own time."""
    total = 0.0
    for events in _epoch_losses(workdir, "train"):
        times = [t for _, t, _ in events]
        epoch = (times[-1] - times[0]) / (len(times) - 1) if len(times) > 1 else 0.0
        total += times[-1] - times[0] + epoch
    return total


def converged(curve, change=CONVERGED_CHANGE):
    """True when the last quarter of the epochs improved the validation loss by less than `change` (relative)."""
    if len(curve) < 8:
        return False
    losses = [loss for _, loss in curve]
    quarter = len(losses) // 4
    before, after = min(losses[:-quarter]), min(losses[-quarter:])
    return (before - after) / abs(before) < change


def test_elbo(model, config, data_dir):
    """Mean -ELBO, reconstruction and KL per image over the dataset's test split."""
    from tf_ivg.data import dcign_groups
    from tf_ivg.training.dcign_task import groups_to_batches

    batches = groups_to_batches(dcign_groups(config["dataset"], "test", data_dir=data_dir), config["batch_size"])
    logs = model.evaluate(batches, verbose=0, return_dict=True)
    return {k: round(float(logs[k]), 3) for k in ("loss", "reconstruction", "kl")}


def build(out, workdir, data_dir, steps=None, seed=0, command=None):
    """Trains (or resumes) the model and writes `out/dcign_faces_64.{keras,json}`; returns the record."""
    import tensorflow as tf

    import tf_ivg
    from tf_ivg.checkpoints import save_for_inference
    from tf_ivg.configs import get_config
    from tf_ivg.data import specs
    from tf_ivg.data.build import build as build_dataset
    from tf_ivg.data.examples import identity_ids
    from tf_ivg.data.scenes import check_disjoint
    from tf_ivg.latent_factors import calibrate, factor_scores
    from tf_ivg.training.progress import StepProgress
    from tf_ivg.utils.files import atomic_path, write_json

    config = get_config(CONFIG, "full")
    config["seed"] = int(seed)
    if steps:
        config["steps"] = int(steps)
    start = time.time()
    build_dataset(config["dataset"], data_dir)
    data_seconds = time.time() - start
    progress = StepProgress(config["steps"], shown=("loss", "kl"), desc=f"training {NAME}")
    model, _ = tf_ivg.train(config, str(workdir), data_dir=data_dir, mixed_bf16=True, verbose=0, callbacks=[progress])
    model, _ = tf_ivg.load_with_config(str(workdir))  # float32, as users get it
    model.compile(jit_compile=False)

    spec = specs.get_spec(config["dataset"])
    train_ids = identity_ids(spec, "train", range(spec.identities[0]))
    scores = factor_scores(model, num_groups=TEST_GROUPS, group_size=GROUP_SIZE, seed=seed + 2)
    check_disjoint(train_ids, scores.pop("identities"))
    curve = validation_curve(workdir)
    record = {
        "name": NAME,
        "description": "DC-IGN (Kulkarni et al. 2015): 64x64 grayscale face image <-> 200 latents, z[0] azimuth, "
        "z[1] elevation, z[2] light azimuth, z[3:] identity; trained on procedural faces rendered on a dark "
        "background (not photographs)",
        "command": command or f"python -m tf_ivg.pretrained.build {NAME}",
        "seed": int(seed),
        "data": {
            "dataset": config["dataset"],
            "splits": dict(zip(("train", "validation", "test"), spec.splits)),
            "identities": dict(zip(("train", "validation", "test"), spec.identities)),
            "test_groups_per_factor": TEST_GROUPS,
            "test_group_size": GROUP_SIZE,
            "test_seed": int(seed) + 2,
            "test_identities_disjoint_from_train": True,
        },
        "training": {
            "steps": config["steps"],
            "batch_size": config["batch_size"],
            "dtype_policy": "mixed_bfloat16",
            "validation_loss_by_step": [[step, round(loss, 2)] for step, loss in curve],
            "converged": converged(curve),
            "converged_rule": f"validation -ELBO improved < {CONVERGED_CHANGE:.0%} over the last quarter of epochs",
            "data_seconds": round(data_seconds, 1),
            "train_seconds": round(training_seconds(workdir), 1),
            "cpus": os.cpu_count(),
            "tensorflow": tf.__version__,
            "python": platform.python_version(),
        },
        "parameters": int(model.count_params()),
        "weights_dtype": "float16",
        "test": {"elbo_per_image": test_elbo(model, config, data_dir), "factors": scores},
        "calibration": calibrate(model, num_groups=8, group_size=GROUP_SIZE, seed=seed + 3),
        "config": config,
    }
    os.makedirs(out, exist_ok=True)
    with atomic_path(os.path.join(out, f"{NAME}.keras")) as model_tmp:
        record["file_bytes"] = save_for_inference(model, model_tmp, weights_dtype="float16")
        write_json(os.path.join(out, f"{NAME}.json"), record)
    return record
