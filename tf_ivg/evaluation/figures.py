"""Matplotlib figure helpers; each writes one PNG atomically and returns its Path.

Shape key: H/W image height/width, C channels (1 or 3), K conditions, L layers, N points.
"""

import numpy as np

from tf_ivg.utils.files import atomic_path, to_uint8_image


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path, dpi=100):
    """Saves a matplotlib figure as PNG atomically and closes it."""
    plt = _pyplot()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    from pathlib import Path

    return Path(path)


def image_grid(path, rows, row_labels=None, col_labels=None, cell_inches=1.2, title=None):
    """A grid of images (like the papers' Figs 3, 5b, 6, 7).

    Args:
        rows: list of rows, each a list of images `[H, W]`, `[H, W, 1]` or `[H, W, 3]` in [0, 1]
            (`None` leaves a cell empty). Rows may differ in length.
        row_labels, col_labels: optional text per row / column.
    """
    plt = _pyplot()
    num_rows = len(rows)
    num_cols = max((len(r) for r in rows), default=0)
    if num_rows == 0 or num_cols == 0:
        raise ValueError("image_grid needs at least one image")
    fig, axes = plt.subplots(
        num_rows, num_cols, figsize=(cell_inches * num_cols, cell_inches * num_rows), squeeze=False
    )
    for r in range(num_rows):
        for c in range(num_cols):
            ax = axes[r][c]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            image = rows[r][c] if c < len(rows[r]) else None
            if image is not None:
                array = to_uint8_image(image)
                ax.imshow(array[..., 0] if array.shape[-1] == 1 else array, cmap="gray", vmin=0, vmax=255)
            if col_labels is not None and r == 0 and c < len(col_labels):
                ax.set_title(col_labels[c], fontsize=7)
            if row_labels is not None and c == 0 and r < len(row_labels):
                ax.set_ylabel(row_labels[r], fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    return save_figure(fig, path)


def layer_profile_plot(path, layers, conditions, values, errors=None, ylabel="relative mean SD", title=None):
    """Line plot of per-layer values for each condition (Grant et al. 2016 Figs 4a and 5a).

    Args:
        layers: L layer names (x axis); conditions: K names (one line each).
        values: `[K, L]`; errors: optional `[K, L]` error bars.
    """
    plt = _pyplot()
    values = np.asarray(values, dtype=np.float64)
    fig, ax = plt.subplots(figsize=(max(4.0, 0.6 * len(layers)), 3.0))
    x = np.arange(len(layers))
    for k, condition in enumerate(conditions):
        yerr = None if errors is None else np.asarray(errors)[k]
        ax.errorbar(x, values[k], yerr=yerr, marker="o", capsize=2, label=condition)
    ax.set_xticks(x)
    ax.set_xticklabels(layers, rotation=45, ha="right", fontsize=7)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title, fontsize=9)
    return save_figure(fig, path)


def scatter_plot(path, x, y, xlabel, ylabel, title=None):
    """Scatter of `[N]` against `[N]` (DC-IGN Fig 6: inferred latent against the true factor)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(3.2, 3.0))
    ax.scatter(np.asarray(x).reshape(-1), np.asarray(y).reshape(-1), s=6)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=9)
    return save_figure(fig, path)


def activation_maps(activations, max_maps=4):
    """Turns conv activations `[H, W, C]` (or a code `[Z]`) into displayable `[H', W']` images in [0, 1].

    Conv layers give their first `max_maps` channels side by side; a code is padded and reshaped
    into a square (Grant et al. 2016 Fig 4b's last row).
    """
    a = np.asarray(activations, dtype=np.float64)
    if a.ndim == 1:
        side = int(np.ceil(np.sqrt(a.size)))
        a = np.pad(a, (0, side * side - a.size)).reshape(side, side)
        maps = [a]
    elif a.ndim == 3:
        maps = [a[..., c] for c in range(min(max_maps, a.shape[-1]))]
    elif a.ndim == 4:  # volumetric feature maps: the middle z slice
        maps = [a[:, :, a.shape[2] // 2, c] for c in range(min(max_maps, a.shape[-1]))]
    else:
        raise ValueError(f"expected activations [Z], [H, W, C] or [D, D, D, C], got shape {a.shape}")
    out = []
    for m in maps:
        lo, hi = m.min(), m.max()
        out.append((m - lo) / (hi - lo) if hi > lo else np.zeros_like(m))
    return np.concatenate(out, axis=1)
