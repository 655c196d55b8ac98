import numpy as np
import pytest

from tf_ivg.evaluation import disentanglement as dis


@pytest.fixture
def factors():
    return np.random.default_rng(0).uniform(size=(4000, 3))


def test_identity_representation_scores_about_one(factors):
    assert dis.mig(factors, factors) > 0.9
    scores = dis.dci(factors, factors)
    assert scores["disentanglement"] > 0.98
    assert scores["completeness"] > 0.98
    assert scores["informativeness"] > 0.98


def test_constant_representation_scores_zero(factors):
    constant = np.ones((len(factors), 3))
    assert dis.mig(constant, factors) == pytest.approx(0.0)
    scores = dis.dci(constant, factors)
    assert scores == {"disentanglement": 0.0, "completeness": 0.0, "informativeness": 0.0}


def test_mixed_representation_scores_lower(factors):
    mixing = np.array([[1.0, 1.0, 0.0], [1.0, -1.0, 1.0], [0.0, 1.0, 1.0]])
    mixed = factors @ mixing
    assert dis.mig(mixed, factors) < 0.5
    assert dis.dci(mixed, factors)["disentanglement"] < 0.8


def test_factor_correlation_and_latent_choice():
    rng = np.random.default_rng(1)
    factor = rng.uniform(-1, 1, size=300)
    latents = rng.normal(size=(300, 4))
    latents[:, 2] = -3.0 * factor + 0.01 * rng.normal(size=300)
    result = dis.factor_correlation(latents[:, 2], factor)
    assert result["pearson_r"] < -0.99 and 0.0 <= result["pearson_p"] <= 1.0
    assert dis.best_latent_for_factor(latents, factor) == 2
    assert dis.factor_correlation(np.ones(300), factor)["pearson_r"] == 0.0
