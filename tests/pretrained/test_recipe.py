"""The recipe shared by the pretrained build and the demo: data, held-out checks, config, scores."""

import numpy as np
import pytest

from tf_ivg.configs.faces_volume import get_config, small_config
from tf_ivg.pretrained import recipe
from tf_ivg.training.volume_task import make_optimizer, validate_config


def test_generate_is_seeded_and_identities_replay_it():
    images, volumes, ids = recipe.generate(5, 7, chunk=3)
    assert images.shape == (5, 32, 32, 3) and volumes.shape == (5, 32, 32, 32)
    assert set(np.unique(volumes)) <= {0.0, 1.0} and 0.05 < volumes.mean() < 0.5
    np.testing.assert_array_equal(recipe.identities(5, 7, chunk=3), ids)
    again = recipe.generate(5, 7, chunk=3)
    np.testing.assert_array_equal(again[0], images)
    assert not np.array_equal(recipe.identities(5, 8, chunk=3), ids)
    with pytest.raises(ValueError, match="num"):
        recipe.generate(0, 7)


def test_check_disjoint_names_shared_identities():
    recipe.check_disjoint(np.array([1, 2, 3]), np.array([4, 5]))
    with pytest.raises(ValueError, match="1 test identities"):
        recipe.check_disjoint(np.array([1, 2, 3]), np.array([3, 5]))


def test_small_config_is_valid_and_its_decay_follows_steps():
    config = get_config("small")
    assert config == small_config() and config["variant"] == "small"
    validate_config(config)
    resolved = recipe.resolve(config, steps=40)
    assert resolved["steps"] == 40 and resolved["steps_per_epoch"] == 40
    assert resolved["optimizer"]["learning_rate"]["config"]["decay_steps"] == 40
    assert config["optimizer"]["learning_rate"]["config"]["decay_steps"] == 5000  # not mutated
    optimizer = make_optimizer(resolved["optimizer"])
    assert float(optimizer.learning_rate) == pytest.approx(1e-3)
    with pytest.raises(ValueError, match="steps"):
        recipe.resolve(config, steps=0)


def test_evaluate_scores_the_model_and_the_mean_volume():
    class Perfect:  # predicts each image's own volume: IoU 1, MSE 0
        def __init__(self, volumes):
            self.volumes = volumes

        def reconstruct(self, images):
            return self.volumes[np.asarray(images)[:, 0, 0, 0].astype(int)]

    rng = np.random.default_rng(0)
    volumes = (rng.uniform(size=(4, 8, 8, 8)) > 0.5).astype(np.float32)
    images = np.broadcast_to(np.arange(4, dtype=np.float32)[:, None, None, None], (4, 2, 2, 3)).copy()
    scores = recipe.evaluate(Perfect(volumes), images, volumes, volumes.mean(axis=0), threshold=0.5)
    assert scores["model"]["voxel_iou"] == 1.0 and scores["model"]["volume_mse"] == 0.0
    baseline = scores["mean_volume_baseline"]
    expected_mse = np.mean((volumes - volumes.mean(axis=0)) ** 2)
    assert baseline["volume_mse"] == pytest.approx(expected_mse, abs=1e-5)
    assert 0.0 < baseline["voxel_iou"] < 1.0
