"""Disentanglement scores where the generating factors are known (pure numpy).

- `mig`: Mutual Information Gap (Chen et al. 2018) on histogram-discretised latents and factors.
- `dci`: Disentanglement, Completeness, Informativeness (Eastwood & Williams 2018) with a
  ridge-regression probe: the importance of latent i for factor j is `|w_ij|` of a ridge regression
  of the standardised factor on the standardised latents (the paper's Lasso variant, without sklearn).
- `factor_correlation`, `best_latent_for_factor`: DC-IGN's Fig 6 and 4.1.1.

Shape key: N samples, Z latents, F factors.
"""

import numpy as np
from scipy import stats as scipy_stats


def _check(latents, factors):
    latents = np.asarray(latents, dtype=np.float64)
    factors = np.asarray(factors, dtype=np.float64)
    if latents.ndim != 2 or factors.ndim != 2 or len(latents) != len(factors):
        raise ValueError(
            f"expected latents [N, Z] and factors [N, F] with the same N, got {latents.shape} and {factors.shape}"
        )
    if len(latents) < 2:
        raise ValueError("need at least 2 samples")
    return latents, factors


def discretize(values, num_bins=20):
    """Histogram-discretises each column into `num_bins` equal-width bins. `[N, C]` -> int `[N, C]`.

    A constant column maps to a single bin. Columns with at most `num_bins` distinct values
    (already discrete factors) keep one bin per value.
    """
    values = np.asarray(values, dtype=np.float64)
    out = np.zeros(values.shape, dtype=np.int64)
    for c in range(values.shape[1]):
        column = values[:, c]
        unique = np.unique(column)
        if len(unique) <= num_bins:
            out[:, c] = np.searchsorted(unique, column)
        else:
            edges = np.histogram_bin_edges(column, bins=num_bins)
            out[:, c] = np.digitize(column, edges[1:-1])
    return out


