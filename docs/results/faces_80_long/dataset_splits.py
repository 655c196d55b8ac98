"""VolumeIGN vs the mean training volume on the `ivg_faces/volumes_80` validation and test splits.

Usage: python docs/results/faces_80_long/dataset_splits.py CHECKPOINT.keras DATA_DIR > dataset_splits.json
(volume MSE and voxel IoU at 0.5, [mean, SD] over each split; the mean volume of 2,000 training volumes).
"""
import json
import sys

import keras
import numpy as np

import tf_ivg.models  # noqa: F401  (registers VolumeIGN)
from tf_ivg.data.pipelines import volume_pairs
from tf_ivg.models.volume_ign import voxel_iou
checkpoint, data_dir = sys.argv[1], sys.argv[2]
m = keras.models.load_model(checkpoint)
def arr(split, n=None):
    ds = volume_pairs("ivg_faces/volumes_80", split, data_dir=data_dir)
    if n: ds = ds.take(n)
    xs, vs = [], []
    for x, v in ds.batch(50):
        xs.append(x.numpy()); vs.append(v.numpy())
    return np.concatenate(xs), np.concatenate(vs)
_, train_v = arr("train", 2000)
mean = train_v.mean(0)
out = {}
for split in ("validation", "test"):
    x, v = arr(split)
    pred = np.concatenate([m.reconstruct(x[i:i+50]).numpy() for i in range(0, len(x), 50)])
    mse = ((pred - v) ** 2).mean((1, 2, 3)); iou = voxel_iou(pred, v).numpy()
    mm = ((mean[None] - v) ** 2).mean((1, 2, 3)); miou = voxel_iou(np.broadcast_to(mean, v.shape), v).numpy()
    out[split] = {"n": len(x), "model_mse": [float(mse.mean()), float(mse.std())], "model_iou": [float(iou.mean()), float(iou.std())],
                  "mean_volume_mse": [float(mm.mean()), float(mm.std())], "mean_volume_iou": [float(miou.mean()), float(miou.std())]}
print(json.dumps(out, indent=1))
