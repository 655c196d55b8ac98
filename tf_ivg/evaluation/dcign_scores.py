"""How well a DC-IGN's named latents track their factors (Kulkarni et al. 2015, Fig 6), on unseen faces.

Shape key: G groups per factor, N images per group, Z latents.

For each of azimuth, elevation and light, `factor_scores` renders G groups in which only that factor
varies (random identities: `Scenes.vary`, the seeds `seed + 1000 * k + g` of factor k's group g, as
`tf-ivg reproduce latent_factors` uses), encodes them (posterior means) and reports for the factor's own
latent: Pearson r and Spearman rho over all G * N images, the mean within-group Pearson r, and which latent
tracks the factor best (largest |Pearson r|) with its r.
"""

import numpy as np
from scipy import stats

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
