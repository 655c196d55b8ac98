"""Grant et al. 2016, 4.6: face recognition in novel pose and lighting from the shape code.

Each trial: a query image, the same face in another pose (or lighting) as the target, and
`num_candidates - 1` other faces; candidates are ranked by Euclidean distance of their codes to the
query's, and the target's rank is recorded. Repeated `num_repeats` times, with the shape code and
with the full code (shape + transformation).
"""

import numpy as np

from tf_ivg.evaluation.experiments import common
from tf_ivg.evaluation.recognition import recognition_trials
from tf_ivg.evaluation.report import Report

PAPER = {("shape", "pose"): 11.08, ("shape", "lighting"): 1.02, ("full", "pose"): 26.86, ("full", "lighting"): 1.14}


def _ranks(model, scenes, num_faces, num_candidates, num_repeats, seed):
    """`{(code, vary): ranks [num_repeats]}` on pairs from `scenes`."""
    out = {}
    for k, vary in enumerate(("pose", "lighting")):
        first, second = scenes.same_identity_pairs(num_faces, vary, seed=seed + 100 * k)
        shape_a, trans_a = common.encode(model, first)
        shape_b, trans_b = common.encode(model, second)
        identities = np.concatenate([np.arange(num_faces), np.arange(num_faces)])
        queries = np.arange(num_repeats)
        targets = num_faces + queries
        for code, pool in (
            ("shape", np.concatenate([shape_a, shape_b])),
            ("full", np.concatenate([np.concatenate([shape_a, trans_a], 1), np.concatenate([shape_b, trans_b], 1)])),
        ):
            out[(code, vary)] = recognition_trials(
                pool, identities, queries, targets, num_candidates=num_candidates, seed=seed + k
            )
    return out


def run(model, workdir, family="faces", num_candidates=150, num_repeats=100, seed=0, config=None):
    """Writes `workdir/recognition/report.md`.

    Args:
        model: a single-image VolumeIGN (paper: the disentangled model of 4.5) with `config`, or a
            `tf-ivg train` workdir / pretrained name.
        num_candidates: candidates per trial, target included (paper: 150).
        num_repeats: trials per condition (paper: 100).
        config: the training config: the other pose or lighting is drawn as in its training data
            (`common.training_conditions`; on the paper's grid, another of its azimuths or ambient levels).
    Returns:
        ExperimentResult with mean ranks `{code}_{pose|lighting}_mean_rank` and all ranks in [1, num_candidates],
        `conditions`, and `generalisation` (the mean ranks on the full factor ranges) for a grid-trained model.
    """
    model, config = common.as_model_and_config(model, config)
    common.require_kind(model, "volume_ign", "recognition")
    out = common.start(workdir, "recognition")
    scenes, description, wider = common.training_conditions(model, config, family)
    num_faces = max(num_repeats, num_candidates)
    result = {"num_candidates": num_candidates, "num_repeats": num_repeats, "conditions": description}
    ranks = _ranks(model, scenes, num_faces, num_candidates, num_repeats, seed)
    rows = []
    for (code, vary), r in ranks.items():
        result[f"{code}_{vary}_mean_rank"] = float(r.mean())
        result[f"{code}_{vary}_ranks"] = r.tolist()
        rows.append(
            [
                f"{code} code",
                f"different {vary}",
                PAPER[(code, vary)],
                float(r.mean()),
                float(np.median(r)),
                float((r == 1).mean()),
            ]
        )
    report = Report("Face recognition in novel pose and lighting (Grant et al. 2016, 4.6)")
    report.paragraph(
        f"{num_repeats} trials per condition; {num_candidates} candidates each (chance mean rank "
        f"{(num_candidates + 1) / 2:.1f}); rank of the same face by Euclidean code distance. Viewing conditions: "
        f"{description}."
    )
    report.table(["code", "target", "paper mean rank", "our mean rank", "our median rank", "our top-1 rate"], rows)
    if wider is not None:
        wide = _ranks(model, wider, num_faces, num_candidates, num_repeats, seed)
        result["generalisation"] = {f"{code}_{vary}_mean_rank": float(r.mean()) for (code, vary), r in wide.items()}
        report.paragraph(
            "Generalisation (not the paper's conditions): the other pose or lighting drawn from the full factor "
            "ranges, most of which this model never saw in training."
        )
        report.table(
            ["code", "target", "our mean rank", "our median rank"],
            [[f"{c} code", f"different {v}", float(r.mean()), float(np.median(r))] for (c, v), r in wide.items()],
        )
    path = report.write(out / "report.md")
    return common.ExperimentResult("recognition", path, result, [])
