"""Volume metrics shared by training (Keras metrics of VolumeIGN), the shipped models' records and the
experiments.

Shape key: B batch, N examples, S image side, D volume side.

- `voxel_iou(predicted, target, threshold, target_threshold)`: `[B, ...]` -> `[B]` intersection over union.
  Written with `keras.ops`, so it runs inside a compiled training step; given numpy arrays it returns numpy.
- `score_volumes(model, images, volumes, mean_volume, threshold)`: volume MSE and voxel IoU of a
  VolumeIGN's predictions beside the mean-volume baseline (always predicting the mean training volume).
"""

import numpy as np
from keras import ops


def voxel_iou(predicted, target, threshold=0.5, target_threshold=0.5):
    """Per-example intersection over union of occupied voxels.

    Args:
      predicted: `[B, D, D, D]` (or any `[B, ...]`) predicted occupancy; occupied where `> threshold`.
      target: the same shape; occupied where `> target_threshold` (targets are in {0, 1}).

    Returns:
      `[B]` IoU in [0, 1]; 1 where both are empty. A numpy array when both inputs are numpy arrays,
      else a tensor.
    """
    if not _compatible(predicted.shape, target.shape):
        raise ValueError(f"predicted and target must have the same shape; got {predicted.shape} and {target.shape}")
    if len(predicted.shape) < 2:
        raise ValueError(f"expected batched volumes [B, ...] with at least 2 dims; got shape {predicted.shape}")
    batch = ops.shape(predicted)[0]
    p = ops.reshape(ops.cast(predicted > threshold, "float32"), (batch, -1))
    t = ops.reshape(ops.cast(target > target_threshold, "float32"), (batch, -1))
    # Counts of 0/1 values: exact in float32 below 2^24 voxels, however they are summed.
    intersection = ops.einsum("bn,bn->b", p, t)
    union = ops.sum(p, axis=1) + ops.sum(t, axis=1) - intersection
    iou = ops.where(union > 0, intersection / ops.maximum(union, 1.0), ops.ones_like(union))
    if isinstance(predicted, np.ndarray) and isinstance(target, np.ndarray):
        return ops.convert_to_numpy(iou)
    return iou


def _compatible(a, b):
    """Shapes equal wherever both are known (graph tensors may have unknown sides)."""
    a, b = tuple(a), tuple(b)
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


def score_volumes(model, images, volumes, mean_volume, threshold=0.5, batch_size=32):
    """Test figures of a VolumeIGN beside the mean-volume baseline.

    Args:
      model: a VolumeIGN (`model.predict(images)` -> volumes).
      images: `[N, S, S, C]` (or `[N, T, S, S, C]`); volumes: `[N, D, D, D]` in {0, 1}.
      mean_volume: `[D, D, D]`, the mean training volume.
      threshold: occupancy threshold of the predictions for the IoU (targets are binarised at 0.5).

    Returns:
      dict with `examples`, `threshold`, and for "model" and "mean_volume_baseline" the mean and SD over
      examples of `volume_mse` and `voxel_iou`.
    """
    volumes = np.asarray(volumes, np.float32)
    predicted = np.asarray(model.predict(np.asarray(images, np.float32), batch_size=batch_size, verbose=0))
    baseline = np.broadcast_to(np.asarray(mean_volume, np.float32), volumes.shape)
    out = {"examples": int(len(volumes)), "threshold": float(threshold)}
    for name, prediction in (("model", predicted), ("mean_volume_baseline", baseline)):
        mse = np.square(prediction.reshape(len(volumes), -1) - volumes.reshape(len(volumes), -1)).mean(axis=1)
        iou = voxel_iou(np.ascontiguousarray(prediction), volumes, threshold=threshold)
        out[name] = {
            "volume_mse": round(float(mse.mean()), 5),
            "volume_mse_sd": round(float(mse.std()), 5),
            "voxel_iou": round(float(iou.mean()), 4),
            "voxel_iou_sd": round(float(iou.std()), 4),
        }
    return out
