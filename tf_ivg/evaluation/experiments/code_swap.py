"""Grant et al. 2016, 4.9 (Fig 7): the shape code of one image with the transformation code of another,
decoded by the image decoder.

With the checkpoint's training config, both images are drawn as its training data's were (`ivg_chairs/volumes_30`:
the 8 azimuths), so the swap is asked only of poses the model was trained to read.
"""

import numpy as np

from tf_ivg.evaluation import figures
from tf_ivg.evaluation.experiments import common
from tf_ivg.evaluation.report import Report


def run(model, workdir, family="chairs", num_examples=6, seed=0, config=None):
    """Writes `workdir/code_swap/` (Fig 7: shape images, transformation images, decoded swaps).

    Args:
        model: a single-image VolumeIGN trained with both decoders (config chairs_volume), or checkpoint.
        config: its training config (a `tf-ivg train` workdir carries its own); without one, the full factor ranges.
    Returns:
        ExperimentResult with the MSE of each swap to the image of the shape source re-rendered in the
        transformation source's pose and lighting (available because our scenes are procedural), and `conditions`.
    """
    model, config = common.as_model_and_config(model, config)
    common.require_kind(model, "volume_ign", "code_swap")
    out = common.start(workdir, "code_swap")
    scenes, description, _ = common.training_conditions(model, config, family)
    shape_params, shape_factors = scenes.sample(num_examples, seed=seed + 1)
    pose_params, pose_factors = scenes.sample(num_examples, seed=seed + 2)
    shape_images = scenes.images(shape_params, shape_factors)
    pose_images = scenes.images(pose_params, pose_factors)
    target = scenes.images(shape_params, pose_factors)  # the ideal swap
    shape_code, _ = common.encode(model, shape_images)
    _, transformation_code = common.encode(model, pose_images)
    swapped = np.clip(np.asarray(model.render(shape_code, transformation_code)), 0.0, 1.0)
    error = np.square(swapped - target).reshape(num_examples, -1).mean(axis=1)
    fig = figures.image_grid(
        out / "code_swap.png",
        [list(shape_images), list(pose_images), list(swapped), list(target)],
        row_labels=["shape from", "pose from", "decoded", "ideal"],
    )
    report = Report("Swapping shape and transformation codes (Grant et al. 2016, 4.9, Fig 7)")
    report.image(
        fig,
        "rows: images giving the shape code; images giving the transformation code; image decoder output; "
        "the shape source rendered in the pose source's pose and light (not in the paper)",
        relative_to=out,
    )
    report.paragraph(f"Viewing conditions: {description}.")
    report.table(["example", "MSE to the ideal swap"], [[i, float(e)] for i, e in enumerate(error)])
    path = report.write(out / "report.md")
    return common.ExperimentResult(
        "code_swap", path, {"swap_mse": float(error.mean()), "conditions": description}, [fig]
    )
