import numpy as np
import pytest

from tf_ivg.evaluation.recognition import recognition_ranks, recognition_trials


def test_ranks_known_answer():
    queries = np.array([[0.0, 0.0], [0.0, 0.0]])
    candidates = np.array([[[3.0, 0.0], [1.0, 0.0], [2.0, 0.0]], [[3.0, 0.0], [1.0, 0.0], [2.0, 0.0]]])
    np.testing.assert_array_equal(recognition_ranks(queries, candidates, [1, 0]), [1, 3])


def test_trials_with_perfect_codes_rank_first_and_random_codes_spread():
    rng = np.random.default_rng(0)
    identities = np.repeat(np.arange(200), 2)
    perfect = np.repeat(rng.normal(size=(200, 8)), 2, axis=0)
    ranks = recognition_trials(perfect, identities, np.arange(0, 40, 2), np.arange(1, 40, 2), num_candidates=150)
    assert ranks.tolist() == [1] * 20
    noise = rng.normal(size=(400, 8))
    ranks = recognition_trials(noise, identities, np.arange(0, 200, 2), np.arange(1, 200, 2), num_candidates=150)
    assert ranks.min() >= 1 and ranks.max() <= 150
    assert 40 < ranks.mean() < 110  # chance is 75.5


def test_trials_reject_mismatched_identity():
    with pytest.raises(ValueError, match="different identities"):
        recognition_trials(np.zeros((4, 2)), [0, 1, 2, 3], [0], [1], num_candidates=2)
