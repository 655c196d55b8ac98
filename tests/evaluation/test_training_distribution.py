"""The experiments' protocol: a checkpoint is evaluated on the data it was trained on (read from its config),
and the oracle baseline on a case worked by hand."""

import numpy as np
import pytest

from tf_ivg.data import make_volume_pairs
from tf_ivg.data.examples import iter_examples
from tf_ivg.data.specs import ID_STRIDE, get_spec
from tf_ivg.evaluation.experiments.common import build_untrained
from tf_ivg.evaluation.experiments.nearest_neighbour import fit_oracle
from tf_ivg.evaluation.training_distribution import (
    DatasetDistribution,
    GeneratedDistribution,
    from_config,
)


@pytest.fixture(scope="module")
def grid_checkpoint():
    """The smoke faces_volume model and config: trained on ivg_faces/volumes_32_small (a pose x ambient grid)."""
    return build_untrained("faces_volume")


def _stored(spec, split, n):
    examples = [ex for _, ex in iter_examples(spec, split, 0, n)]
    return np.stack([ex["image"] for ex in examples]) / 255.0, examples


def test_a_grid_trained_checkpoint_is_evaluated_on_its_grid(grid_checkpoint):
    model, config = grid_checkpoint
    distribution = from_config(config, model)
    spec = get_spec("ivg_faces/volumes_32_small")
    assert isinstance(distribution, DatasetDistribution) and distribution.spec == spec
    # the test pairs are the dataset's own test split: same identities, views, images and volumes
    images, volumes, ids = distribution.test_pairs(4)
    stored, examples = _stored(spec, "test", 4)
    np.testing.assert_array_equal(ids, [ex["label_identity"] for ex in examples])
    assert np.all(ids // ID_STRIDE == 2)  # the test split's identity range
    assert {float(ex["value_elevation"]) for ex in examples} == {0.0}
    assert {round(float(ex["value_azimuth"]), 5) for ex in examples} <= {round(a, 5) for a in spec.azimuths}
    np.testing.assert_allclose(images, stored, atol=1.5 / 255)
    np.testing.assert_array_equal(volumes, np.stack([ex["volume"] for ex in examples]).astype(np.float32))
    # the neighbour database is the training split, in order
    first = next(distribution.training_images(chunk=5))
    np.testing.assert_allclose(first, _stored(spec, "train", 5)[0], atol=1.5 / 255)
    assert len(distribution.training_identities()) == spec.num_examples("train")
    with pytest.raises(ValueError, match="test examples"):
        distribution.test_pairs(spec.num_examples("test") + 1)


def test_figure_rows_are_different_test_faces_as_the_dataset_stores_them(grid_checkpoint):
    model, config = grid_checkpoint
    distribution = from_config(config, model)
    spec = distribution.spec
    images, volumes, ids = distribution.spread_test_pairs(2, seed=1)  # the split holds 2 test faces
    assert len(set(ids.tolist())) == 2 and np.all(ids // ID_STRIDE == 2)
    stored = {ex["label_identity"]: ex for _, ex in iter_examples(spec, "test")}
    for volume, identity in zip(volumes, ids):
        np.testing.assert_array_equal(volume, stored[identity]["volume"].astype(np.float32))
    assert images.shape == (2, spec.image_size, spec.image_size, 3)


def test_a_generated_checkpoint_is_evaluated_on_its_generator(grid_checkpoint):
    model, config = grid_checkpoint
    generated = {**config, "dataset": "generated/faces", "generated_examples": 6, "seed": 3}
    distribution = from_config(generated, model)
    assert isinstance(distribution, GeneratedDistribution)
    train_images, _, factors = make_volume_pairs(6, 32, 32, seed=3)
    np.testing.assert_array_equal(np.concatenate(list(distribution.training_images(chunk=4))), train_images)
    np.testing.assert_array_equal(distribution.training_identities(), factors["identity"])
    _, _, test_ids = distribution.test_pairs(3)
    assert not np.intersect1d(test_ids, factors["identity"]).size


def test_the_protocol_refuses_what_it_cannot_place(grid_checkpoint):
    model, config = grid_checkpoint
    with pytest.raises(ValueError, match="needs its training config"):
        from_config(None, model)
    with pytest.raises(ValueError, match="80px images"):
        from_config({**config, "dataset": "ivg_faces/volumes_80"}, model)
    with pytest.raises(ValueError, match="'video' config"):
        from_config({**config, "dataset": "ivg_faces/video_32_small"}, model)


def test_oracle_recovers_a_linear_shape_to_volume_map():
    """Volumes that are exactly 0.25 * c (c one coefficient): the ridge oracle predicts 0.75 at c = 3 and
    clips to 1 at c = 10."""
    coefficients = np.array([[0.0], [1.0], [2.0], [3.0]])
    volumes = 0.25 * coefficients[:, :, None, None] * np.ones((4, 1, 2, 2))
    predict = fit_oracle(coefficients, volumes.reshape(4, 2, 2, 1))
    np.testing.assert_allclose(predict(np.array([[1.5], [10.0]])).reshape(2, -1), [[0.375] * 4, [1.0] * 4], atol=2e-3)


def test_oracle_fitted_in_column_chunks_equals_one_scikit_learn_fit():
    """Constant voxels, chunked columns: the same alpha and predictions as one multi-output RidgeCV."""
    from sklearn.linear_model import RidgeCV

    from tf_ivg.evaluation.experiments.nearest_neighbour import ORACLE_ALPHAS

    rng = np.random.default_rng(0)
    coefficients = rng.normal(size=(30, 3))
    flat = (coefficients @ rng.normal(size=(3, 64)) + rng.normal(scale=2.0, size=(30, 64)) > 0).astype(np.float32)
    flat[:, :10] = 1.0  # voxels every identity fills
    flat[:, 10:20] = 0.0
    predict = fit_oracle(coefficients, flat.reshape(30, 4, 4, 4), columns=7)
    reference = RidgeCV(alphas=ORACLE_ALPHAS).fit(coefficients, flat)
    assert predict.alpha == reference.alpha_
    queries = rng.normal(size=(5, 3))
    expected = np.clip(reference.predict(queries), 0.0, 1.0)
    np.testing.assert_allclose(predict(queries).reshape(5, -1), expected, atol=1e-5)


def test_the_grid_distribution_varies_pose_and_lighting_over_the_grid_only(grid_checkpoint):
    """The paper's conditions (Grant 4.4-4.6): pose is one of the 5 azimuths, lighting one of the 3 ambient
    levels, elevation 0 and the fixed light; a generated distribution keeps the full ranges."""
    model, config = grid_checkpoint
    spec = get_spec("ivg_faces/volumes_32_small")
    scenes = from_config(config, model).scenes()
    _, pose = scenes.vary("pose", 12, seed=1)
    _, lighting = scenes.vary("lighting", 12, seed=2)
    grid = {round(a, 5) for a in spec.azimuths}
    assert {round(float(a), 5) for a in pose["azimuth"]} <= grid and len(set(pose["azimuth"].tolist())) > 1
    assert set(pose["elevation"].tolist()) == {0.0} and set(lighting["light"].tolist()) == {np.float32(spec.light)}
    assert {round(float(a), 5) for a in lighting["ambient"]} <= {round(a, 5) for a in spec.ambients}
    generated = {**config, "dataset": "generated/faces", "generated_examples": 6}
    _, wide = from_config(generated, model).scenes().vary("pose", 12, seed=1)
    assert len(set(wide["elevation"].tolist())) == 12 and not {round(float(a), 5) for a in wide["azimuth"]} <= grid


def test_scenes_refuse_levels_of_unknown_factors():
    from tf_ivg.data.scenes import Scenes

    with pytest.raises(ValueError, match="levels must map factors"):
        Scenes("faces", image_size=16, levels={"zoom": [1.0]})
    with pytest.raises(ValueError, match="levels must map factors"):
        Scenes("faces", image_size=16, levels={"azimuth": []})


def test_on_a_grid_the_other_pose_or_lighting_is_another_level():
    """Grant 4.6 on the paper's grid: the second image of a pair takes another azimuth (pose) or another
    ambient level (lighting); everything else is the first image's."""
    from tf_ivg.data.scenes import Scenes

    class FactorsOnly(Scenes):  # "renders" the factors, so the pairs can be read back
        def images(self, params, factors):
            return np.stack([factors[k] for k in ("azimuth", "elevation", "light", "ambient")], axis=1)

    azimuths, ambients = (-1.0, 0.0, 1.0), (0.2, 0.7)
    scenes = FactorsOnly(
        "faces",
        image_size=8,
        ranges={"elevation": (0.0, 0.0), "light": (0.3, 0.3)},
        levels={"azimuth": azimuths, "ambient": ambients},
    )
    a, b = scenes.same_identity_pairs(40, "pose", seed=0)
    assert np.all(a[:, 0] != b[:, 0]) and set(b[:, 0].tolist()) <= set(np.float32(azimuths).tolist())
    np.testing.assert_array_equal(a[:, 1:], b[:, 1:])
    a, b = scenes.same_identity_pairs(40, "lighting", seed=1)
    assert np.all(a[:, 3] != b[:, 3]) and set(b[:, 3].tolist()) <= set(np.float32(ambients).tolist())
    np.testing.assert_array_equal(a[:, :3], b[:, :3])
