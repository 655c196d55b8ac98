"""VolumeIGN's per-example loss, `per_example_mse`, of both decoders. Shape key: B batch.

The volume decoder's MSE and IoU are taken on its output, `[B, D, D, D]`, in training and inference alike
(`VolumeIGN._volume_terms`). A fused version in the output layer's sub-voxel layout (2026-12-02) saved
2-5% of a training step and was removed (`benchmarks/BENCHMARKS.md`).
"""

from keras import ops


def per_example_mse(predicted, target):
    """`[B, ...]`, `[B, ...]` -> `[B]` mean squared error over all but the batch axis (float32)."""
    diff = ops.cast(predicted, "float32") - ops.cast(target, "float32")
    return ops.mean(ops.square(ops.reshape(diff, (ops.shape(diff)[0], -1))), axis=1)
