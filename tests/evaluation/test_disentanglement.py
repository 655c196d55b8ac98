"""Known answers of MIG, DCI and the FactorVAE score.

The expectations (and tolerances) are those of google-research/disentanglement_lib's own tests in
`disentanglement_lib/evaluation/metrics/`: `utils_test.py`, `mig_test.py`, `dci_test.py` and
`factor_vae_test.py`. Their `IdentityObservationsData` has 10 factors, each uniform over the integers 1..10,
and the observations are the factors themselves; `_identity_data` draws the same.
"""

import numpy as np
import pytest

from tf_ivg.evaluation import disentanglement as dis


def _identity_data(num, num_factors=10, seed=0):
    """`[num, num_factors]` integer factors uniform over 1..10 (disentanglement_lib's IdentityObservationsData)."""
    return np.random.RandomState(seed).randint(1, 11, size=(num, num_factors))


def _entropy(*p):
    """Entropy in nats of a distribution given by its probabilities."""
    return -sum(q * np.log(q) for q in p)


# ---- utils_test.py ---------------------------------------------------------------------------------
def test_histogram_discretize_matches_library():
    # utils_test.test_histogram_discretizer (the library's rows are our columns)
    target = np.array([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0.6, 0.5, 0.4, 0.3, 0.2, 0.1]]).T
    expected = np.array([[1, 1, 2, 2, 3, 3], [3, 3, 2, 2, 1, 1]]).T
    np.testing.assert_array_equal(dis.histogram_discretize(target, num_bins=3), expected)


def test_discrete_entropy_and_mutual_information_match_library():
    # utils_test.test_discrete_entropy
    classes = np.array([[1, 1, 2, 2, 3, 3], [3, 3, 2, 2, 1, 1]]).T
    np.testing.assert_allclose(dis.discrete_entropy(classes), [np.log(3), np.log(3)])
    # utils_test.test_discrete_mutual_info
    codes = np.array([[1, 2, 1, 2], [1, 1, 2, 2]]).T
    factors = np.array([[1, 2, 1, 2], [2, 2, 1, 1]]).T
    np.testing.assert_allclose(
        dis.discrete_mutual_information(codes, factors), [[np.log(2), 0.0], [0.0, np.log(2)]], atol=1e-12
    )


def test_factor_classes_keep_integer_factors_and_bin_continuous_ones():
    factors = np.array([[3.0, 0.1], [7.0, 0.35], [3.0, 0.6], [-1.0, 1.1]])
    classes = dis.factor_classes(factors, num_bins=2)
    np.testing.assert_array_equal(classes[:, 0], [3, 7, 3, -1])  # integer classes as they are
    np.testing.assert_array_equal(classes[:, 1], [1, 1, 2, 2])  # 2 bins over [0.1, 1.1], edge at 0.6


# ---- mig_test.py ---------------------------------------------------------------------------------
# The library's tests use an identity discretiser on the integer codes; the histogram discretiser with
# 20 bins over the range 1..10 puts each integer in its own bin, so the mutual informations are the same.
@pytest.fixture(scope="module")
def mig_factors():
    return _identity_data(3000)


def test_mig_identity_code(mig_factors):
    # mig_test.test_metric: in [0.9, 1.0]
    assert 0.9 <= dis.mig(mig_factors.astype(np.float64), mig_factors) <= 1.0


def test_mig_constant_code(mig_factors):
    # mig_test.test_bad_metric (np.zeros_like): in [0.0, 0.2]
    assert 0.0 <= dis.mig(np.zeros(mig_factors.shape), mig_factors) <= 0.2


def test_mig_duplicated_code(mig_factors):
    # mig_test.test_duplicated_latent_space (hstack([x, x])): in [0.0, 0.1]
    assert 0.0 <= dis.mig(np.hstack([mig_factors, mig_factors]).astype(np.float64), mig_factors) <= 0.1


def test_mig_continuous_factors_are_binned_like_the_codes():
    # Our choice for continuous factors: histogram-discretised as the codes, so an identity code copies each
    # factor's classes exactly (I_1 = H) and MIG is 1 up to the small positive bias of I_2.
    factors = np.random.default_rng(0).uniform(-np.pi, np.pi, size=(3000, 3))
    assert 0.9 <= dis.mig(factors, factors) <= 1.0
    assert dis.mig(np.zeros_like(factors), factors) == pytest.approx(0.0)


