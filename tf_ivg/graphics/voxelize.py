"""Voxelizer: occupancy of a family's SDF on a grid in the object's canonical (frontal) frame.

Shape key: B objects, D volume side, P family parameters. Output layout follows docs/CONTRACTS.md:
volume[y, x, z] with y running down (image rows), x across, z towards the camera, covering
[-1, 1]^3 at voxel centres, so volume.max(axis=2) is the frontal orthographic silhouette.
"""

import functools

import numpy as np
import tensorflow as tf

from tf_ivg.graphics import families


def grid_points(volume_size):
    """Voxel-centre coordinates in [y, x, z] index order. -> [D^3, 3] (x, y, z) float32."""
    c = (np.arange(volume_size) + 0.5) / volume_size * 2.0 - 1.0
    y, x, z = np.meshgrid(-c, c, c, indexing="ij")
    return np.stack([x, y, z], -1).reshape(-1, 3).astype(np.float32)


@functools.cache
def _compiled(family_name, volume_size, shell, mode):
    family = families.get(family_name)
    pts = grid_points(volume_size)
    half_voxel = 1.0 / volume_size

    def fn(params, pts):
        # pts is an argument, not a constant: XLA would spend minutes constant-folding the grid.
        b = tf.shape(params)[0]
        d = family.sdf(tf.broadcast_to(pts[None], [b, tf.shape(pts)[0], 3]), params)
        occ = d <= 0.0
        if shell:  # surface voxels: inside and within about one voxel of the surface
            occ = tf.logical_and(occ, d > -2.0 * half_voxel * np.sqrt(3.0))
        return tf.reshape(tf.cast(occ, tf.uint8), [b, volume_size, volume_size, volume_size])

    if mode != "eager":
        fn = tf.function(fn, jit_compile=(mode == "xla"))
    return lambda params: fn(params, pts)


SMALL_POINTS = 400_000


def voxelize(family, params, volume_size, shell=False, mode="auto", batch_size=8):
    """Occupancy volumes. params [B, P] -> uint8 numpy [B, D, D, D] in {0, 1}.

    shell=True keeps only a surface shell about one voxel thick instead of the solid.
    mode: "xla", "graph", "eager" or "auto" (eager below SMALL_POINTS grid points in all, else XLA).
    """
    if not isinstance(volume_size, (int, np.integer)) or volume_size <= 0:
        raise ValueError(f"volume_size must be a positive int, got {volume_size!r}")
    params = np.asarray(params, np.float32)
    b = params.shape[0]
    if mode == "auto":
        mode = "eager" if b * volume_size**3 < SMALL_POINTS else "xla"
    if mode not in ("xla", "graph", "eager"):
        raise ValueError(f"mode must be 'auto', 'xla', 'graph' or 'eager', got {mode!r}")
    fn = _compiled(family, int(volume_size), bool(shell), mode)
    out = []
    for s in range(0, b, batch_size):
        chunk = params[s : s + batch_size]
        n = chunk.shape[0]
        if mode == "xla" and n < batch_size:  # one compiled shape per volume size
            chunk = np.concatenate([chunk, np.repeat(chunk[-1:], batch_size - n, 0)])
        out.append(fn(chunk).numpy()[:n])
    if not out:
        return np.zeros((0,) + (volume_size,) * 3, np.uint8)
    return np.concatenate(out)
