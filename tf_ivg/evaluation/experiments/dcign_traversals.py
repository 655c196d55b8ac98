"""DC-IGN (Kulkarni et al. 2015), Figs 4, 5a and 7: re-rendering unseen images while one latent sweeps.

Uses `tf_ivg.evaluation.traversals` (one PNG per factor); by default each latent sweeps its own
learned range on random scenes rather than the prior's +-3. Faces sweep azimuth, elevation and light;
chairs (whose only named latent is azimuth, z[0]) sweep azimuth.
"""

import numpy as np

from tf_ivg.evaluation.experiments import common
from tf_ivg.evaluation.report import Report
from tf_ivg.evaluation.traversals import save_traversal

PAPER_FIGURES = {"azimuth": "Fig 4b / 7", "elevation": "Fig 4a", "light": "Fig 5a"}


def named_factors(model):
    """Factors with their own latent block (a block no other factor shares)."""
    spans = {k: tuple(v) for k, v in model.factor_latents.items()}
    return [f for f in ("azimuth", "elevation", "light") if list(spans.values()).count(spans[f]) == 1]


def latent_ranges(model, images, factors, spread=1.25):
    """Per factor, 7 values spanning the latent's 2nd-98th percentile over `images`, widened by `spread`
    (the learned latent range; a weakly used latent may span far less than the prior's +-3)."""
    codes = np.asarray(model.encode(images))
    out = {}
    for factor in factors:
        column = codes[:, model.latent_index(factor)]
        low, high = np.percentile(column, [2, 98])
        centre, half = (low + high) / 2, max((high - low) / 2, 1e-3) * spread
        out[factor] = np.linspace(centre - half, centre + half, 7).astype(np.float32)
    return out


def run(
    model,
    workdir,
    family="faces",
    num_images=4,
    values=None,
    num_reference=64,
    seed=0,
    name="traversals",
    images=None,
    reference=None,
):
    """Writes `workdir/<name>/` (one grid per factor) and a report.

    Args:
        model: a DCIGN or checkpoint path.
        values: latent values for every factor; None: per factor, 7 values over the latent's range on
            `num_reference` random scenes (`latent_ranges`). The paper sweeps -15..15 in its latent units.
        name: output folder inside `workdir`.
        images: `[n, S, S, C]` images to re-render (e.g. a dataset's test images); None: `num_images` random
            unseen scenes of `family`.
        reference: images whose codes set the sweep ranges; None: `num_reference` random scenes of `family`.
    Returns:
        ExperimentResult listing the grids and the values used.
    """
    model = common.as_model(model)
    common.require_kind(model, "dcign", "traversals")
    out = common.start(workdir, name)
    scenes = common.dcign_scenes(model, family)
    if images is None:
        images = scenes.images(*scenes.sample(num_images, seed=seed + 1000))
    images = np.asarray(images, np.float32)
    factors = named_factors(model)
    if values is None:
        if reference is None:
            reference = scenes.images(*scenes.sample(num_reference, seed=seed + 2000))
        sweeps = latent_ranges(model, reference, factors)
    else:
        sweeps = {f: np.asarray(values, np.float32).reshape(-1) for f in factors}
    paths = {f: save_traversal(out / f"traversal_{f}.png", model, images, f, sweeps[f]) for f in factors}
    report = Report(f"DC-IGN latent traversals ({family}; Kulkarni et al. 2015 Figs 4, 5a, 7)")
    report.paragraph(
        f"{len(images)} unseen images (left column); one latent set to each value, all others at the encoder's mean."
    )
    for factor, path in paths.items():
        shown = ", ".join(f"{v:.3g}" for v in sweeps[factor])
        report.image(
            path,
            f"{factor} (latent {model.latent_index(factor)}; values {shown}; paper {PAPER_FIGURES.get(factor, '')})",
            relative_to=out,
        )
    path = report.write(out / "report.md")
    metrics = {"factors": factors, "values": {f: sweeps[f].tolist() for f in factors}}
    return common.ExperimentResult(name, path, metrics, list(paths.values()))
