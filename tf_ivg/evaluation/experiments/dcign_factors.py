"""DC-IGN (Kulkarni et al. 2015), Fig 6: each named latent against its true factor, plus MIG, DCI and the
FactorVAE score.

For each factor, groups in which only that factor varies (as in training) are encoded; the factor's
latent is scattered against the true value and their correlation reported. MIG and DCI (beyond the
paper; disentanglement_lib's definitions, `tf_ivg.evaluation.disentanglement`) score the full code against
azimuth, elevation and light over all groups pooled. The FactorVAE score needs the opposite batches, one
factor fixed and everything else (identity and ambient light included) random (`Scenes.fix`), and random
scenes for the latents' global variances.
"""

import numpy as np

from tf_ivg.evaluation import disentanglement as scores
from tf_ivg.evaluation import figures
from tf_ivg.evaluation.experiments import common
from tf_ivg.evaluation.experiments.dcign_traversals import named_factors
from tf_ivg.evaluation.probes import batched
from tf_ivg.evaluation.report import Report
from tf_ivg.latent_factors import latent_scores

FACTORS = ("azimuth", "elevation", "light")


def run(model, workdir, family="faces", num_groups=10, group_size=20, seed=0):
    """Writes `workdir/latent_factors/` (scatter per factor) and a report.

    Args:
        model: a DCIGN (or checkpoint). num_groups x group_size images per factor.
    Returns:
        ExperimentResult with, per factor, `latent_scores` (Pearson r, Spearman rho, within-group r, the best
        latent and its r; `tf_ivg.evaluation.dcign_scores`), MIG, DCI (`dci_disentanglement`, `dci_completeness`,
        `dci_informativeness_train`, `dci_informativeness_test`) and the FactorVAE score
        (`factor_vae_train_accuracy`, `factor_vae_eval_accuracy`, `factor_vae_num_active_dims`): num_groups
        training and num_groups evaluation votes per factor, each a batch of group_size with that factor fixed;
        global variances over 3 x num_groups x group_size random scenes.
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
        s = latent_scores(codes, truth[:, k], np.repeat(np.arange(num_groups), group_size), index)
        for key in ("pearson_r", "spearman_rho", "within_group_r", "best_latent", "best_latent_r"):
            result[f"{factor}_{key}"] = s[key]
        rows.append(
            [
                factor,
                index,
                s["pearson_r"],
                s["spearman_rho"],
                s["within_group_r"],
                s["best_latent"],
                s["best_latent_r"],
            ]
        )
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
    dci = scores.dci(codes, truth, seed=seed)
    factor_vae = _factor_vae(scenes, encode, num_groups, group_size, seed)
    result.update(
        {
            "mig": mig,
            **{f"dci_{k}": v for k, v in dci.items()},
            **{f"factor_vae_{k}": v for k, v in factor_vae.items()},
        }
    )
    report = Report(f"DC-IGN latents against true factors ({family}; Kulkarni et al. 2015 Fig 6)")
    report.paragraph(
        f"Per factor: {num_groups} groups of {group_size} unseen images where only that factor varies; posterior means."
    )
    report.table(
        ["factor", "latent", "Pearson r", "Spearman rho", "within-group r", "latent with largest |r|", "its r"], rows
    )
    for fig in figs:
        report.image(fig, fig.stem, relative_to=out)
    report.heading("Disentanglement scores (beyond the paper)")
    report.paragraph(
        "disentanglement_lib's definitions. MIG and DCI on the pooled groups above: codes (and the continuous "
        "factors) in 20-bin histograms for MIG; DCI from one gradient-boosted-tree classifier per factor predicting "
        "its 20-bin class, informativeness = their train / test accuracy (80/20 random split). FactorVAE score: "
        f"{num_groups} training and {num_groups} evaluation batches of {group_size} per factor with that factor "
        f"fixed and everything else random; latents normalised by their variance over "
        f"{len(FACTORS) * num_groups * group_size} random scenes, those with SD < 0.05 pruned "
        f"({factor_vae['num_active_dims']} of {codes.shape[1]} active)."
    )
    report.table(
        [
            "MIG",
            "DCI disentanglement",
            "DCI completeness",
            "DCI informativeness (train)",
            "DCI informativeness (test)",
            "FactorVAE (train)",
            "FactorVAE (eval)",
        ],
        [
            [
                mig,
                dci["disentanglement"],
                dci["completeness"],
                dci["informativeness_train"],
                dci["informativeness_test"],
                factor_vae["train_accuracy"],
                factor_vae["eval_accuracy"],
            ]
        ],
    )
    path = report.write(out / "report.md")
    return common.ExperimentResult("latent_factors", path, result, figs)


def _factor_vae(scenes, encode, num_groups, group_size, seed):
    """FactorVAE score over FACTORS: per factor, num_groups training and num_groups evaluation batches with
    that factor fixed (`Scenes.fix`), and 3 x num_groups x group_size random scenes for the global variances."""

    def fixed_batches(offset):
        return [
            (k, batched(encode, scenes.fix(factor, group_size, seed=seed + offset + 1000 * k + g)[0]))
            for k, factor in enumerate(FACTORS)
            for g in range(num_groups)
        ]

    params, factors = scenes.sample(len(FACTORS) * num_groups * group_size, seed=seed + 40000)
    global_codes = batched(encode, scenes.images(params, factors))
    return scores.factor_vae_score(fixed_batches(20000), fixed_batches(30000), global_codes, num_factors=len(FACTORS))
