"""Example generation for the tfds builders: spec + split -> (key, example) in a fixed order.

Shape key: S image side, D volume side, T frames, G group size, P poses, K shape coefficients,
A albedo coefficients. Every example is a function of (spec, split, index) only (seeded per example or per
identity), so examples are byte-identical across runs and keys are stable. Images are uint8.
"""

import numpy as np

from tf_ivg.data import factors as F
from tf_ivg.data import specs as SP
from tf_ivg.data.synthetic import group_factors
from tf_ivg.graphics import render, voxelize

RENDER_BATCH = 32
SMALL_VOLUME = 32  # up to this side, voxelize eagerly (one SDF pass; XLA's compile time dominates)


def _vox_mode(side):
    return "eager" if side <= SMALL_VOLUME else "xla"


def _u8(images):
    return np.round(np.clip(images, 0.0, 1.0) * 255.0).astype(np.uint8)


def _split_index(split):
    return SP.SPLITS.index(SP.check_split(split))


def identity_ids(spec, split, indices):
    """Global identity ids of identity slots `indices` [N] in `split` (disjoint across splits)."""
    return _split_index(split) * SP.ID_STRIDE + np.asarray(indices, np.int64)


def _render(spec, ids, f, grayscale=False):
    _, params = F.identity_coefficients(spec.family, ids)
    images, _ = render.render(
        spec.family,
        params,
        f["azimuth"],
        f["elevation"],
        f["light"],
        f["ambient"],
        spec.image_size,
        grayscale=grayscale,
        mode="xla",
        batch_size=RENDER_BATCH,
    )
    return _u8(images)


def _coefficient_features(spec, ids):
    coeffs, _ = F.identity_coefficients(spec.family, ids)
    out = {
        "label_identity": np.asarray(ids, np.int64),
        "value_shape": coeffs["shape"],
        "value_albedo": coeffs["albedo"],
    }
    if spec.family == "chairs":
        out["label_style"] = coeffs["style"]
    return out


def _volumes_chunk(spec, split, start, stop):
    views = len(spec.azimuths) * len(spec.ambients)
    idx = np.arange(start, stop)
    slots, view = idx // views, idx % views
    ids = identity_ids(spec, split, slots)
    az_i, amb_i = view // len(spec.ambients), view % len(spec.ambients)
    n = len(idx)
    f = {
        "azimuth": np.asarray(spec.azimuths, np.float32)[az_i],
        "elevation": np.zeros(n, np.float32),
        "light": np.full(n, spec.light, np.float32),
        "ambient": np.asarray(spec.ambients, np.float32)[amb_i],
    }
    images = _render(spec, ids, f)
    uniq, inverse = np.unique(ids, return_inverse=True)
    _, params = F.identity_coefficients(spec.family, uniq)
    vols = voxelize.voxelize(spec.family, params, spec.volume_size, mode=_vox_mode(spec.volume_size))
    coef = _coefficient_features(spec, ids)
    for j in range(n):
        ex = {
            "image": images[j],
            "volume": vols[inverse[j]],
            "label_azimuth": np.int64(az_i[j]),
            "label_ambient": np.int64(amb_i[j]),
        }
        ex.update({f"value_{k}": np.float32(v[j]) for k, v in f.items()})
        ex.update({k: v[j] for k, v in coef.items()})
        yield idx[j], ex


def _video_chunk(spec, split, start, stop):
    idx = np.arange(start, stop)
    ids = identity_ids(spec, split, idx)
    t = spec.frames
    lo, hi = F.RANGES[spec.family]["azimuth"]
    lo, hi = max(lo, -np.pi / 2), min(hi, np.pi / 2)
    azimuths = np.linspace(lo, hi, t).astype(np.float32)
    per_clip = []
    for i in idx:
        rng = np.random.default_rng([spec.seed, _split_index(split), int(i)])
        per_clip.append([rng.uniform(*F.RANGES[spec.family]["light"]), rng.uniform(*F.RANGES[spec.family]["ambient"])])
    per_clip = np.asarray(per_clip, np.float32)
    n = len(idx)
    f = {
        "azimuth": np.tile(azimuths, n),
        "elevation": np.zeros(n * t, np.float32),
        "light": np.repeat(per_clip[:, 0], t),
        "ambient": np.repeat(per_clip[:, 1], t),
    }
    images = _render(spec, np.repeat(ids, t), f).reshape(n, t, spec.image_size, spec.image_size, 3)
    _, params = F.identity_coefficients(spec.family, ids)
    vols = voxelize.voxelize(spec.family, params, spec.volume_size, mode=_vox_mode(spec.volume_size))
    coef = _coefficient_features(spec, ids)
    for j in range(n):
        ex = {
            "image": images[j],
            "volume": vols[j],
            "value_azimuth": azimuths,
            "value_elevation": np.float32(0.0),
            "value_light": per_clip[j, 0],
            "value_ambient": per_clip[j, 1],
        }
        ex.update({k: v[j] for k, v in coef.items()})
        yield idx[j], ex


