"""DC-IGN (Kulkarni et al. 2015), Fig 6: each named latent against its true factor, plus MIG and DCI.

For each factor, groups in which only that factor varies (as in training) are encoded; the factor's
latent is scattered against the true value and their correlation reported. MIG and DCI (beyond the
paper) score the full code against azimuth, elevation and light over all groups pooled.
"""

import numpy as np

from tf_ivg.evaluation import disentanglement as scores
from tf_ivg.evaluation import figures
from tf_ivg.evaluation.experiments import common
from tf_ivg.evaluation.experiments.dcign_traversals import named_factors
from tf_ivg.evaluation.probes import batched
from tf_ivg.evaluation.report import Report

FACTORS = ("azimuth", "elevation", "light")


def run(model, workdir, family="faces", num_groups=10, group_size=20, seed=0):
    """Writes `workdir/latent_factors/` (scatter per factor) and a report.

    Args:
        model: a DCIGN (or checkpoint). num_groups x group_size images per factor.
    Returns:
        ExperimentResult with Pearson r per factor, MIG and DCI.
    """
    model = common.as_model(model)
    common.require_kind(model, "dcign", "latent_factors")
    out = common.start(workdir, "latent_factors")
    scenes = common.dcign_scenes(model, family)
    encode = lambda x: np.asarray(model.encode(x))  # noqa: E731
    pooled_codes, pooled_truth, rows, figs, result = [], [], [], [], {}
    named = named_factors(model)
    for k, factor in enumerate(FACTORS):
        codes, truth = [], []
        for g in range(num_groups):
            images, factors = scenes.vary(factor, group_size, seed=seed + 1000 * k + g)
            codes.append(batched(encode, images))
            truth.append(np.stack([factors[f] for f in FACTORS], axis=1))
        codes, truth = np.concatenate(codes), np.concatenate(truth)
        pooled_codes.append(codes)
        pooled_truth.append(truth)
        if factor not in named:
            continue
        index = model.latent_index(factor)
        corr = scores.factor_correlation(codes[:, index], truth[:, k])
        best = scores.best_latent_for_factor(codes, truth[:, k])
        result[f"{factor}_pearson_r"] = corr["pearson_r"]
        result[f"{factor}_spearman_rho"] = corr["spearman_rho"]
        rows.append([factor, index, corr["pearson_r"], corr["pearson_p"], corr["spearman_rho"], best])
        figs.append(
            figures.scatter_plot(
                out / f"{factor}.png",
                truth[:, k],
                codes[:, index],
                f"true {factor} (rad)",
                f"z[{index}]",
                title=f"Fig 6: {factor}",
            )
        )
    codes, truth = np.concatenate(pooled_codes), np.concatenate(pooled_truth)
    mig = scores.mig(codes, truth)
    dci = scores.dci(codes, truth)
    result.update({"mig": mig, **{f"dci_{k}": v for k, v in dci.items()}})
    report = Report(f"DC-IGN latents against true factors ({family}; Kulkarni et al. 2015 Fig 6)")
    report.paragraph(
        f"Per factor: {num_groups} groups of {group_size} unseen images where only that factor varies; posterior means."
    )
    report.table(["factor", "latent", "Pearson r", "p", "Spearman rho", "latent with largest |r|"], rows)
    for fig in figs:
        report.image(fig, fig.stem, relative_to=out)
    report.heading("Disentanglement scores (beyond the paper)")
    report.table(
        ["MIG", "DCI disentanglement", "DCI completeness", "DCI informativeness"],
        [[mig, dci["disentanglement"], dci["completeness"], dci["informativeness"]]],
    )
    path = report.write(out / "report.md")
    return common.ExperimentResult("latent_factors", path, result, figs)
