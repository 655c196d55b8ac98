"""`tf_ivg.metrics`: the one voxel IoU (numpy in, numpy out; tensors in graphs) and `score_volumes`."""

import numpy as np
import pytest
import tensorflow as tf

from tf_ivg.metrics import score_volumes, voxel_iou


def test_voxel_iou_known_answer_numpy_and_tensor():
    prediction = np.zeros((3, 2, 2, 2))
    target = np.zeros((3, 2, 2, 2))
    prediction[0, 0, 0, :] = 0.9  # 2 voxels; the target has 1 of them and 1 other
    target[0, 0, 0, 0] = target[0, 1, 1, 1] = 1.0
    prediction[1, 0, 0, 0] = 0.9  # disjoint
    target[1, 1, 0, 0] = 1.0
    iou = voxel_iou(prediction, target)
    assert isinstance(iou, np.ndarray)
    np.testing.assert_allclose(iou, [1 / 3, 0.0, 1.0], rtol=1e-6)
    in_graph = tf.function(lambda p, t: voxel_iou(p, t, threshold=0.5))(
        tf.constant(prediction, tf.float32), tf.constant(target, tf.float32)
    )
    np.testing.assert_allclose(in_graph.numpy(), [1 / 3, 0.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(voxel_iou(prediction, target, threshold=0.95), [0.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="same shape"):
        voxel_iou(prediction, target[:2])


def test_score_volumes_scores_the_model_and_the_mean_volume():
    class Perfect:  # predicts each image's own volume: IoU 1, MSE 0
        def __init__(self, volumes):
            self.volumes = volumes

        def predict(self, images, batch_size=32, verbose=0):
            return self.volumes[np.asarray(images)[:, 0, 0, 0].astype(int)]

    rng = np.random.default_rng(0)
    volumes = (rng.uniform(size=(4, 8, 8, 8)) > 0.5).astype(np.float32)
    images = np.broadcast_to(np.arange(4, dtype=np.float32)[:, None, None, None], (4, 2, 2, 3)).copy()
    scores = score_volumes(Perfect(volumes), images, volumes, volumes.mean(axis=0), threshold=0.5)
    assert scores["model"]["voxel_iou"] == 1.0 and scores["model"]["volume_mse"] == 0.0
    baseline = scores["mean_volume_baseline"]
    assert baseline["volume_mse"] == pytest.approx(np.mean((volumes - volumes.mean(axis=0)) ** 2), abs=1e-5)
    assert 0.0 < baseline["voxel_iou"] < 1.0
