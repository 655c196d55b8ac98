"""Latent traversal grids (DC-IGN Figs 4, 5, 7): layout, values and atomic PNG output."""

import numpy as np
import pytest
from PIL import Image

from tests.models.dcign_helpers import shifting_square_group, tiny_dcign
from tf_ivg.evaluation.traversals import save_traversals, traversal_grid


def test_grid_layout_matches_rerender():
    model = tiny_dcign()
    images = shifting_square_group()[:2]
    values = [-1.0, 0.5, 2.0]
    grid = traversal_grid(model, images, "azimuth", values, pad=2)
    assert grid.shape == (2 * 18 - 2, 4 * 18, 1)
    rendered = model.rerender(images, "azimuth", values).numpy()
    for b in range(2):
        top = b * 18
        np.testing.assert_array_equal(grid[top : top + 16, :16], images[b])
        for v in range(3):
            left = (v + 1) * 18 + 2
            np.testing.assert_allclose(grid[top : top + 16, left : left + 16], rendered[b, v])
    assert np.all(grid[16:18] == 1.0)  # white gap between rows


def test_save_traversals_writes_pngs(tmp_path):
    model = tiny_dcign()
    images = shifting_square_group()[:3]
    paths = save_traversals(model, images, tmp_path / "figs", values=np.linspace(-2, 2, 5))
    assert sorted(paths) == ["azimuth", "elevation", "light"]
    for factor, path in paths.items():
        assert path.name == f"traversal_{factor}.png"
        with Image.open(path) as png:
            assert png.size == (6 * 18, 3 * 18 - 2) and png.mode == "L"
    assert sorted(p.name for p in (tmp_path / "figs").iterdir()) == [
        "traversal_azimuth.png",
        "traversal_elevation.png",
        "traversal_light.png",
    ]  # no temp files left


def test_bad_inputs():
    model = tiny_dcign()
    with pytest.raises(ValueError, match=r"\[B, S, S, C\]"):
        traversal_grid(model, np.zeros((16, 16, 1)), "azimuth")
    with pytest.raises(ValueError, match="at least one"):
        traversal_grid(model, shifting_square_group()[:1], "azimuth", [])