def _entropy(labels):
    _, counts = np.unique(labels, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def _mutual_information(a, b):
    joint = a.astype(np.int64) * (b.max() + 1) + b
    return max(0.0, _entropy(a) + _entropy(b) - _entropy(joint))


def mutual_information_matrix(latents, factors, num_bins=20):
    """`[Z, F]` mutual information (nats) between discretised latents and factors."""
    latents, factors = _check(latents, factors)
    zd, fd = discretize(latents, num_bins), discretize(factors, num_bins)
    return np.array([[_mutual_information(zd[:, i], fd[:, j]) for j in range(fd.shape[1])] for i in range(zd.shape[1])])


def mig(latents, factors, num_bins=20):
    """Mutual Information Gap in [0, 1]: per factor, the gap between the two latents most informative
    about it divided by the factor's entropy, averaged over factors (factors with zero entropy skipped).

    Args:
        latents: `[N, Z]` codes (Z >= 2), factors: `[N, F]` true generating factors.
    Returns:
        float; about 1 when each factor is copied into exactly one latent, 0 for a constant code.
    """
    latents, factors = _check(latents, factors)
    if latents.shape[1] < 2:
        raise ValueError("MIG needs at least 2 latents")
    mi = mutual_information_matrix(latents, factors, num_bins)
    fd = discretize(factors, num_bins)
    gaps = []
    for j in range(factors.shape[1]):
        entropy = _entropy(fd[:, j])
        if entropy <= 0:
            continue
        top = np.sort(mi[:, j])[::-1]
        gaps.append((top[0] - top[1]) / entropy)
    if not gaps:
        raise ValueError("every factor is constant; MIG is undefined")
    return float(np.mean(gaps))


def _standardise(x):
    sd = x.std(axis=0)
    return np.divide(x - x.mean(axis=0), sd, out=np.zeros_like(x), where=sd > 0)


def importance_matrix(latents, factors, ridge=1e-3):
    """`[Z, F]` importances `|w_ij|` of a ridge regression of each standardised factor on the standardised latents."""
    latents, factors = _check(latents, factors)
    z, f = _standardise(latents), _standardise(factors)
    gram = z.T @ z / len(z) + ridge * np.eye(z.shape[1])
    weights = np.linalg.solve(gram, z.T @ f / len(z))
    return np.abs(weights)


def _normalised_entropy(p, base):
    p = p[p > 0]
    return float(-(p * np.log(p)).sum() / np.log(base)) if base > 1 else 0.0


def dci(latents, factors, ridge=1e-3, train_fraction=0.8):
    """DCI scores with a ridge-regression probe.

    Returns:
        `{"disentanglement", "completeness", "informativeness"}`, each in [0, 1]:
        disentanglement is 1 - entropy (base F) of each latent's importance over factors, weighted by the
        latent's share of total importance; completeness is the mean of 1 - entropy (base Z) of each
        factor's importance over latents; informativeness is the mean held-out R^2 (clipped at 0) of the
        probe on the last `1 - train_fraction` of the samples. A code with no importance scores 0.
    """
    latents, factors = _check(latents, factors)
    split = max(2, int(len(latents) * train_fraction))
    if split >= len(latents):
        raise ValueError("need more samples for a held-out split")
    r = importance_matrix(latents[:split], factors[:split], ridge)
    num_latents, num_factors = r.shape
    total = r.sum()
    if total <= 1e-12:
        disentanglement = completeness = 0.0
    else:
        row = r.sum(axis=1)
        d_i = np.array(
            [1.0 - _normalised_entropy(r[i] / row[i], num_factors) if row[i] > 0 else 0.0 for i in range(num_latents)]
        )
        disentanglement = float((d_i * row / total).sum())
        col = r.sum(axis=0)
        c_j = np.array(
            [
                1.0 - _normalised_entropy(r[:, j] / col[j], num_latents) if col[j] > 0 else 0.0
                for j in range(num_factors)
            ]
        )
        completeness = float(c_j.mean())
    informativeness = _held_out_r2(latents, factors, split, ridge)
    return {"disentanglement": disentanglement, "completeness": completeness, "informativeness": informativeness}


def _held_out_r2(latents, factors, split, ridge):
    mean_z, sd_z = latents[:split].mean(0), latents[:split].std(0)
    z = np.divide(latents - mean_z, sd_z, out=np.zeros_like(latents), where=sd_z > 0)
    mean_f = factors[:split].mean(0)
    f = factors - mean_f
    gram = z[:split].T @ z[:split] / split + ridge * np.eye(z.shape[1])
    weights = np.linalg.solve(gram, z[:split].T @ f[:split] / split)
    residual = f[split:] - z[split:] @ weights
    variance = np.square(f[split:] - f[split:].mean(0)).sum(0)
    scores = [
        max(0.0, 1.0 - float(np.square(residual[:, j]).sum() / variance[j]))
        for j in range(f.shape[1])
        if variance[j] > 0
    ]
    return float(np.mean(scores)) if scores else 0.0


def factor_correlation(latent, factor):
    """Pearson correlation of one latent with its true factor (DC-IGN Fig 6).

    Args:
        latent, factor: `[N]`.
    Returns:
        `{"pearson_r", "pearson_p", "spearman_rho"}`; r and rho are 0 (p = 1) when either is constant.
    """
    latent = np.asarray(latent, dtype=np.float64).reshape(-1)
    factor = np.asarray(factor, dtype=np.float64).reshape(-1)
    if latent.shape != factor.shape or len(latent) < 3:
        raise ValueError(f"expected two [N] arrays with N >= 3, got {latent.shape} and {factor.shape}")
    if np.ptp(latent) == 0 or np.ptp(factor) == 0:
        return {"pearson_r": 0.0, "pearson_p": 1.0, "spearman_rho": 0.0}
    r, p = scipy_stats.pearsonr(latent, factor)
    rho = scipy_stats.spearmanr(latent, factor).statistic
    return {"pearson_r": float(r), "pearson_p": float(p), "spearman_rho": float(rho)}


def best_latent_for_factor(latents, factor):
    """Index of the latent with the largest |Pearson r| with `factor`. `[N, Z]`, `[N]` -> int."""
    latents = np.asarray(latents, dtype=np.float64)
    scores = [abs(factor_correlation(latents[:, i], factor)["pearson_r"]) for i in range(latents.shape[1])]
    return int(np.argmax(scores))
