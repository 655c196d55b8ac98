import numpy as np
import pytest

from tf_ivg.evaluation.invariance import batch_mean_sd, invariance_profile


def test_batch_mean_sd_known_answer():
    batch = np.array([[0.0, 1.0], [2.0, 1.0]])  # SDs 1 and 0
    assert batch_mean_sd(batch) == pytest.approx(0.5)


def test_profile_relative_values_sum_to_one_and_rank_conditions():
    rng = np.random.default_rng(0)

    def batches(scale_a, scale_b, count=5):
        return [
            {"a": rng.normal(size=(10, 3)) * scale_a, "b": rng.normal(size=(10, 2, 2)) * scale_b} for _ in range(count)
        ]

    profile = invariance_profile({"shape": batches(4.0, 1.0), "pose": batches(1.0, 4.0), "lighting": batches(0.0, 0.0)})
    assert profile.layers == ["a", "b"]
    assert profile.relative.shape == (3, 2)
    np.testing.assert_allclose(profile.relative.sum(axis=0), [1.0, 1.0])
    assert profile.relative[0, 0] > profile.relative[1, 0] > profile.relative[2, 0] == 0.0
    assert profile.relative[1, 1] > profile.relative[0, 1]
    assert np.all(profile.relative_error >= 0)


def test_mismatched_layers_raise():
    with pytest.raises(ValueError, match="differ"):
        invariance_profile({"shape": [{"a": np.ones((2, 1))}, {"b": np.ones((2, 1))}]})
