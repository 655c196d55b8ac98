"""Relative mean standard deviation of activations per layer (Grant et al. 2016, Figs 4a and 5a).

For each condition (batches where only shape, only pose or only lighting changes) and each layer:
the SD of every unit across the batch, averaged over units (the batch's "mean SD"), then averaged
over batches (the set-wise mean). "Relative" divides each layer's values by their sum over the
conditions, so the conditions' shares at a layer add up to 1 and layers of any scale compare.

Shape key: B batch, L layers, K conditions.
"""

import dataclasses

import numpy as np


def batch_mean_sd(activations):
    """Mean over units of the SD across the batch. `[B, ...]` -> float."""
    activations = np.asarray(activations, dtype=np.float64)
    if activations.ndim < 2 or activations.shape[0] < 2:
        raise ValueError(f"expected a batch of at least 2 activations [B, ...], got shape {activations.shape}")
    return float(activations.reshape(len(activations), -1).std(axis=0).mean())


@dataclasses.dataclass
class InvarianceProfile:
    """Per-condition, per-layer mean SD. Arrays are `[K, L]` (rows follow `conditions`, columns `layers`)."""

    conditions: list
    layers: list
    mean_sd: np.ndarray  # set-wise mean of the batch mean SDs
    sd_of_mean_sd: np.ndarray  # SD over batches (the paper's error bars)
    relative: np.ndarray  # mean_sd divided by its sum over conditions
    relative_error: np.ndarray  # sd_of_mean_sd scaled by the same factor

    def table_rows(self):
        """Rows `[layer, relative per condition...]` for a report table."""
        return [
            [layer] + [float(self.relative[k, i]) for k in range(len(self.conditions))]
            for i, layer in enumerate(self.layers)
        ]


def invariance_profile(batches_by_condition):
    """Computes the profile from activations.

    Args:
        batches_by_condition: `{condition: iterable of {layer: [B, ...] activations}}`, e.g.
            `{"shape": [...], "pose": [...], "lighting": [...]}`; every batch must hold the same layers.
    Returns:
        InvarianceProfile.
    """
    conditions = list(batches_by_condition)
    if not conditions:
        raise ValueError("need at least one condition")
    layers = None
    per_condition = []
    for condition in conditions:
        values = {}
        for batch in batches_by_condition[condition]:
            if layers is None:
                layers = list(batch)
            if list(batch) != layers:
                raise ValueError(f"batch layers {list(batch)} differ from {layers}")
            for layer in layers:
                values.setdefault(layer, []).append(batch_mean_sd(batch[layer]))
        if not values:
            raise ValueError(f"condition {condition!r} has no batches")
        per_condition.append(values)
    mean_sd = np.array([[np.mean(v[layer]) for layer in layers] for v in per_condition])
    sd = np.array([[np.std(v[layer]) for layer in layers] for v in per_condition])
    total = mean_sd.sum(axis=0, keepdims=True)
    scale = np.divide(1.0, total, out=np.zeros_like(total), where=total > 0)
    return InvarianceProfile(conditions, layers, mean_sd, sd, mean_sd * scale, sd * scale)
