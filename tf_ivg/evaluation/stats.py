"""Paired-samples t-test as reported in Grant et al. 2016 (sections 4.3 and 4.7).

Shape key: N paired observations.
"""

import dataclasses

import numpy as np
from scipy import stats as scipy_stats


@dataclasses.dataclass(frozen=True)
class PairedTTest:
    """Result of `paired_ttest(a, b)`: means and SDs (ddof=1) of both conditions, t, dof, two-sided p."""

    n: int
    mean_a: float
    sd_a: float
    mean_b: float
    sd_b: float
    t: float
    dof: int
    p: float

    def apa(self, name_a="a", name_b="b"):
        """One line in the papers' style: `a (M = ..., SD = ...) vs b (...); t(dof) = ..., p = ...`."""
        return (
            f"{name_a} (M = {self.mean_a:.4g}, SD = {self.sd_a:.2g}) vs {name_b} (M = {self.mean_b:.4g}, "
            f"SD = {self.sd_b:.2g}); t({self.dof}) = {self.t:.4f}, p = {self.p:.4e}"
        )


def paired_ttest(a, b):
    """Two-sided paired-samples t-test of `a - b` (agrees with `scipy.stats.ttest_rel(a, b)`).

    Args:
        a, b: `[N]` paired scores, N >= 2.
    Returns:
        PairedTTest. With all differences zero, t = 0 and p = 1 (no evidence of a difference).
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1)
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    if a.shape != b.shape:
        raise ValueError(f"paired scores must have the same length, got {a.shape[0]} and {b.shape[0]}")
    if a.shape[0] < 2:
        raise ValueError(f"a paired t-test needs at least 2 pairs, got {a.shape[0]}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("paired scores must be finite")
    n = a.shape[0]
    diff = a - b
    sd_diff = diff.std(ddof=1)
    dof = n - 1
    if sd_diff == 0.0:
        mean_diff = diff.mean()
        t = 0.0 if mean_diff == 0.0 else float(np.sign(mean_diff) * np.inf)
        p = 1.0 if mean_diff == 0.0 else 0.0
    else:
        t = float(diff.mean() / (sd_diff / np.sqrt(n)))
        p = float(2.0 * scipy_stats.t.sf(abs(t), dof))
    return PairedTTest(
        n=n,
        mean_a=float(a.mean()),
        sd_a=float(a.std(ddof=1)),
        mean_b=float(b.mean()),
        sd_b=float(b.std(ddof=1)),
        t=t,
        dof=dof,
        p=p,
    )
