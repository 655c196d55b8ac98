"""Latent traversal grids for DC-IGN (Kulkarni et al. 2015, Figs 4, 5, 7), saved as PNG atomically.

Shape key: B images, S image side, C channels (1), V traversal values.

A grid has one row per input image: the input itself, a gap, then the image re-rendered with
one latent set to each of the V values (all other latents at the encoder's posterior mean).
"""

from pathlib import Path

import numpy as np

from tf_ivg.utils.files import save_png

DEFAULT_VALUES = tuple(np.linspace(-3.0, 3.0, 7))
DEFAULT_FACTORS = ("azimuth", "elevation", "light")


def traversal_grid(model, images, factor, values=DEFAULT_VALUES, pad=2):
    """Renders the traversal of one latent as a single image.

    Args:
      model: a `tf_ivg.models.DCIGN` (anything with `rerender(images, factor, values)` -> `[B, V, S, S, C]`).
      images: `[B, S, S, C]` float in [0, 1].
      factor: a factor name ("azimuth", ...) or a latent index.
      values: `[V]` latent values.
      pad: pixels of white between cells (and twice that after the input column).

    Returns:
      `[B * (S + pad) - pad, (V + 1) * (S + pad), C]` float32 in [0, 1].
    """
    images = np.asarray(images, np.float32)
    if images.ndim != 4:
        raise ValueError(f"expected images [B, S, S, C]; got shape {images.shape}")
    values = np.asarray(values, np.float32).reshape(-1)
    if values.size == 0:
        raise ValueError("values must hold at least one latent value")
    rendered = np.asarray(model.rerender(images, factor, values), np.float32)  # [B, V, S, S, C]
    batch, size, channels = images.shape[0], images.shape[1], images.shape[-1]
    cols = values.size + 1
    step = size + pad
    height = batch * step - pad
    width = cols * step  # one extra gap of `pad` separates the inputs from the renders
    grid = np.ones((height, width, channels), np.float32)
    for b in range(batch):
        top = b * step
        grid[top : top + size, :size] = images[b]
        for v in range(values.size):
            left = (v + 1) * step + pad
            grid[top : top + size, left : left + size] = rendered[b, v]
    return grid


def save_traversal(path, model, images, factor, values=DEFAULT_VALUES, pad=2):
    """Writes `traversal_grid(...)` to `path` as a PNG (atomically). Returns the Path."""
    return save_png(Path(path), traversal_grid(model, images, factor, values, pad))


def save_traversals(model, images, out_dir, factors=DEFAULT_FACTORS, values=DEFAULT_VALUES, prefix="traversal"):
    """One PNG per factor: `<out_dir>/<prefix>_<factor>.png`.

    Returns:
      `{factor: Path}`.
    """
    out_dir = Path(out_dir)
    return {str(f): save_traversal(out_dir / f"{prefix}_{f}.png", model, images, f, values) for f in factors}
