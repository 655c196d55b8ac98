"""Volume -> triangle mesh by marching cubes, written as OBJ, PLY, GLB or STL (trimesh).

Volumes follow docs/CONTRACTS.md: `volume[y, x, z]`, y down the image rows, x across the columns,
z towards the camera in the frontal view. Meshes use right-handed world coordinates X = x (right),
Y = -y (up), Z = z (towards the viewer), in voxel units centred on the volume, so a viewer opening
the file sees the object frontally.

Shape key: D volume side.
"""

import numpy as np

from tf_ivg.evaluation.metrics import binarize
from tf_ivg.utils.files import atomic_path

MESH_FORMATS = ("obj", "ply", "glb", "stl")


def volume_to_mesh(volume, threshold=0.01, smooth=False):
    """Binarises `volume > threshold` and extracts its surface with marching cubes.

    The mask is padded with one empty voxel on every side so objects touching the border still
    give closed (watertight) surfaces.

    Args:
        volume: `[D, D, D]` (or `[D, D, D, 1]`) occupancy or prediction.
        threshold: binarisation threshold (Grant et al. 2016: 0.01 for faces, 0.2 for chairs).
        smooth: apply a few steps of Laplacian (Taubin) smoothing, like the paper's smoothed patches.
    Returns:
        trimesh.Trimesh with outward-facing normals.
    """
    import trimesh
    from skimage import measure

    volume = np.asarray(volume)
    if volume.ndim == 4 and volume.shape[-1] == 1:
        volume = volume[..., 0]
    if volume.ndim != 3:
        raise ValueError(f"expected a volume [D, D, D] or [D, D, D, 1], got shape {volume.shape}")
    mask = binarize(volume, threshold)
    if not mask.any():
        raise ValueError(
            f"no voxel is above the threshold {threshold}: nothing to mesh (max value {float(volume.max()):.4g})"
        )
    padded = np.pad(mask.astype(np.float32), 1)
    verts, faces, _, _ = measure.marching_cubes(padded, level=0.5)
    verts = verts - 1.0  # undo the padding offset: vertices in voxel index units (y, x, z)
    centre = (np.array(mask.shape, dtype=np.float64) - 1.0) / 2.0
    y, x, z = (verts - centre).T
    world = np.stack([x, -y, z], axis=1)  # a swap and a flip: handedness, hence winding, is kept
    mesh = trimesh.Trimesh(vertices=world, faces=faces, process=True)
    if smooth:
        trimesh.smoothing.filter_taubin(mesh, iterations=10)
    if mesh.is_watertight and mesh.volume < 0:
        mesh.invert()
    return mesh


def export_mesh(mesh, path):
    """Writes `mesh` atomically; the format comes from the suffix (.obj, .ply, .glb, .stl). Returns the Path."""
    from pathlib import Path

    path = Path(path)
    file_type = path.suffix.lower().lstrip(".")
    if file_type not in MESH_FORMATS:
        raise ValueError(f"mesh path must end in one of {', '.join('.' + f for f in MESH_FORMATS)}, got {path.name!r}")
    with atomic_path(path) as tmp:
        mesh.export(tmp, file_type=file_type)
    return path


def save_volume_mesh(volume, path, threshold=0.01, smooth=False):
    """`volume_to_mesh` then `export_mesh`. Returns the mesh."""
    mesh = volume_to_mesh(volume, threshold=threshold, smooth=smooth)
    export_mesh(mesh, path)
    return mesh
