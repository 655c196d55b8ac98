"""A DC-IGN's named latents in the factors' own units: `z_f = slope * value + intercept`, fitted on groups in
which only factor f varies (the groups of training, on unseen identities).

Shape key: N images, Z latents. Values are radians (azimuth, elevation, light azimuth).

`calibrate(model)` fits the lines on freshly rendered groups; `fit_line(latent, values)` fits one from codes
you already have (the pretrained build uses the test split's groups); `to_latent(calibration, factor, value)`
maps a value to the latent, refusing values outside the range the model was trained on.
"""

import numpy as np

from tf_ivg.data.factors import RANGES

FACTORS = ("azimuth", "elevation", "light")


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
