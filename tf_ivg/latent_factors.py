"""How a DC-IGN's named latents relate to the true factors (Kulkarni et al. 2015, Fig 6), on unseen faces.

Shape key: G groups per factor, N images per group, M = G * N images, Z latents. Values are radians
(azimuth, elevation, light azimuth).

Scores. `factor_scores` renders G groups in which only one factor varies (random identities:
`Scenes.vary`, seeds `seed + 1000 * k + g` for factor k's group g, as `tf-ivg reproduce latent_factors`
uses), encodes them (posterior means) and reports for the factor's own latent: Pearson r and Spearman rho
over all M images, the mean within-group Pearson r, and the latent that tracks the factor best (largest
|Pearson r|) with its r (`latent_scores` does it for codes you have).

Calibration. `z_f = slope * value + intercept`, fitted on groups in which only factor f varies:
`calibrate(model)` on freshly rendered groups, `fit_line(latent, values)` on codes you have;
`to_latent(calibration, factor, value)` maps a value to the latent (what `tf-ivg rerender` does),
refusing values outside the range the model was trained on.
"""

import numpy as np
from scipy import stats

from tf_ivg.data.factors import RANGES

FACTORS = ("azimuth", "elevation", "light")


def encode_groups(model, factor, num_groups, group_size, seed=0, family="faces"):
    """`(codes [G*N, Z], values [G*N], group [G*N], identities [G])` for G rendered groups varying `factor`."""
    from tf_ivg.data.scenes import Scenes

    k = FACTORS.index(factor)
    scenes = Scenes(family, image_size=model.image_size, grayscale=model.channels == 1)
    codes, values, identities = [], [], []
    for g in range(num_groups):
        images, factors = scenes.vary(factor, group_size, seed=seed + 1000 * k + g)
        codes.append(np.asarray(model.encode(images), np.float64))
        values.append(factors[factor])
        identities.append(int(factors["identity"][0]))
    group = np.repeat(np.arange(num_groups), group_size)
    return np.concatenate(codes), np.concatenate(values).astype(np.float64), group, np.asarray(identities)


def _pearson(x, y):
    return float(np.corrcoef(x, y)[0, 1]) if np.ptp(x) > 0 and np.ptp(y) > 0 else 0.0


def latent_scores(codes, values, group, index):
    """Scores of latent `index` of `codes [M, Z]` against `values [M]` (groups labelled by `group [M]`)."""
    latent = codes[:, index]
    all_r = np.array([_pearson(codes[:, j], values) for j in range(codes.shape[1])])
    within = [_pearson(latent[group == g], values[group == g]) for g in np.unique(group)]
    best = int(np.argmax(np.abs(all_r)))
    return {
        "latent": int(index),
        "pearson_r": float(all_r[index]),
        "spearman_rho": float(stats.spearmanr(latent, values).statistic),
        "within_group_r": float(np.mean(within)),
        "best_latent": best,
        "best_latent_r": float(all_r[best]),
        "images": int(len(values)),
    }


def factor_scores(model, family="faces", num_groups=25, group_size=20, seed=0, latents=None):
    """`{factor: latent_scores(...)}` for the factors with a latent of their own.

    Args:
      model: a DCIGN. latents: `{factor: index}` to score other latents (the entangled baseline's chosen
        ones); default each factor's own latent (`model.factor_latents`).

    Returns:
      dict per factor, plus `"identities"`: the rendered groups' identities (to check them against training's).
    """
    out, identities = {}, []
    for factor in FACTORS:
        if latents is not None:
            if factor not in latents:
                continue
            index = int(latents[factor])
        else:
            start, stop = model.factor_latents[factor]
            if stop - start != 1:
                continue
            index = start
        codes, values, group, ids = encode_groups(model, factor, num_groups, group_size, seed, family)
        out[factor] = latent_scores(codes, values, group, index)
        identities.extend(ids.tolist())
    out["identities"] = identities
    return out


def fit_line(latent, values, family="faces", factor=None):
    """Least-squares `latent ~ slope * values + intercept`.

    Args:
      latent: `[N]` one latent's posterior means. values: `[N]` the factor's true values.
      family, factor: name the training range stored with the line (`RANGES[family][factor]`).

    Returns:
      dict: `slope`, `intercept`, `pearson_r`, `range` ([low, high] of the factor in training), `examples`.
    """
    latent = np.asarray(latent, np.float64).reshape(-1)
    values = np.asarray(values, np.float64).reshape(-1)
    if latent.shape != values.shape or len(values) < 3 or np.ptp(values) == 0:
        raise ValueError(
            f"fit_line needs >= 3 pairs with varying values; got latent {latent.shape}, values {values.shape}"
        )
    slope, intercept = np.polyfit(values, latent, 1)
    r = float(np.corrcoef(values, latent)[0, 1]) if np.ptp(latent) > 0 else 0.0
    low, high = RANGES[family][factor] if factor else (float(values.min()), float(values.max()))
    return {
        "slope": float(slope),
        "intercept": float(intercept),
        "pearson_r": r,
        "range": [float(low), float(high)],
        "examples": int(len(values)),
    }


def calibrate(model, family="faces", num_groups=8, group_size=20, seed=12345):
    """`{factor: fit_line(...)}` for each of azimuth, elevation and light that `model` (a DCIGN) names in
    its own latent, from `num_groups` freshly rendered groups per factor (random identities)."""
    from tf_ivg.data.scenes import Scenes

    scenes = Scenes(family, image_size=model.image_size, grayscale=model.channels == 1)
    out = {}
    for k, factor in enumerate(FACTORS):
        start, stop = model.factor_latents[factor]
        if stop - start != 1:
            continue  # shared with other factors (chairs): no latent of its own
        latents, values = [], []
        for g in range(num_groups):
            images, factors = scenes.vary(factor, group_size, seed=seed + 1000 * k + g)
            latents.append(np.asarray(model.encode(images))[:, start])
            values.append(factors[factor])
        out[factor] = fit_line(np.concatenate(latents), np.concatenate(values), family, factor)
    return out


def to_latent(calibration, factor, value):
    """The latent value that renders `factor` at `value` (radians), by `calibration[factor]`'s line.

    Raises:
      ValueError: an unknown or uncalibrated factor, or a value outside the training range.
    """
    if factor not in FACTORS:
        raise ValueError(f"unknown factor {factor!r}; expected one of {list(FACTORS)}")
    if factor not in calibration:
        raise ValueError(f"this model has no latent of its own for {factor}; it can re-render {sorted(calibration)}")
    line = calibration[factor]
    low, high = line["range"]
    if not low - 1e-9 <= float(value) <= high + 1e-9:
        raise ValueError(
            f"{factor} {value} is outside the range the model was trained on, [{low:.4g}, {high:.4g}] (radians)"
        )
    return line["slope"] * float(value) + line["intercept"]
