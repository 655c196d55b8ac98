"""Disentanglement scores where the generating factors are known, as defined by disentanglement_lib.

The scores follow google-research/disentanglement_lib (`evaluation/metrics/{mig,dci,factor_vae}.py`), so our
numbers can be compared with published ones:

- `mig`: Mutual Information Gap (Chen et al. 2018): codes histogram-discretised into `num_bins` (20) bins per
  latent, mutual information with `sklearn.metrics.mutual_info_score`; per factor, the gap between the two
  largest mutual informations over the factor's entropy, averaged over factors.
- `dci`: Disentanglement, Completeness, Informativeness (Eastwood & Williams 2018) with the library's probe:
  one `sklearn.ensemble.GradientBoostingClassifier` (default arguments) per factor predicts the factor's class
  from the raw code; its `feature_importances_` fill the importance matrix; informativeness is its train and
  test accuracy.
- `factor_vae_score`: the FactorVAE score (Kim & Mnih 2018): each vote is a batch with one factor fixed; the
  latent whose variance (over the global variance) is smallest votes for that factor; a majority-vote
  classifier from latent to factor is fitted on training votes and scored on evaluation votes.

Factors. disentanglement_lib's ground-truth factors are integer classes and are used as they are. Ours are
mostly continuous (angles); `factor_classes` keeps an integer-valued column as its classes and
histogram-discretises any other column exactly as the codes (`num_bins` equal-width bins over the column's
range, `histogram_discretize`). Scores of continuous factors therefore depend on `num_bins` (20 by default,
the library's setting for MIG).

Shape key: N samples, Z latents, F factors, B samples in a FactorVAE batch, M samples for the global variance.
"""

import numpy as np
from sklearn import ensemble
from sklearn import metrics as sklearn_metrics


def _check(latents, factors):
    latents = np.asarray(latents, dtype=np.float64)
    factors = np.asarray(factors, dtype=np.float64)
    if latents.ndim != 2 or factors.ndim != 2 or len(latents) != len(factors):
        raise ValueError(
            f"expected latents [N, Z] and factors [N, F] with the same N, got {latents.shape} and {factors.shape}"
        )
    if len(latents) < 2:
        raise ValueError("need at least 2 samples")
    if not (np.isfinite(latents).all() and np.isfinite(factors).all()):
        raise ValueError("latents and factors must be finite")
    return latents, factors


