"""`tf_ivg.latent_factors`: latent <-> radians lines of a DC-IGN and the per-factor scores, on hand-made codes."""

import numpy as np
import pytest

from tf_ivg import latent_factors as cal
from tf_ivg.data.factors import RANGES
from tf_ivg.latent_factors import latent_scores


def test_fit_line_recovers_a_known_line_and_stores_the_training_range():
    values = np.linspace(-1.0, 1.0, 41)
    latent = 2.5 * values - 0.75
    line = cal.fit_line(latent, values, "faces", "light")
    assert line["slope"] == pytest.approx(2.5) and line["intercept"] == pytest.approx(-0.75)
    assert line["pearson_r"] == pytest.approx(1.0)
    assert line["range"] == list(RANGES["faces"]["light"]) and line["examples"] == 41
    assert cal.to_latent({"light": line}, "light", 0.4) == pytest.approx(2.5 * 0.4 - 0.75)


def test_to_latent_refuses_what_it_cannot_do():
    line = cal.fit_line(np.arange(5.0), np.arange(5.0) / 10, "faces", "azimuth")
    calibration = {"azimuth": line}
    low, high = RANGES["faces"]["azimuth"]
    with pytest.raises(ValueError, match=r"outside the range the model was trained on, \[-1.571, 1.571\]"):
        cal.to_latent(calibration, "azimuth", high + 0.1)
    assert cal.to_latent(calibration, "azimuth", low) == pytest.approx(line["slope"] * low + line["intercept"])
    with pytest.raises(ValueError, match="unknown factor 'colour'"):
        cal.to_latent(calibration, "colour", 0.0)
    with pytest.raises(ValueError, match="no latent of its own for light"):
        cal.to_latent(calibration, "light", 0.0)
    with pytest.raises(ValueError, match=">= 3 pairs"):
        cal.fit_line([1.0, 2.0], [0.1, 0.2])


def test_latent_scores_by_hand():
    rng = np.random.default_rng(0)
    values = rng.uniform(-1, 1, 60)
    group = np.repeat(np.arange(3), 20)
    codes = rng.normal(size=(60, 4))
    codes[:, 2] = -3.0 * values + 0.01 * rng.normal(size=60)  # latent 2 tracks the factor (negatively)
    codes[:, 0] = group  # latent 0: constant within groups, unrelated to the factor
    scores = latent_scores(codes, values, group, index=0)
    assert scores["best_latent"] == 2 and scores["best_latent_r"] < -0.99
    assert scores["within_group_r"] == 0.0  # constant within each group
    scores = latent_scores(codes, values, group, index=2)
    assert scores["pearson_r"] < -0.99 and scores["spearman_rho"] < -0.99 and scores["within_group_r"] < -0.99
    assert scores["latent"] == 2 and scores["images"] == 60
