"""Per-example metrics for volumes and images (numpy).

Shape key: B batch, D volume side, H/W image height/width, C channels. Every metric takes two
arrays of the same shape `[B, ...]` and returns `[B]` (one value per example), so paired
statistics can be computed on the result.
"""

import numpy as np

from tf_ivg.metrics import voxel_iou  # noqa: F401 (the one IoU, re-exported for the experiments)


def _pair(prediction, target):
    prediction = np.asarray(prediction, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if prediction.shape != target.shape:
        raise ValueError(f"prediction and target must have the same shape, got {prediction.shape} and {target.shape}")
    if prediction.ndim < 2:
        raise ValueError(f"expected batched arrays [B, ...] with at least 2 dims, got shape {prediction.shape}")
    return prediction.reshape(len(prediction), -1), target.reshape(len(target), -1)


def binarize(volume, threshold=0.01):
    """Occupancy mask of a predicted volume: `volume > threshold` (Grant et al. 2016 uses 0.01 for faces, 0.2 for chairs).

    Args:
        volume: any shape, e.g. `[D, D, D]` or `[B, D, D, D]`.
    Returns:
        bool array of the same shape.
    """
    return np.asarray(volume) > threshold


def mean_voxel_distance(prediction, target):
    """Grant et al.'s error (sections 4.3, 4.7): the mean over voxels of the voxel-wise Euclidean distance.

    Each voxel holds one scalar, so its Euclidean distance is `|prediction - target|`; the score is the
    mean of that over all voxels of a volume (the mean absolute error).

    Args:
        prediction, target: `[B, D, D, D]` (or `[B, D, D, D, 1]`).
    Returns:
        `[B]` float64.
    """
    prediction, target = _pair(prediction, target)
    return np.abs(prediction - target).mean(axis=1)


def mse(prediction, target):
    """Mean squared error per example (DC-IGN's chairs test score). `[B, ...]` -> `[B]`."""
    prediction, target = _pair(prediction, target)
    return np.square(prediction - target).mean(axis=1)
