"""In-memory generators (no tfds): image/volume pairs (via `tf_ivg.data.scenes.Scenes`) and DC-IGN
single-factor groups.

Shape key: N examples, S image side, D volume side, G group size, K shape coefficients.
"""

import numpy as np

from tf_ivg.data import factors as F
from tf_ivg.graphics import sphere_tracing


def _positive(name, value):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _uniform(rng, family, name, n):
    lo, hi = F.RANGES[family][name]
    return rng.uniform(lo, hi, n).astype(np.float32)


def make_volume_pairs(num, image_size, volume_size, family="faces", seed=0, progress=False):
    """`num` random identities in random poses and lighting (the family's `RANGES`), each with its volume.

    The one in-memory pair generator: `Scenes(family, image_size, volume_size).pairs(num, seed)`, which the
    `generated/<family>` training configs, the demo, the pretrained builds and the experiments use.

    Returns:
      numpy `(images [N, S, S, 3] float32 in [0, 1], volumes [N, D, D, D] float32 in {0, 1}, factors)`;
      factors: azimuth, elevation, light, ambient `[N]` float32, identity `[N]` int64, shape `[N, K]`,
      albedo `[N, A]` float32, and style `[N]` int64 for chairs.
    """
    from tf_ivg.data.scenes import Scenes

    F.check_family(family)
    num = _positive("num", num)
    return Scenes(family, image_size=image_size, volume_size=volume_size).pairs(num, seed=seed, progress=progress)


def group_factors(factor, group_size, family, rng, identity_pool=None):
    """Factor values [G] for one single-factor group: the named factor varies, the rest are fixed.

    identity_pool: optional [M] ids to draw identities from (for disjoint splits); default any id.
    """
    fid = F.factor_id(factor)
    name = F.FACTOR_NAMES[fid]
    g = _positive("group_size", group_size)
    if name == "identity" and g < 2:
        raise ValueError("an identity group needs group_size >= 2")

    def draw_ids(n):
        if identity_pool is None:
            return rng.choice(2**31 - 1, n, replace=False)
        pool = np.asarray(identity_pool)
        if n > len(pool):
            raise ValueError(f"need {n} distinct identities but the pool has {len(pool)}")
        return rng.choice(pool, n, replace=False)

    base = {k: _uniform(rng, family, k, 1) for k in ("azimuth", "elevation", "light", "ambient")}
    out = {k: np.repeat(v, g) for k, v in base.items()}
    if name == "identity":
        out["identity"] = draw_ids(g).astype(np.int64)
    else:
        out["identity"] = np.repeat(draw_ids(1), g).astype(np.int64)
        out[name] = _uniform(rng, family, name, g)
    return fid, out


def make_dcign_group(factor, group_size, image_size, family="faces", seed=0):
    """One DC-IGN training group: `group_size` grayscale images where only `factor` varies.

    factor: "azimuth", "elevation", "light", "identity" or its id (FACTOR_IDS).
    Returns numpy (images [G, S, S, 1] float32 in [0, 1], factor_id int, factors dict of [G]
    arrays: azimuth, elevation, light, ambient, identity, plus shape [G, K], albedo [G, A]).
    """
    image_size = _positive("image_size", image_size)
    F.check_family(family)
    rng = np.random.default_rng([int(seed), 23])
    fid, f = group_factors(factor, group_size, family, rng)
    coeffs, params = F.identity_coefficients(family, f["identity"])
    images, _ = sphere_tracing.render(
        family, params, f["azimuth"], f["elevation"], f["light"], f["ambient"], image_size, grayscale=True
    )
    f.update(coeffs)
    return images, fid, f