# ---- discretisation and information ---------------------------------------------------------------
def histogram_discretize(values, num_bins=20):
    """disentanglement_lib's histogram discretiser, per column. `[N, C]` -> int `[N, C]` in 1..num_bins.

    Each column is cut at the left edges of `np.histogram(column, num_bins)` (equal-width bins over the
    column's range) and binned with `np.digitize`; the column's maximum falls in bin `num_bins`, a constant
    column in one bin.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"expected [N, C], got {values.shape}")
    out = np.zeros(values.shape, dtype=np.int64)
    for c in range(values.shape[1]):
        _, edges = np.histogram(values[:, c], bins=num_bins)
        out[:, c] = np.digitize(values[:, c], edges[:-1])
    return out


def factor_classes(factors, num_bins=20):
    """Discrete classes of the factors. `[N, F]` -> int `[N, F]`.

    An integer-valued column is already a class label (disentanglement_lib's ground-truth factors) and is
    kept; any other column (a continuous factor such as an angle) is `histogram_discretize`d into `num_bins`
    bins, as the codes are.
    """
    factors = np.asarray(factors, dtype=np.float64)
    if factors.ndim != 2:
        raise ValueError(f"expected [N, F], got {factors.shape}")
    out = np.zeros(factors.shape, dtype=np.int64)
    for j in range(factors.shape[1]):
        column = factors[:, j]
        if np.all(column == np.round(column)):
            out[:, j] = column.astype(np.int64)
        else:
            out[:, j] = histogram_discretize(column[:, None], num_bins)[:, 0]
    return out


def discrete_entropy(classes):
    """Entropy (nats) of each column of discrete labels. `[N, F]` -> `[F]`."""
    classes = np.asarray(classes)
    return np.array([sklearn_metrics.mutual_info_score(c, c) for c in classes.T])


def discrete_mutual_information(codes, classes):
    """Mutual information (nats) between discrete code and factor labels. `[N, Z]`, `[N, F]` -> `[Z, F]`."""
    codes, classes = np.asarray(codes), np.asarray(classes)
    return np.array([[sklearn_metrics.mutual_info_score(y, z) for y in classes.T] for z in codes.T])


def mutual_information_matrix(latents, factors, num_bins=20):
    """`[Z, F]` mutual information (nats) between histogram-discretised latents and the factors' classes."""
    latents, factors = _check(latents, factors)
    return discrete_mutual_information(histogram_discretize(latents, num_bins), factor_classes(factors, num_bins))


# ---- MIG ------------------------------------------------------------------------------------------
def mig(latents, factors, num_bins=20):
    """Mutual Information Gap in [0, 1] (disentanglement_lib's `discrete_mig`).

    Per factor j: `(I_1 - I_2) / H(y_j)`, with I_1 >= I_2 the two largest mutual informations between a
    discretised latent and the factor's classes (`factor_classes`); the mean over factors. A constant
    factor (zero entropy, where the library would divide by zero) is left out.

    Args:
        latents: `[N, Z]` codes (Z >= 2). factors: `[N, F]` true generating factors.
        num_bins: histogram bins per latent (and per continuous factor).
    Returns:
        float; about 1 when each factor is copied into exactly one latent, 0 for a constant or duplicated code.
    """
    latents, factors = _check(latents, factors)
    if latents.shape[1] < 2:
        raise ValueError("MIG needs at least 2 latents")
    classes = factor_classes(factors, num_bins)
    info = discrete_mutual_information(histogram_discretize(latents, num_bins), classes)
    entropy = discrete_entropy(classes)
    varying = entropy > 0
    if not varying.any():
        raise ValueError("every factor is constant; MIG is undefined")
    top = np.sort(info, axis=0)[::-1]
    return float(np.mean((top[0, varying] - top[1, varying]) / entropy[varying]))


# ---- DCI ------------------------------------------------------------------------------------------
def _normalised_entropy(weights, base):
    """Entropy of each column of `[K, C]` non-negative weights, normalised to a distribution, in base
    `base` -> `[C]`. As the library (scipy.stats.entropy of weights + 1e-11): an all-zero column is uniform."""
    p = np.asarray(weights, dtype=np.float64) + 1e-11
    p = p / p.sum(axis=0, keepdims=True)
    if base <= 1:
        return np.zeros(p.shape[1])
    return -(p * np.log(p)).sum(axis=0) / np.log(base)


def dci_disentanglement(importance):
    """DCI disentanglement of an importance matrix `[Z, F]` -> float in [0, 1].

    Per latent, 1 - the entropy (base F) of its importance row; weighted by the latent's share of the total
    importance (uniform weights when every importance is 0).
    """
    importance = np.asarray(importance, dtype=np.float64)
    per_code = 1.0 - _normalised_entropy(importance.T, importance.shape[1])
    weights = importance if importance.sum() > 0 else np.ones_like(importance)
    return float(np.sum(per_code * weights.sum(axis=1) / weights.sum()))


def dci_completeness(importance):
    """DCI completeness of an importance matrix `[Z, F]` -> float in [0, 1].

    Per factor, 1 - the entropy (base Z) of its importance column; weighted by the factor's share of the
    total importance, as disentanglement_lib (with the classifier's importances, each summing to 1 per
    factor, this is the mean over factors; uniform weights when every importance is 0).
    """
    importance = np.asarray(importance, dtype=np.float64)
    per_factor = 1.0 - _normalised_entropy(importance, importance.shape[0])
    weights = importance if importance.sum() > 0 else np.ones_like(importance)
    return float(np.sum(per_factor * weights.sum(axis=0) / weights.sum()))


def gbt_importance(latents_train, classes_train, latents_test, classes_test, random_state=0):
    """disentanglement_lib's gradient-boosted-tree probe: one default `GradientBoostingClassifier` per factor.

    Args:
        latents_train: `[N, Z]`, classes_train: int `[N, F]`; latents_test: `[T, Z]`, classes_test: int `[T, F]`.
        random_state: the classifiers' seed (with the default arguments it only breaks ties between features).
    Returns:
        `(importance [Z, F], train_accuracy [F], test_accuracy [F])`; a factor with one class in training has
        zero importance and NaN accuracies.
    """
    num_latents, num_factors = latents_train.shape[1], classes_train.shape[1]
    importance = np.zeros((num_latents, num_factors))
    train_accuracy, test_accuracy = np.full(num_factors, np.nan), np.full(num_factors, np.nan)
    for j in range(num_factors):
        if len(np.unique(classes_train[:, j])) < 2:
            continue
        model = ensemble.GradientBoostingClassifier(random_state=random_state)
        model.fit(latents_train, classes_train[:, j])
        importance[:, j] = np.abs(model.feature_importances_)
        train_accuracy[j] = np.mean(model.predict(latents_train) == classes_train[:, j])
        test_accuracy[j] = np.mean(model.predict(latents_test) == classes_test[:, j])
    return importance, train_accuracy, test_accuracy


def train_test_split(num_samples, train_fraction=0.8, seed=0):
    """A seeded random split of `num_samples` indices -> `(train [ceil(N * train_fraction)], test [rest])`."""
    num_train = int(np.ceil(num_samples * train_fraction))
    if not 1 <= num_train < num_samples:
        raise ValueError(f"train_fraction {train_fraction} leaves no train or no test samples out of {num_samples}")
    order = np.random.default_rng(seed).permutation(num_samples)
    return np.sort(order[:num_train]), np.sort(order[num_train:])


def dci(latents, factors, train_fraction=0.8, num_bins=20, seed=0):
    """DCI scores as disentanglement_lib's `compute_dci`.

    The factors are turned into classes (`factor_classes`, over all N samples), the samples split at random
    into train and test (`train_test_split`; the library draws two independent samples), and
    `gbt_importance` is fitted on the train part.

    Args:
        latents: `[N, Z]` codes, factors: `[N, F]` true generating factors.
        train_fraction: share of the samples used to fit the classifiers. num_bins: bins per continuous factor.
        seed: the split's and the classifiers' seed.
    Returns:
        `{"disentanglement", "completeness", "informativeness_train", "informativeness_test"}`, each in
        [0, 1]: `dci_disentanglement` and `dci_completeness` of the importance matrix, and the classifiers'
        mean train and test accuracy over factors (factors constant in training are left out of the means).
    """
    latents, factors = _check(latents, factors)
    classes = factor_classes(factors, num_bins)
    train, test = train_test_split(len(latents), train_fraction, seed)
    importance, train_accuracy, test_accuracy = gbt_importance(
        latents[train], classes[train], latents[test], classes[test], random_state=seed
    )
    if np.isnan(train_accuracy).all():
        raise ValueError("every factor is constant in the training split; DCI is undefined")
    return {
        "disentanglement": dci_disentanglement(importance),
        "completeness": dci_completeness(importance),
        "informativeness_train": float(np.nanmean(train_accuracy)),
        "informativeness_test": float(np.nanmean(test_accuracy)),
    }


# ---- FactorVAE score ------------------------------------------------------------------------------
def _batch_variance(codes, num_latents=None):
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2 or len(codes) < 2 or (num_latents is not None and codes.shape[1] != num_latents):
        expected = "Z" if num_latents is None else num_latents
        raise ValueError(f"expected codes [B, {expected}] with B >= 2, got {codes.shape}")
    return codes.var(axis=0, ddof=1)


def active_latents(global_codes, prune_threshold=0.05):
    """Latents that have not collapsed: `[M, Z]` -> `(variance [Z], active bool [Z])`, active where the
    latent's standard deviation over the global sample is at least `prune_threshold` (the library's
    `prune_dims`, which thresholds the scale sqrt(variance))."""
    variance = _batch_variance(global_codes)
    return variance, np.sqrt(variance) >= prune_threshold


def factor_vae_votes(batches, global_variance, active, num_factors):
    """FactorVAE votes: `[F, Z]` counts of (fixed factor, latent with the smallest normalised variance).

    Args:
        batches: iterable of `(factor_index, codes [B, Z])`, codes of a batch in which factor `factor_index`
            is held fixed and every other factor drawn at random.
        global_variance: `[Z]`, active: bool `[Z]` (`active_latents`); num_factors: F.
    Returns:
        int64 `[F, Z]`; each batch votes for the active latent minimising its variance in the batch over its
        global variance (ties: the lowest index). Votes are indexed by the latent's own index (the library
        indexes them by the latent's position among the active ones: the same when none is pruned).
    """
    active_index = np.flatnonzero(active)
    votes = np.zeros((num_factors, len(global_variance)), dtype=np.int64)
    for factor_index, codes in batches:
        if not 0 <= int(factor_index) < num_factors:
            raise ValueError(f"factor_index {factor_index} is outside [0, {num_factors})")
        normalised = _batch_variance(codes, len(global_variance))[active_index] / global_variance[active_index]
        votes[int(factor_index), active_index[np.argmin(normalised)]] += 1
    return votes


def majority_vote_accuracy(votes, classifier):
    """Share of the votes `[F, Z]` whose factor is `classifier [Z]`'s factor for their latent -> float."""
    total = votes.sum()
    if total == 0:
        raise ValueError("no votes")
    return float(votes[classifier, np.arange(votes.shape[1])].sum() / total)


def factor_vae_score(train_batches, eval_batches, global_codes, num_factors=None, prune_threshold=0.05):
    """FactorVAE score as disentanglement_lib's `compute_factor_vae`.

    Each latent is normalised by its variance over `global_codes`; latents whose global standard deviation is
    below `prune_threshold` are pruned (`active_latents`). Each batch votes `(factor, argmin latent)`
    (`factor_vae_votes`); the classifier maps each latent to the factor with most training votes (ties: the
    lowest factor index) and is scored on the training and the evaluation votes.

    Args:
        train_batches, eval_batches: iterables of `(factor_index, codes [B, Z])` (B >= 2), one vote each:
            the codes of B samples in which factor `factor_index` is fixed and all other factors are random
            (the library draws the factor uniformly for each vote, B = 64, 10000 train and 5000 eval votes).
        global_codes: `[M, Z]` codes of M >= 2 samples with every factor random (the library: M = 10000).
        num_factors: F; default 1 + the largest factor index of the batches.
        prune_threshold: minimum global standard deviation of an active latent (0.05 in the library's studies).
    Returns:
        `{"train_accuracy", "eval_accuracy", "num_active_dims"}`; accuracies are 0 when every latent is pruned.
    """
    train_batches, eval_batches = list(train_batches), list(eval_batches)
    if not train_batches or not eval_batches:
        raise ValueError("need at least one training and one evaluation batch")
    if num_factors is None:
        num_factors = 1 + max(int(k) for k, _ in train_batches + eval_batches)
    global_variance, active = active_latents(global_codes, prune_threshold)
    if not active.any():
        return {"train_accuracy": 0.0, "eval_accuracy": 0.0, "num_active_dims": 0}
    train_votes = factor_vae_votes(train_batches, global_variance, active, num_factors)
    eval_votes = factor_vae_votes(eval_batches, global_variance, active, num_factors)
    classifier = np.argmax(train_votes, axis=0)
    return {
        "train_accuracy": majority_vote_accuracy(train_votes, classifier),
        "eval_accuracy": majority_vote_accuracy(eval_votes, classifier),
        "num_active_dims": int(active.sum()),
    }
