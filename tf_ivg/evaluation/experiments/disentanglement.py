"""Grant et al. 2016, 4.5 (Fig 5): the shape / transformation split of a model trained with both decoders.

Fig 5a: the invariance profile with the code split into shape (Z1) and transformation (Z2) codes
(`invariance.run(disentangled=True)`). Fig 5b: images decoded from the shape code only (the
transformation code zeroed), the transformation code only, and both, beside the volume. Beyond the
paper: MIG and DCI (disentanglement_lib's definitions, `tf_ivg.evaluation.disentanglement`) of the
transformation code and of the full code against the known pose and lighting factors.

Every part follows the checkpoint's training distribution (`common.training_conditions`): for a model trained on
the paper's grid, the 5 azimuths and 3 ambient levels, so the scores measure the factors its data varied; for
such a model the scores on the full factor ranges are a second, generalisation table.
"""

import numpy as np

from tf_ivg.evaluation import disentanglement as scores
from tf_ivg.evaluation import figures
from tf_ivg.evaluation.experiments import common
from tf_ivg.evaluation.experiments import invariance as invariance_experiment
from tf_ivg.evaluation.report import Report

FACTORS = ("azimuth", "elevation", "light", "ambient")
SCORE_COLUMNS = [
    "code",
    "MIG",
    "DCI disentanglement",
    "DCI completeness",
    "DCI informativeness (train)",
    "DCI informativeness (test)",
]


def run(
    model,
    workdir,
    family="faces",
    num_batches=100,
    batch_size=10,
    num_examples=5,
    num_scores=500,
    seed=0,
    config=None,
):
    """Writes `workdir/disentanglement/` (and `workdir/disentanglement_profile/` for Fig 5a).

    Args:
        model: a VolumeIGN trained with both decoders (config faces_disentangled) with `config`, or a
            `tf-ivg train` workdir / pretrained name.
        num_examples: rows of Fig 5b. num_scores: random scenes for MIG / DCI (factors constant in the
            training data, such as elevation on the paper's grid, are left out of the scores).
        config: the training config: Fig 5a's batches, Fig 5b's inputs and the scored scenes follow its training
            data (`common.training_conditions`).
    Returns:
        ExperimentResult with the Fig 5a code-layer values, MIG and DCI, `conditions`, and `generalisation` (the
        scores on the full factor ranges) for a grid-trained model.
    """
    model, config = common.as_model_and_config(model, config)
    common.require_kind(model, "volume_ign", "disentanglement")
    out = common.start(workdir, "disentanglement")
    profile = invariance_experiment.run(
        model, workdir, family, num_batches, batch_size, seed, disentangled=True, config=config
    )
    scenes, description, wider = common.training_conditions(model, config, family)

    images, _, _ = scenes.pairs(num_examples, seed=seed + 1000)
    shape, transformation = common.encode(model, images)
    zero_s, zero_t = np.zeros_like(shape), np.zeros_like(transformation)
    shape_only = np.asarray(model.render(shape, zero_t))
    transformation_only = np.asarray(model.render(zero_s, transformation))
    both = np.asarray(model.render(shape, transformation))
    volumes = common.reconstruct(model, images)
    rows = [
        [
            images[i],
            shape_only[i],
            transformation_only[i],
            both[i],
            common.volume_views(volumes[i], 0.01, views=((0.0, 0.0),), image_size=model.image_size)[0],
        ]
        for i in range(num_examples)
    ]
    fig = figures.image_grid(
        out / "decoded_codes.png", rows, col_labels=["input", "shape code", "transf. code", "both", "volume"]
    )

    table, scored = _score_table(model, scenes, num_scores, seed)
    result = {**profile.metrics, **scored, "conditions": description}
    wide_table = None
    if wider is not None:
        wide_table, wide_scores = _score_table(model, wider, num_scores, seed)
        # beside Fig 5a's code-layer values on the full ranges, which the profile put there
        result["generalisation"] = {**profile.metrics.get("generalisation", {}), **wide_scores}

    image_error = float(np.mean(np.square(both - images)))
    result["image_mse"] = image_error
    report = Report("Disentangled representations (Grant et al. 2016, 4.5, Fig 5)")
    report.paragraph(
        f"Fig 5a (relative SD per layer with split codes): see [{profile.report.parent.name}/report.md](../{profile.report.parent.name}/report.md)."
    )
    report.image(profile.figures[0], "Fig 5a", relative_to=out)
    report.image(
        fig,
        "Fig 5b: input; image decoded from the shape code only; from the transformation code only; from both; the volume",
        relative_to=out,
    )
    report.paragraph(f"Image decoder reconstruction MSE (both codes) on these examples: {image_error:.4g}.")
    report.heading("Disentanglement scores (beyond the paper)")
    report.paragraph(
        f"{num_scores} random scenes ({description}); factors {', '.join(FACTORS)}, those constant in these scenes "
        "left out; disentanglement_lib's definitions: MIG with the "
        "codes and the continuous factors in 20-bin histograms; DCI from one gradient-boosted-tree classifier per "
        "factor predicting its 20-bin class (importance = feature importance; informativeness = train / test "
        "accuracy, 80/20 random split)."
    )
    report.table(
        SCORE_COLUMNS,
        table,
    )
    if wide_table is not None:
        report.paragraph(
            "Generalisation (not the paper's conditions): the same scores on scenes drawn from the full factor "
            "ranges, most of which this model never saw in training."
        )
        report.table(SCORE_COLUMNS, wide_table)
    path = report.write(out / "report.md")
    return common.ExperimentResult("disentanglement", path, result, profile.figures + [fig])


def _score_table(model, scenes, num_scores, seed):
    """MIG and DCI of the transformation code and the full code on `num_scores` scenes drawn from `scenes`
    -> `(table rows, {"{transformation|full}_mig": float, "{...}_dci_{name}": float})`."""
    params, factors = scenes.sample(num_scores, seed=seed + 5000)
    s_code, t_code = common.encode(model, scenes.images(params, factors))
    truth = np.stack([factors[f] for f in FACTORS], axis=1).astype(np.float64)
    table, result = [], {}
    for label, code in (("transformation code", t_code), ("full code", np.concatenate([s_code, t_code], axis=1))):
        if code.shape[1] < 2:
            table.append([label, None, None, None, None, None])
            continue
        m = scores.mig(code, truth)
        d = scores.dci(code, truth, seed=seed)
        key = label.split()[0]
        result.update({f"{key}_mig": m, **{f"{key}_dci_{k}": v for k, v in d.items()}})
        table.append(
            [label, m, d["disentanglement"], d["completeness"], d["informativeness_train"], d["informativeness_test"]]
        )
    return table, result