def test_mig_hand_computed():
    # 8 samples, 2 factors (integer classes), 3 latents (binary, so each value gets its own histogram bin).
    f0 = [0, 0, 0, 0, 1, 1, 1, 1]  # H(f0) = h(1/2, 1/2) = log 2
    f1 = [0, 0, 0, 1, 0, 0, 0, 1]  # H(f1) = h(3/4, 1/4)
    z0 = f0  # I(z0; f0) = H(f0); I(z0; f1) = 0 (f1 is [0, 0, 0, 1] in both halves)
    z1 = f1  # I(z1; f1) = H(f1); I(z1; f0) = 0
    z2 = [0, 0, 0, 0, 0, 0, 1, 1]  # H(z2) = h(3/4, 1/4)
    # I(z2; f0) = H(z2) - H(z2 | f0): z2 is 0 where f0 = 0, half 0 half 1 where f0 = 1.
    i20 = _entropy(3 / 4, 1 / 4) - 0.5 * _entropy(1 / 2, 1 / 2)
    # I(z2; f1) = H(z2) - H(z2 | f1): where f1 = 0 (6 samples) z2 is 1 once; where f1 = 1 (2 samples) once.
    i21 = _entropy(3 / 4, 1 / 4) - (6 / 8 * _entropy(1 / 6, 5 / 6) + 2 / 8 * _entropy(1 / 2, 1 / 2))
    h0, h1 = _entropy(1 / 2, 1 / 2), _entropy(3 / 4, 1 / 4)
    # per factor: (largest MI - second largest MI) / H(factor); z2 is second for both.
    expected = np.mean([(h0 - i20) / h0, (h1 - i21) / h1])  # = 0.799
    latents = np.array([z0, z1, z2], dtype=np.float64).T
    factors = np.array([f0, f1]).T
    np.testing.assert_allclose(
        dis.mutual_information_matrix(latents, factors), [[h0, 0.0], [0.0, h1], [i20, i21]], atol=1e-12
    )
    assert dis.mig(latents, factors) == pytest.approx(expected, abs=1e-12)
    assert expected == pytest.approx(0.7990, abs=1e-4)


def test_mig_checks_inputs():
    with pytest.raises(ValueError, match="at least 2 latents"):
        dis.mig(np.zeros((10, 1)), np.zeros((10, 1)))
    with pytest.raises(ValueError, match="every factor is constant"):
        dis.mig(np.random.default_rng(0).normal(size=(10, 2)), np.ones((10, 1)))


# ---- dci_test.py: importance matrices ------------------------------------------------------------
_DIAGONAL = np.diag(5.0 * np.ones(5))
_ONE_IN_TEN = 1.0 - np.log(2) / np.log(10)
# (importance matrix [Z, F], expected disentanglement, expected completeness); DisentanglementTest and
# CompletenessTest of dci_test.py.
_IMPORTANCE_CASES = {
    "diagonal": (_DIAGONAL, 1.0, 1.0),
    "diagonal_empty_codes": (np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), 1.0, 1.0),
    "zero": (np.zeros((10, 10)), 0.0, 0.0),
    "redundant_codes": (np.vstack([_DIAGONAL, _DIAGONAL]), 1.0, _ONE_IN_TEN),
    "missed_factors": (_DIAGONAL[:2, :], 1.0, 1.0),
    "one_code_two_factors": (np.hstack([_DIAGONAL, _DIAGONAL]), _ONE_IN_TEN, 1.0),
}


@pytest.mark.parametrize("case", sorted(_IMPORTANCE_CASES))
def test_dci_from_importance_matches_library(case):
    importance, disentanglement, completeness = _IMPORTANCE_CASES[case]
    np.testing.assert_allclose(dis.dci_disentanglement(importance), disentanglement, atol=1e-7)
    np.testing.assert_allclose(dis.dci_completeness(importance), completeness, atol=1e-7)


# ---- dci_test.py: DCITest -------------------------------------------------------------------------
# The library fits 10 factors on 1000 + 1000 samples; one default GradientBoostingClassifier per factor
# costs about a second here, so we use 5 factors and 200 + 200 samples (same tolerances; with 5 factors the
# duplicated code's completeness target 1 - log 2 / log 10 is exact: two equal importances out of 10 codes).
@pytest.fixture(scope="module")
def dci_factors():
    return _identity_data(400, num_factors=5)


def test_dci_identity_code(dci_factors):
    # dci_test.test_metric: disentanglement and completeness in [0.9, 1.0]
    scores = dis.dci(dci_factors.astype(np.float64), dci_factors, train_fraction=0.5)
    assert 0.9 <= scores["disentanglement"] <= 1.0 and 0.9 <= scores["completeness"] <= 1.0
    assert scores["informativeness_train"] == 1.0 and scores["informativeness_test"] == 1.0


def test_dci_shuffled_code(dci_factors):
    # dci_test.test_bad_metric: each sample's factors randomly permuted; both in [0.0, 0.2]
    rng = np.random.RandomState(0)
    code = np.array([rng.permutation(row) for row in dci_factors], dtype=np.float64)
    scores = dis.dci(code, dci_factors, train_fraction=0.5)
    assert 0.0 <= scores["disentanglement"] <= 0.2 and 0.0 <= scores["completeness"] <= 0.2
    assert scores["informativeness_test"] < 0.5


