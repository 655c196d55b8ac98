"""One function per experiment of both papers; `reproduce` runs them by name.

Each experiment writes `report.md` and PNG figures into a folder of the workdir and returns an
`ExperimentResult`. `EXPERIMENTS` lists them with the training config whose checkpoint each needs
(`baseline`: a second checkpoint) and the small sizes used by `smoke=True`.
"""

import dataclasses
import importlib
import inspect
import json
import os
from pathlib import Path

from tf_ivg.utils.files import write_text


@dataclasses.dataclass(frozen=True)
class Experiment:
    module: str
    paper: str
    config: str  # training config of the model it evaluates (checkpoint-dir/<config>/model.keras)
    baseline_config: str = None  # second model, if any
    family: str = "faces"
    smoke: dict = dataclasses.field(default_factory=dict)

    def function(self):
        return importlib.import_module(f"tf_ivg.evaluation.experiments.{self.module}").run


EXPERIMENTS = {
    "volume_predictions": Experiment(
        "volume_predictions", "000 §4.2, Fig 3", "faces_volume", smoke={"num_examples": 2, "num_train": 8}
    ),
    "nearest_neighbour": Experiment(
        "nearest_neighbour",
        "000 §4.3",
        "faces_volume",
        smoke={"num_test": 6, "num_train": 45, "mean_volume_samples": 8, "oracle_identities": 8, "chunk": 15},
    ),
    "invariance": Experiment(
        "invariance", "000 §4.4, Fig 4", "faces_volume", smoke={"num_batches": 2, "batch_size": 4}
    ),
    "disentanglement": Experiment(
        "disentanglement",
        "000 §4.5, Fig 5",
        "faces_disentangled",
        smoke={"num_batches": 2, "batch_size": 4, "num_examples": 2, "num_scores": 24},
    ),
    "recognition": Experiment(
        "recognition", "000 §4.6", "faces_disentangled", smoke={"num_candidates": 6, "num_repeats": 4}
    ),
    "video": Experiment(
        "video", "000 §4.7", "faces_video", baseline_config="faces_disentangled", smoke={"num_clips": 4}
    ),
    "chairs": Experiment(
        "chairs",
        "000 §4.8, Fig 6",
        "chairs_volume",
        family="chairs",
        smoke={"num_examples": 2, "num_train": 8, "num_test": 4},
    ),
    "code_swap": Experiment(
        "code_swap", "000 §4.9, Fig 7", "chairs_volume", family="chairs", smoke={"num_examples": 3}
    ),
    "traversals": Experiment(
        "dcign_traversals", "001 Figs 4, 5a", "dcign_faces", smoke={"num_images": 2, "num_reference": 8}
    ),
    "latent_factors": Experiment("dcign_factors", "001 Fig 6", "dcign_faces", smoke={"num_groups": 2, "group_size": 6}),
    "entangled_baseline": Experiment(
        "dcign_baseline",
        "001 §4.1.1, Fig 5b",
        "dcign_faces",
        baseline_config="dcign_faces_baseline",
        smoke={"num_groups": 2, "group_size": 4},
    ),
    "dcign_chairs": Experiment(
        "dcign_chairs",
        "001 §4.2, Fig 7",
        "dcign_chairs",
        family="chairs",
        smoke={"num_test": 6, "num_baseline_chairs": 2, "num_images": 2, "num_reference": 8},
    ),
}


def names():
    return list(EXPERIMENTS)


def reproduce(name, model, workdir, baseline=None, smoke=False, seed=0, config=None, **overrides):
    """Runs experiment `name` on `model` (a model or checkpoint path) and returns its ExperimentResult.

    Args:
        config: the training config of `model` when it is a model object (experiments that evaluate on the
            training distribution read it; a checkpoint path carries its own).
        baseline: the second model for "video" (single-image model) and "entangled_baseline".
        smoke: use the experiment's tiny sizes (for tests and quick checks; numbers are meaningless).
        overrides: keyword arguments of the experiment function (e.g. num_test=50).
    """
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; expected one of {names()} or 'all'")
    spec = EXPERIMENTS[name]
    kwargs = {**(spec.smoke if smoke else {}), **overrides, "seed": seed}
    if spec.baseline_config:
        if baseline is None:
            raise ValueError(
                f"experiment {name!r} needs a second model: --baseline-checkpoint (config {spec.baseline_config})"
            )
        kwargs["baseline"] = baseline
    if spec.module not in ("chairs", "dcign_chairs"):
        kwargs.setdefault("family", spec.family)
    function = spec.function()
    if config is not None and "config" in inspect.signature(function).parameters:
        kwargs["config"] = config
    return function(model, workdir, **kwargs)


def reproduce_all(checkpoint_dir, workdir, smoke=False, seed=0, only=None):
    """Runs every experiment whose checkpoints exist as `checkpoint_dir/<config>/model.keras`
    (the layout `tf-ivg train --workdir checkpoint_dir/<config>` leaves); writes `workdir/index.md`.

    Returns:
        `{name: ExperimentResult or the reason it was skipped (str)}`.
    """
    checkpoint_dir, workdir = Path(checkpoint_dir), Path(workdir)
    results = {}
    for name in only or names():
        spec = EXPERIMENTS[name]
        model_path = checkpoint_dir / spec.config / "model.keras"
        baseline_path = checkpoint_dir / spec.baseline_config / "model.keras" if spec.baseline_config else None
        missing = [str(p) for p in (model_path, baseline_path) if p is not None and not p.exists()]
        if missing:
            results[name] = f"skipped: missing {', '.join(missing)}"
            continue
        results[name] = reproduce(name, model_path, workdir, baseline=baseline_path, smoke=smoke, seed=seed)
    write_index(workdir, results)
    return results


def write_index(workdir, results):
    """Merges `results` into `workdir/results.json` (every number, by experiment) and rewrites
    `workdir/index.md` linking each experiment's report, so single runs accumulate."""
    from tf_ivg.evaluation.report import Report

    workdir = Path(workdir)
    path = workdir / "results.json"
    entries = json.loads(path.read_text()) if path.exists() else {}
    for name, result in results.items():
        if isinstance(result, str):
            entries.setdefault(name, {"status": result})
        else:
            link = os.path.relpath(Path(result.report).resolve(), workdir.resolve())
            entries[name] = {"report": link, "metrics": result.metrics}
    write_text(path, json.dumps(entries, indent=2, default=_jsonable))
    report = Report("tf_ivg reproduction: results")
    rows = []
    for name, entry in entries.items():
        paper = EXPERIMENTS[name].paper if name in EXPERIMENTS else ""
        rows.append(
            [name, paper, f"[{entry['report']}]({entry['report']})" if "report" in entry else entry.get("status", "")]
        )
    report.table(["experiment", "paper", "report"], rows)
    report.write(workdir / "index.md")


def _jsonable(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
