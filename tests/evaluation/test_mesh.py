import numpy as np
import pytest
import trimesh

from tf_ivg.evaluation.mesh import export_mesh, save_volume_mesh, volume_to_mesh


def _sphere(size=20, radius=0.4, centre=None):
    grid = np.mgrid[:size, :size, :size].astype(np.float64)
    centre = np.full(3, (size - 1) / 2.0) if centre is None else np.asarray(centre, np.float64)
    dist = np.sqrt(sum((grid[i] - centre[i]) ** 2 for i in range(3)))
    return (dist <= radius * size).astype(np.float32)


@pytest.mark.parametrize("suffix", ["obj", "ply", "glb"])
def test_solid_sphere_mesh_is_watertight_after_reading_back(tmp_path, suffix):
    volume = _sphere()
    path = tmp_path / f"sphere.{suffix}"
    save_volume_mesh(volume, path, threshold=0.01)
    loaded = trimesh.load(path, force="mesh")
    assert loaded.is_watertight
    assert loaded.volume == pytest.approx(volume.sum(), rel=0.1)  # marching cubes volume ~ voxel count
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_object_touching_the_border_is_closed_and_axes_follow_the_contract():
    volume = np.zeros((10, 10, 10), np.float32)
    volume[0:3, :, 7:] = 1.0  # top rows (small y), touching three borders, near the camera (large z)
    mesh = volume_to_mesh(volume)
    assert mesh.is_watertight and mesh.volume > 0
    centroid = mesh.centroid
    assert centroid[1] > 2.0  # top of the volume is +Y (up)
    assert centroid[2] > 2.0  # large z index is +Z (towards the viewer)
    assert abs(centroid[0]) < 0.5  # spans all columns


def test_empty_volume_and_bad_suffix(tmp_path):
    with pytest.raises(ValueError, match="threshold"):
        volume_to_mesh(np.zeros((4, 4, 4)))
    with pytest.raises(ValueError, match=".glb"):
        export_mesh(volume_to_mesh(_sphere(8)), tmp_path / "out.xyz")
    with pytest.raises(ValueError, match="volume"):
        volume_to_mesh(np.zeros((4, 4)))
