import numpy as np
import pytest

from tf_ivg.evaluation import metrics


def test_mean_voxel_distance_known_answer():
    target = np.zeros((2, 4, 4, 4))
    prediction = np.zeros((2, 4, 4, 4))
    prediction[0, 0, 0, :2] = 1.0  # 2 of 64 voxels off by 1
    prediction[1] = 0.5  # every voxel off by 0.5
    np.testing.assert_allclose(metrics.mean_voxel_distance(prediction, target), [2 / 64, 0.5])


def test_mse_known_answer():
    a = np.array([[0.0, 0.0], [1.0, 3.0]])
    b = np.array([[1.0, 1.0], [1.0, 1.0]])
    np.testing.assert_allclose(metrics.mse(a, b), [1.0, 2.0])


def test_voxel_iou_known_answer():
    target = np.zeros((3, 2, 2, 2))
    prediction = np.zeros((3, 2, 2, 2))
    target[0, 0] = 1  # 4 voxels
    prediction[0, 0, 0] = 0.9  # 2 of them
    prediction[1, 0, 0, 0] = 0.9  # prediction only: IoU 0
    np.testing.assert_allclose(metrics.voxel_iou(prediction, target), [0.5, 0.0, 1.0])


def test_binarize_threshold():
    np.testing.assert_array_equal(metrics.binarize(np.array([0.0, 0.01, 0.02]), 0.01), [False, False, True])


def test_shape_mismatch_is_a_value_error():
    with pytest.raises(ValueError, match="same shape"):
        metrics.mse(np.zeros((2, 3)), np.zeros((2, 4)))
