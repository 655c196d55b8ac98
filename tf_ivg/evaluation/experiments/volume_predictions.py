"""Grant et al. 2016, 4.2 (and 4.8 for chairs): volume predictions from single images, with meshes.

Fig 3a rows: input, prediction from 3 viewpoints, ground truth from the same viewpoints, the
nearest training image (pixel-wise) and its ground truth. Fig 3b: the same face in 5 poses and the
predicted volumes, all seen frontally. Fig 3c: the same face under 5 lightings. Each test
prediction is binarised (0.01 for faces, 0.2 for chairs) and meshed by marching cubes.

With the checkpoint's training config, the test pairs, the nearest-neighbour database (its real training
images) and the pose and lighting rows follow its training distribution
(`tf_ivg.evaluation.training_distribution`; for `ivg_faces/volumes_80`, the paper's 5 azimuths and 3 ambient
levels); without one, random scenes over the family's full factor ranges.

Shape key: N examples, S image side, D volume side.
"""

import numpy as np

from tf_ivg.evaluation import figures, metrics
from tf_ivg.evaluation.experiments import common
from tf_ivg.evaluation.mesh import MESH_FORMATS, save_volume_mesh
from tf_ivg.evaluation.nearest_neighbour import nearest_neighbours
from tf_ivg.evaluation.report import Report
from tf_ivg.evaluation.training_distribution import from_config

PAPER = {"faces": "Fig 3 (a-c)", "chairs": "Fig 6"}


