"""DC-IGN (paper 001), Figs 4, 5a and 7: re-rendering unseen images while one latent sweeps.

Uses `tf_ivg.evaluation.traversals` (one PNG per factor). Faces sweep azimuth, elevation and light;
chairs (whose only named latent is azimuth, z[0]) sweep azimuth.
"""
import numpy as np

from tf_ivg.evaluation.experiments import common
from tf_ivg.evaluation.report import Report
from tf_ivg.evaluation.traversals import save_traversals

PAPER_FIGURES = {"azimuth": "Fig 4b / 7", "elevation": "Fig 4a", "light": "Fig 5a"}


def named_factors(model):
    """Factors with their own latent block (a block no other factor shares)."""
    spans = {k: tuple(v) for k, v in model.factor_latents.items()}
    return [f for f in ("azimuth", "elevation", "light") if list(spans.values()).count(spans[f]) == 1]


def run(model, workdir, family="faces", num_images=4, values=None, seed=0):
    """Writes `workdir/traversals/` (one grid per factor) and a report.

    Args:
        model: a DCIGN or checkpoint path. values: latent values (default 7 from -3 to 3, the
            prior's +-3 SD; the paper sweeps -15..15 in its latent units).
    Returns:
        ExperimentResult listing the grids.
    """
    model = common.as_model(model)
    common.require_kind(model, "dcign", "traversals")
    out = common.start(workdir, "traversals")
    scenes = common.dcign_scenes(model, family)
    images = scenes.images(*scenes.sample(num_images, seed=seed + 1000))
    factors = named_factors(model)
    values = np.linspace(-3.0, 3.0, 7) if values is None else np.asarray(values, np.float32)
    paths = save_traversals(model, images, out, factors=factors, values=values)
    report = Report(f"DC-IGN latent traversals ({family}; paper 001 Figs 4, 5a, 7)")
    report.paragraph(f"{num_images} unseen images (left column); one latent set to each of {list(np.round(values, 2))}, all others at the encoder's mean.")
    for factor, path in paths.items():
        report.image(path, f"{factor} (latent {model.latent_index(factor)}; paper {PAPER_FIGURES.get(factor, '')})", relative_to=out)
    path = report.write(out / "report.md")
    return common.ExperimentResult("traversals", path, {"factors": factors}, list(paths.values()))
