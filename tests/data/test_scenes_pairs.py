"""The one in-memory pair generator (`Scenes.pairs`, behind `tf_ivg.data.make_volume_pairs`)."""

import numpy as np
import pytest

from tf_ivg.data import make_volume_pairs
from tf_ivg.data.scenes import Scenes, check_disjoint


def test_pairs_are_seeded_chunked_and_identities_replay_them():
    scenes = Scenes("faces", image_size=16, volume_size=16)  # the sizes of the test below: one XLA compile
    images, volumes, factors = scenes.pairs(5, seed=7, chunk=3)
    assert images.shape == (5, 16, 16, 3) and volumes.shape == (5, 16, 16, 16)
    assert set(np.unique(volumes)) <= {0.0, 1.0} and 0.05 < volumes.mean() < 0.5
    np.testing.assert_array_equal(scenes.pair_identities(5, seed=7, chunk=3), factors["identity"])
    again = scenes.pairs(5, seed=7, chunk=3)
    np.testing.assert_array_equal(again[0], images)
    assert not np.array_equal(scenes.pair_identities(5, seed=8, chunk=3), factors["identity"])
    with pytest.raises(ValueError, match="n must be a positive int"):
        scenes.pairs(0, seed=7)


def test_make_volume_pairs_is_scenes_pairs():
    images, volumes, factors = make_volume_pairs(3, 16, 16, seed=4)
    same = Scenes("faces", image_size=16, volume_size=16).pairs(3, seed=4)
    np.testing.assert_array_equal(images, same[0])
    np.testing.assert_array_equal(volumes, same[1])
    np.testing.assert_array_equal(factors["identity"], same[2]["identity"])


def test_check_disjoint_names_shared_identities():
    check_disjoint(np.array([1, 2, 3]), np.array([4, 5]))
    with pytest.raises(ValueError, match="1 test identities"):
        check_disjoint(np.array([1, 2, 3]), np.array([3, 5]))
