"""Generating factors: names, DC-IGN ids, ranges per family, and identity -> coefficients.

Shape key: N examples, K shape coefficients, A albedo coefficients.
An identity is an int; its coefficients come from a generator seeded by (family, identity), so the
same id always gives the same face or chair, whatever batch it is rendered in.
"""

import numpy as np

from tf_ivg.graphics import families

# DC-IGN factors, in the order of their ids (docs/CONTRACTS.md): the one list the data and DCIGN share.
FACTOR_NAMES = ("azimuth", "elevation", "light", "identity")
FACTOR_IDS = {name: i for i, name in enumerate(FACTOR_NAMES)}

# Continuous factor ranges (radians; ambient in [0, 1]).
RANGES = {
    "faces": {
        "azimuth": (-np.pi / 2, np.pi / 2),
        "elevation": (-0.35, 0.35),
        "light": (-1.3, 1.3),
        "ambient": (0.15, 0.7),
    },
    "chairs": {"azimuth": (-np.pi, np.pi), "elevation": (0.15, 0.6), "light": (-1.3, 1.3), "ambient": (0.15, 0.7)},
}
_LIMITS = {
    "azimuth": (-np.pi, np.pi),
    "elevation": (-np.pi / 2, np.pi / 2),
    "light": (-np.pi, np.pi),
    "ambient": (0.0, 1.0),
}
_FAMILY_SEED = {"faces": 7301, "chairs": 9203}


def check_family(family):
    families.get(family)
    return family


def check_range(name, lo, hi):
    """ValueError unless lo <= hi lie within the factor's physical limits."""
    if name not in _LIMITS:
        raise ValueError(f"unknown factor {name!r}; expected one of {sorted(_LIMITS)}")
    a, b = _LIMITS[name]
    if not (a - 1e-9 <= lo <= hi <= b + 1e-9):
        raise ValueError(f"impossible {name} range ({lo}, {hi}): need {a:.4g} <= low <= high <= {b:.4g}")
    return float(lo), float(hi)


def factor_id(factor):
    """Accepts a factor name or id; returns the id. ValueError otherwise."""
    if isinstance(factor, str):
        if factor not in FACTOR_IDS:
            raise ValueError(f"unknown DC-IGN factor {factor!r}; expected one of {list(FACTOR_IDS)}")
        return FACTOR_IDS[factor]
    if isinstance(factor, (int, np.integer)) and 0 <= int(factor) < len(FACTOR_NAMES):
        return int(factor)
    raise ValueError(f"DC-IGN factor must be a name in {list(FACTOR_IDS)} or an id 0-3, got {factor!r}")


def identity_coefficients(family, identities):
    """Per-identity coefficients. identities [N] ints ->
    dict(shape [N, K], albedo [N, A], style [N] (chairs only)) and params [N, P] float32."""
    fam = families.get(family)
    ids = np.asarray(identities, np.int64).reshape(-1)
    if np.any(ids < 0):
        raise ValueError("identity ids must be non-negative")
    shapes, albedos, styles = [], [], []
    for i in ids:
        rng = np.random.default_rng([_FAMILY_SEED[family], int(i)])
        c = fam.sample_coefficients(rng, 1)
        if family == "chairs":
            styles.append(c[0][0])
            c = c[1:]
        shapes.append(c[0][0])
        albedos.append(c[1][0])
    out = {
        "shape": np.array(shapes, np.float32).reshape(len(ids), fam.NUM_SHAPE),
        "albedo": np.array(albedos, np.float32).reshape(len(ids), fam.NUM_ALBEDO),
    }
    if family == "chairs":
        out["style"] = np.array(styles, np.int64)
        params = fam.params_from_coefficients(out["style"], out["shape"], out["albedo"])
    else:
        params = fam.params_from_coefficients(out["shape"], out["albedo"])
    return out, params
