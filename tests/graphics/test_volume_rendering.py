import math

import numpy as np
from PIL import Image

from tf_ivg.graphics.volume_rendering import render_views, render_volume, save_volume_render


def _occupied(image):
    return image.min(axis=-1) < 0.97  # background is white


def test_sphere_silhouette_is_a_centred_disc():
    size = 16
    grid = np.mgrid[:size, :size, :size] - (size - 1) / 2.0
    sphere = (np.sqrt((grid**2).sum(0)) <= 0.35 * size).astype(np.float32)
    image = render_volume(sphere, image_size=32, extent=1.0)
    assert image.shape == (32, 32, 3) and np.all(np.isfinite(image))
    mask = _occupied(image)
    assert mask[16, 16] and not mask[0, 0] and not mask[31, 31]
    area = mask.mean()
    assert abs(area - math.pi * 0.35**2) < 0.06  # disc of radius 0.35 of the frame side


def test_viewpoint_convention():
    volume = np.zeros((16, 16, 16), np.float32)
    volume[:, :, 10:] = 1.0  # slab near the camera in the frontal view (large z)
    frontal = _occupied(render_volume(volume, image_size=16, extent=1.0))
    assert frontal.mean() > 0.9
    side = _occupied(render_volume(volume, azimuth=math.pi / 2, image_size=16, extent=1.0))
    # camera on +X: image right is -Z, so the near (+Z) slab shows on the left
    assert side[:, :5].mean() > 0.9 and side[:, 11:].mean() < 0.1
    volume = np.zeros((16, 16, 16), np.float32)
    volume[:4] = 1.0  # top rows
    top = _occupied(render_volume(volume, image_size=16, extent=1.0))
    assert top[:3].mean() > 0.9 and top[6:].mean() < 0.1


def test_views_and_png(tmp_path):
    volume = np.zeros((8, 8, 8), np.float32)
    volume[2:6, 2:6, 2:6] = 1
    views = render_views(volume, [(0.0, 0.0), (0.5, 0.3), (-1.0, 0.0)], image_size=12)
    assert views.shape == (3, 12, 12, 3)
    path = save_volume_render(tmp_path / "v.png", volume, azimuth=0.3, image_size=12)
    assert Image.open(path).size == (12, 12)