def run(
    model,
    workdir,
    family="faces",
    num_examples=4,
    num_train=None,
    threshold=None,
    mesh_format="glb",
    render_size=64,
    seed=0,
    name=None,
    config=None,
    database=None,
):
    """Writes the figures, meshes and a report into `workdir/<name>/`.

    Args:
        model: a VolumeIGN (or a checkpoint path).
        family: "faces" (paper 4.2, threshold 0.01) or "chairs" (4.8, threshold 0.2).
        num_examples: test rows of the Fig 3a grid (also meshed).
        num_train: training images searched for each input's nearest neighbour (None: all of the training
            config's, or 200 random scenes without one).
        threshold: binarisation threshold (None: the paper's for the family).
        mesh_format: "glb", "obj", "ply" or "stl".
        config: the model's training config (a checkpoint path carries its own).
        database: with a config, its `training_database(num_train)` if the caller already rendered it.
    Returns:
        ExperimentResult with mean voxel distance and IoU of the shown examples.
    """
    model, config = common.as_model_and_config(model, config)
    common.require_kind(model, "volume_ign", "volume_predictions")
    if mesh_format not in MESH_FORMATS:
        raise ValueError(f"mesh_format must be one of {MESH_FORMATS}, got {mesh_format!r}")
    threshold = (0.2 if family == "chairs" else 0.01) if threshold is None else float(threshold)
    name = name or ("chairs" if family == "chairs" else "volume_predictions")
    out = common.start(workdir, name)
    if model.frames != 1:
        raise ValueError("volume_predictions needs a single-image model (frames == 1)")
    if config is not None:
        distribution = from_config(config, model)
        scenes, conditions = distribution.scenes(), distribution.description
        images, volumes, _ = distribution.spread_test_pairs(num_examples, seed=seed)
        train_ids, train_images = database or distribution.training_database(num_train)
        neighbour, _ = nearest_neighbours(images, train_images)
        neighbour_volumes = distribution.volumes_of(train_ids[neighbour])
    else:
        scenes = common.volume_scenes(model, family)
        conditions = f"{family}: the full factor ranges (no training config)"
        images, volumes, _ = scenes.pairs(num_examples, seed=seed + 1000)
        train_params, train_factors = scenes.sample(num_train or 200, seed=seed + 2000)
        train_images = scenes.images(train_params, train_factors)
        neighbour, _ = nearest_neighbours(images, train_images)
        neighbour_volumes = scenes.volumes(train_params[neighbour])
    predictions = common.reconstruct(model, images)

    views = lambda v, color=(0.85, 0.85, 0.85): common.volume_views(v, threshold, image_size=render_size, color=color)  # noqa: E731
    rows = []
    for i in range(num_examples):
        rows.append(
            [images[i]]
            + views(predictions[i], (0.95, 0.95, 0.7))
            + views(volumes[i], (0.5, 0.5, 0.5))
            + [train_images[neighbour[i]]]
            + views(neighbour_volumes[i], (0.55, 0.65, 0.95))
        )
    cols = [
        "input",
        "pred 1",
        "pred 2",
        "pred 3",
        "truth 1",
        "truth 2",
        "truth 3",
        "nearest",
        "nn truth 1",
        "nn truth 2",
        "nn truth 3",
    ]
    fig_a = figures.image_grid(out / "predictions.png", rows, col_labels=cols)

    figs = [fig_a]
    noun = "chair" if family == "chairs" else "face"
    for condition, label in (
        ("pose", f"same {noun}, different poses"),
        ("lighting", f"same {noun}, different lighting"),
    ):
        batch, factors = scenes.vary(condition, 5, seed=seed + 3000)
        if condition == "pose":
            order = np.argsort(factors["azimuth"])
            batch = batch[order]
        predicted = common.reconstruct(model, batch)
        row_volumes = [
            common.volume_views(v, threshold, views=((0.0, 0.0),), image_size=render_size)[0] for v in predicted
        ]
        figs.append(
            figures.image_grid(
                out / f"{condition}.png", [list(batch), row_volumes], row_labels=["input", "volume"], title=label
            )
        )

    meshes, empty = [], []
    for i in range(num_examples):
        path = out / f"prediction_{i}.{mesh_format}"
        try:
            save_volume_mesh(predictions[i], path, threshold=threshold)
            meshes.append(path)
        except ValueError:
            empty.append(i)
        save_volume_mesh(volumes[i], out / f"truth_{i}.{mesh_format}", threshold=0.5)

    distance = metrics.mean_voxel_distance(predictions, volumes)
    iou = metrics.voxel_iou(predictions, volumes, threshold=threshold)
    nn_distance = metrics.mean_voxel_distance(neighbour_volumes, volumes)
    result_metrics = {
        "threshold": threshold,
        "num_examples": num_examples,
        "mean_voxel_distance": float(distance.mean()),
        "nearest_neighbour_mean_voxel_distance": float(nn_distance.mean()),
        "voxel_iou": float(iou.mean()),
        "meshes": len(meshes),
        "empty_predictions": empty,
        "num_train": len(train_images),
        "conditions": conditions,
    }

    report = Report(f"Volume predictions from single images ({family}; Grant et al. 2016 {PAPER[family]})")
    report.paragraph(
        f"Training distribution: {conditions}. {num_examples} held-out test images of it; predictions binarised "
        f"at {threshold}; nearest neighbour searched pixel-wise among {len(train_images)} training images."
    )
    report.table(
        ["example", "mean voxel distance", "IoU", "nearest-neighbour distance"],
        [[i, float(distance[i]), float(iou[i]), float(nn_distance[i])] for i in range(num_examples)],
    )
    for fig, caption in zip(
        figs,
        [
            "Fig 3a / 6: input, prediction (3 views), ground truth (3 views), nearest neighbour, its ground truth",
            f"Fig 3b: the same {noun} in different poses (volumes seen frontally)",
            f"Fig 3c: the same {noun} under different lighting (volumes seen frontally)",
        ],
    ):
        report.image(fig, caption, relative_to=out)
    report.paragraph(
        "Meshes (marching cubes): " + ", ".join(p.name for p in meshes)
        if meshes
        else "No prediction had a voxel above the threshold, so no mesh was written."
    )
    if empty:
        report.paragraph(f"Empty predictions at threshold {threshold} (no mesh): examples {empty}.")
    path = report.write(out / "report.md")
    return common.ExperimentResult(name, path, result_metrics, figs + meshes)