def test_dci_duplicated_code(dci_factors):
    # dci_test.test_duplicated_latent_space: disentanglement in [0.9, 1.0], completeness 1 - log 2 / log 10 +- 0.1
    code = np.hstack([dci_factors, dci_factors]).astype(np.float64)
    scores = dis.dci(code, dci_factors, train_fraction=0.5)
    assert 0.9 <= scores["disentanglement"] <= 1.0
    assert _ONE_IN_TEN - 0.1 <= scores["completeness"] <= _ONE_IN_TEN + 0.1


def test_dci_split_is_seeded_and_checked():
    train, test = dis.train_test_split(10, 0.8, seed=3)
    assert len(train) == 8 and len(test) == 2 and not set(train) & set(test)
    np.testing.assert_array_equal(train, dis.train_test_split(10, 0.8, seed=3)[0])
    with pytest.raises(ValueError, match="no train or no test"):
        dis.train_test_split(10, 1.0)


# ---- factor_vae_test.py ---------------------------------------------------------------------------
def _fixed_factor_batches(code, num_votes, batch_size, rng, num_factors=10):
    """Votes as the library samples them: a uniform factor k, a batch of random factors with k fixed."""
    for _ in range(num_votes):
        k = rng.randint(num_factors)
        factors = rng.randint(1, 11, size=(batch_size, num_factors))
        factors[:, k] = factors[0, k]
        yield k, code(factors)


def _factor_vae(code, seed=0):
    # factor_vae_test.py: batch_size 5, num_train 3000, num_eval 2000, num_variance_estimate 2500
    rng = np.random.RandomState(seed)
    global_codes = code(rng.randint(1, 11, size=(2500, 10)))
    train = list(_fixed_factor_batches(code, 3000, 5, rng))
    evaluation = list(_fixed_factor_batches(code, 2000, 5, rng))
    return dis.factor_vae_score(train, evaluation, global_codes, num_factors=10)


def test_factor_vae_identity_code():
    # factor_vae_test.test_metric: train and eval accuracy in [0.9, 1.0]
    scores = _factor_vae(lambda f: f.astype(np.float64))
    assert 0.9 <= scores["train_accuracy"] <= 1.0 and 0.9 <= scores["eval_accuracy"] <= 1.0
    assert scores["num_active_dims"] == 10


def test_factor_vae_constant_code():
    # factor_vae_test.test_bad_metric (np.zeros_like): every latent pruned; accuracies in [0.0, 0.2]
    scores = _factor_vae(lambda f: np.zeros(f.shape))
    assert 0.0 <= scores["train_accuracy"] <= 0.2 and 0.0 <= scores["eval_accuracy"] <= 0.2
    assert scores["num_active_dims"] == 0


def test_factor_vae_one_latent_for_two_factors():
    # Not in the library's tests; derived by hand. Latent 0 = 10 * f0 + f1 and latents 1..8 = f2..f9.
    # Fixing f0 leaves latent 0 ~1 % of its global variance: the vote goes to latent 0 (classified f0).
    # Fixing f_j (j >= 2) votes for its own latent. Fixing f1 leaves latent 0 at ~99 %, like every other
    # latent, so its votes scatter over latents already claimed by other factors: all 1/10 of them are wrong.
    def code(f):
        return np.hstack([10.0 * f[:, :1] + f[:, 1:2], f[:, 2:]])

    scores = _factor_vae(code)
    assert scores["train_accuracy"] == pytest.approx(0.9, abs=0.03)
    assert scores["eval_accuracy"] == pytest.approx(0.9, abs=0.03)


def test_factor_vae_votes_use_the_latent_index_and_prune():
    # latent 1 is pruned (global sd 0.01 < 0.05); latent 2 is the smallest normalised variance of the batch.
    global_codes = np.array([[0.0, 0.0, 0.0], [2.0, 0.02, 2.0]])  # variances (ddof=1): 2, 2e-4, 2
    variance, active = dis.active_latents(global_codes)
    np.testing.assert_allclose(variance, [2.0, 2e-4, 2.0])
    np.testing.assert_array_equal(active, [True, False, True])
    batch = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.1]])
    votes = dis.factor_vae_votes([(1, batch)], variance, active, num_factors=2)
    np.testing.assert_array_equal(votes, [[0, 0, 0], [0, 0, 1]])
    with pytest.raises(ValueError, match="B >= 2"):
        dis.factor_vae_votes([(0, batch[:1])], variance, active, num_factors=2)
