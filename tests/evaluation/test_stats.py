import numpy as np
import pytest
from scipy import stats

from tf_ivg.evaluation.stats import paired_ttest


def test_paired_ttest_agrees_with_scipy():
    rng = np.random.default_rng(0)
    a = rng.normal(0.0096, 0.0013, size=200)
    b = a + rng.normal(0.007, 0.004, size=200)
    result = paired_ttest(a, b)
    reference = stats.ttest_rel(a, b)
    assert result.t == pytest.approx(reference.statistic, rel=1e-10)
    assert result.p == pytest.approx(reference.pvalue, rel=1e-8, abs=1e-300)
    assert result.dof == 199
    assert result.sd_a == pytest.approx(np.std(a, ddof=1))
    assert 0.0 <= result.p <= 1.0
    assert "t(199)" in result.apa("prediction", "neighbour")


def test_paired_ttest_hand_computed():
    # differences [1, 2, 3]: mean 2, SD 1, t = 2 / (1 / sqrt 3)
    result = paired_ttest([2.0, 4.0, 6.0], [1.0, 2.0, 3.0])
    assert result.t == pytest.approx(2.0 * np.sqrt(3.0))
    assert result.p == pytest.approx(stats.ttest_rel([2.0, 4.0, 6.0], [1.0, 2.0, 3.0]).pvalue)


def test_identical_scores_give_p_one():
    result = paired_ttest([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert result.t == 0.0 and result.p == 1.0


def test_bad_input():
    with pytest.raises(ValueError, match="same length"):
        paired_ttest([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="at least 2"):
        paired_ttest([1.0], [2.0])
