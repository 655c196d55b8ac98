"""VolumeIGN vs the mean training volume on the `ivg_faces/volumes_80` validation and test splits.

Usage: python docs/results/faces_80_long/dataset_splits.py CHECKPOINT.keras DATA_DIR > dataset_splits.json
(volume MSE and voxel IoU at 0.5, [mean, SD] over each split; the mean volume of 2,000 training volumes).
"""

import json
import sys

import keras
import numpy as np

from tf_ivg.data.pipelines import volume_pairs
from tf_ivg.models.volume_ign import per_example_mse, voxel_iou

BATCH = 50


def load_split(split, data_dir, limit=None):
    """`(images [N, 80, 80, 3], volumes [N, 80, 80, 80])` of one split (its first `limit` pairs)."""
    ds = volume_pairs("ivg_faces/volumes_80", split, data_dir=data_dir)
    if limit:
        ds = ds.take(limit)
    batches = [(x.numpy(), v.numpy()) for x, v in ds.batch(BATCH)]
    return np.concatenate([x for x, _ in batches]), np.concatenate([v for _, v in batches])


def mean_sd(values):
    values = np.asarray(values)
    return [float(values.mean()), float(values.std())]


def main(checkpoint, data_dir):
    model = keras.models.load_model(checkpoint)
    mean_volume = load_split("train", data_dir, limit=2000)[1].mean(0)
    report = {}
    for split in ("validation", "test"):
        images, volumes = load_split(split, data_dir)
        predicted = np.concatenate(
            [model.reconstruct(images[i : i + BATCH]).numpy() for i in range(0, len(images), BATCH)]
        )
        baseline = np.broadcast_to(mean_volume, volumes.shape)
        report[split] = {
            "n": len(images),
            "model_mse": mean_sd(per_example_mse(predicted, volumes)),
            "model_iou": mean_sd(voxel_iou(predicted, volumes)),
            "mean_volume_mse": mean_sd(per_example_mse(baseline, volumes)),
            "mean_volume_iou": mean_sd(voxel_iou(baseline, volumes)),
        }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main(*sys.argv[1:3])
