"""Image/volume consistency: does an object's volume, rendered in its image's pose, cover the same
pixels as the image? Used by the tests (`tests/graphics/test_sphere_tracing.py`) and the data benchmark
(`benchmarks/data_generation.py --only iou`).

Shape key: N objects, S image side, D volume side, P family parameters.
"""

import numpy as np


def silhouette_iou(a, b):
    """Per-example IoU of two boolean masks `[N, S, S]` -> `[N]`; an empty union scores 0."""
    return (a & b).sum((1, 2)) / np.maximum((a | b).sum((1, 2)), 1)


def ids_per_style(per_style, start=0, pool=300):
    """Chair ids: the first `per_style` ids of every style among `start .. start + pool - 1` -> `[6 * per_style]`."""
    from tf_ivg.data import factors
    from tf_ivg.graphics import chairs

    candidates = np.arange(start, start + pool)
    coeffs, _ = factors.identity_coefficients("chairs", candidates)
    return np.concatenate(
        [candidates[np.flatnonzero(coeffs["style"] == k)[:per_style]] for k in range(len(chairs.STYLES))]
    )


def silhouette_check(family, ids, volume_size, image_size=64, seed=0, interpolations=("trilinear",)):
    """Renders objects `ids` in random poses and voxelizes them, then scores each volume's silhouette
    in the image's pose against the image's.

    Returns:
      dict with `mask [N, S, S]` (image silhouettes), `volumes [N, D, D, D]`, `azimuth`, `elevation`
      `[N]` (the poses, drawn from the family's ranges with `seed`) and `iou`: `{interpolation: [N]}`.
    """
    from tf_ivg.data import factors
    from tf_ivg.graphics import sphere_tracing, voxelize

    ids = np.asarray(ids)
    n = len(ids)
    rng = np.random.default_rng(seed)
    _, params = factors.identity_coefficients(family, ids)
    azimuth = rng.uniform(*factors.RANGES[family]["azimuth"], n)
    elevation = rng.uniform(*factors.RANGES[family]["elevation"], n)
    _, mask = sphere_tracing.render(
        family, params, azimuth, elevation, np.zeros(n), np.full(n, 0.3), image_size, mode="graph"
    )
    volumes = voxelize.voxelize(family, params, volume_size, mode="graph")
    iou = {
        interpolation: silhouette_iou(
            mask,
            sphere_tracing.render_volume_silhouette(
                volumes, azimuth, elevation, image_size, family=family, interpolation=interpolation
            ),
        )
        for interpolation in interpolations
    }
    return {"mask": mask, "volumes": volumes, "azimuth": azimuth, "elevation": elevation, "iou": iou}
