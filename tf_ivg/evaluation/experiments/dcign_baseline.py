"""DC-IGN (Kulkarni et al. 2015), 4.1.1 and Fig 5b: disentangled (DC-IGN) against entangled (plain SGVB) codes
for novel-view re-rendering.

The baseline's azimuth latent is the one with the largest variance over an azimuth group (the
paper's rule); DC-IGN's is z[0]. Qualitative: both re-render an input while that latent sweeps.
Quantitative (beyond the paper): for each group, image 0 is encoded, its azimuth latent is set to
the value the encoder infers for image j, and the decoded image is compared with the true image j
(novel-view MSE), for both models; paired t-test over the groups.
"""

import numpy as np

from tf_ivg.evaluation import figures
from tf_ivg.evaluation.experiments import common
from tf_ivg.evaluation.report import Report
from tf_ivg.evaluation.stats import paired_ttest


def _novel_view_mse(model, images, index):
    codes = np.asarray(model.encode(images))
    z = np.repeat(codes[:1], len(images), axis=0)
    z[:, index] = codes[:, index]
    return float(np.mean(np.square(np.asarray(model.decode(z)) - images)))


def run(model, workdir, baseline, family="faces", num_groups=10, group_size=8, seed=0):
    """Writes `workdir/entangled_baseline/` and a report.

    Args:
        model: the DC-IGN (or checkpoint); baseline: the same network trained without clamping
            (config dcign_faces_baseline), or checkpoint.
    Returns:
        ExperimentResult with novel-view MSE of both, t and p.
    """
    model, baseline = common.as_model(model), common.as_model(baseline)
    common.require_kind(model, "dcign", "entangled_baseline")
    common.require_kind(baseline, "dcign", "entangled_baseline")
    if model.image_size != baseline.image_size:
        raise ValueError("the DC-IGN and the baseline must share image_size")
    out = common.start(workdir, "entangled_baseline")
    scenes = common.dcign_scenes(model, family)
    errors = {"dcign": [], "baseline": []}
    chosen = []
    for g in range(num_groups):
        images, factors = scenes.vary("azimuth", group_size, seed=seed + g)
        images = images[np.argsort(factors["azimuth"])]
        base_index = int(np.argmax(np.var(np.asarray(baseline.encode(images)), axis=0)))
        chosen.append(base_index)
        errors["dcign"].append(_novel_view_mse(model, images, model.latent_index("azimuth")))
        errors["baseline"].append(_novel_view_mse(baseline, images, base_index))
        if g == 0:
            values = np.linspace(-3, 3, 7)
            row_d = [images[0]] + list(np.asarray(model.rerender(images[:1], "azimuth", values))[0])
            row_b = [images[0]] + list(np.asarray(baseline.rerender(images[:1], base_index, values))[0])
            fig = figures.image_grid(
                out / "baseline_vs_dcign.png",
                [row_b, row_d],
                row_labels=["entangled", "DC-IGN"],
                col_labels=["input"] + [f"{v:.1f}" for v in values],
            )
    test = paired_ttest(errors["dcign"], errors["baseline"]) if num_groups >= 2 else None
    report = Report("Entangled baseline against DC-IGN (Kulkarni et al. 2015, 4.1.1, Fig 5b)")
    report.image(
        fig, "Fig 5b: the azimuth latent swept for the entangled baseline (top) and DC-IGN (bottom)", relative_to=out
    )
    report.paragraph(f"Baseline azimuth latent (largest variance over each azimuth group): {sorted(set(chosen))}.")
    rows = [["DC-IGN", float(np.mean(errors["dcign"]))], ["entangled baseline", float(np.mean(errors["baseline"]))]]
    report.table(["model", f"novel-view MSE ({num_groups} groups of {group_size})"], rows)
    if test:
        report.paragraph(test.apa("DC-IGN", "baseline"))
    path = report.write(out / "report.md")
    result = {
        "dcign_novel_view_mse": rows[0][1],
        "baseline_novel_view_mse": rows[1][1],
        "baseline_latents": sorted(set(chosen)),
    }
    if test:
        result.update({"t": test.t, "p": test.p, "dof": test.dof})
    return common.ExperimentResult("entangled_baseline", path, result, [fig])