def _poses_chunk(spec, split, start, stop):
    """Objects start..stop-1, each rendered in grayscale at every pose of the spec's grid."""
    idx = np.arange(start, stop)
    ids = identity_ids(spec, split, idx)
    az, el, az_i, el_i = spec.poses
    n, p = len(idx), len(az)
    f = {
        "azimuth": np.tile(az, n),
        "elevation": np.tile(el, n),
        "light": np.full(n * p, spec.light, np.float32),
        "ambient": np.full(n * p, spec.ambients[0], np.float32),
    }
    images = _render(spec, np.repeat(ids, p), f, grayscale=True)
    images = images.reshape(n, p, spec.image_size, spec.image_size, 1)
    coef = _coefficient_features(spec, ids)
    for j in range(n):
        ex = {
            "images": images[j],
            "value_azimuth": az,
            "value_elevation": el,
            "label_azimuth": az_i.astype(np.int64),
            "label_elevation": el_i.astype(np.int64),
            "value_light": np.float32(spec.light),
            "value_ambient": np.float32(spec.ambients[0]),
        }
        ex.update({k: v[j] for k, v in coef.items()})
        yield idx[j], ex


def _dcign_chunk(spec, split, start, stop):
    s = _split_index(split)
    pool = identity_ids(spec, split, np.arange(spec.identities[s]))
    groups = []
    for i in range(start, stop):
        rng = np.random.default_rng([spec.seed, s, i])
        factor = spec.dcign_factors[i % len(spec.dcign_factors)]
        groups.append(group_factors(factor, spec.group_size, spec.family, rng, identity_pool=pool))
    keys = ("azimuth", "elevation", "light", "ambient")
    flat = {k: np.concatenate([g[1][k] for g in groups]).astype(np.float32) for k in keys}
    ids = np.concatenate([g[1]["identity"] for g in groups])
    g = spec.group_size
    images = _render(spec, ids, flat, grayscale=True).reshape(-1, g, spec.image_size, spec.image_size, 1)
    coef = _coefficient_features(spec, ids)
    for j, (fid, f) in enumerate(groups):
        sl = slice(j * g, (j + 1) * g)
        ex = {"images": images[j], "factor_id": np.int32(fid)}
        ex.update({f"value_{k}": f[k].astype(np.float32) for k in keys})
        ex.update({k: v[sl] for k, v in coef.items()})
        yield start + j, ex


_CHUNK = {"volumes": _volumes_chunk, "video": _video_chunk, "dcign": _dcign_chunk, "poses": _poses_chunk}


def chunk_size(spec):
    """Examples per generation chunk (about 4 render batches)."""
    per_example = {
        "volumes": 1,
        "video": spec.frames,
        "dcign": spec.group_size,
        "poses": len(spec.azimuths) * len(spec.elevations),
    }[spec.kind]
    if spec.kind == "volumes":  # whole identities, so each volume is made once
        views = len(spec.azimuths) * len(spec.ambients)
        return views * max(1, (4 * RENDER_BATCH) // views)
    return max(1, (4 * RENDER_BATCH) // per_example)


def iter_examples(spec, split, start=0, stop=None):
    """Yields (key, example dict of numpy values) for examples start..stop-1 of `split`."""
    n = spec.num_examples(split)
    stop = n if stop is None else min(stop, n)
    size = chunk_size(spec)
    for s in range(start, stop, size):
        for i, ex in _CHUNK[spec.kind](spec, split, s, min(s + size, stop)):
            yield f"{split}_{int(i):07d}", ex
