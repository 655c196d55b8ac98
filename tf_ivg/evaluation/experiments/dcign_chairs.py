"""DC-IGN (Kulkarni et al. 2015), 4.2: chairs test reconstruction MSE (paper 2.7722e-4 at 150x150) and Fig 7."""

import numpy as np

from tf_ivg.evaluation import metrics
from tf_ivg.evaluation.experiments import common, dcign_traversals
from tf_ivg.evaluation.probes import batched
from tf_ivg.evaluation.report import Report

PAPER_MSE = 2.7722e-4


def run(model, workdir, num_test=300, num_images=4, num_reference=64, seed=0):
    """Writes `workdir/dcign_chairs/` (test MSE) and `workdir/traversals_chairs/` (Fig 7).

    Args:
        model: a DC-IGN trained on chairs (config dcign_chairs) or checkpoint. num_test: unseen test images.
    Returns:
        ExperimentResult with `test_mse` (grayscale in [0, 1], per-pixel mean).
    """
    model = common.as_model(model)
    common.require_kind(model, "dcign", "dcign_chairs")
    out = common.start(workdir, "dcign_chairs")
    scenes = common.dcign_scenes(model, "chairs")
    params, factors = scenes.sample(num_test, seed=seed + 4000)
    images = scenes.images(params, factors)
    reconstructions = batched(lambda x: np.asarray(model.decode(model.encode(x))), images)
    mse = metrics.mse(reconstructions, images)
    traversal = dcign_traversals.run(
        model,
        workdir,
        family="chairs",
        num_images=num_images,
        num_reference=num_reference,
        seed=seed,
        name="traversals_chairs",
    )
    report = Report("DC-IGN on chairs (Kulkarni et al. 2015, 4.2)")
    report.table(
        ["", "paper", "ours"],
        [[f"test reconstruction MSE ({model.image_size}x{model.image_size})", PAPER_MSE, float(mse.mean())]],
    )
    report.paragraph(
        f"{num_test} unseen chairs; reconstruction = decoder(posterior mean); pixels in [0, 1]. "
        "The paper's images are 150x150 renders of real chair CAD models; ours are procedural chairs."
    )
    for p in traversal.figures:
        report.image(p, f"Fig 7: {p.stem}", relative_to=out)
    path = report.write(out / "report.md")
    return common.ExperimentResult(
        "dcign_chairs", path, {"test_mse": float(mse.mean()), "num_test": num_test}, traversal.figures
    )
