"""What the tfds builders `ivg_faces` and `ivg_chairs` store: a spec's features and its examples.

`features_for(spec)` is the tfds feature schema of a config and `iter_examples(spec, split)` yields
its (key, example) pairs in a fixed order. Both builders (`tf_ivg_datasets.ivg_faces`,
`tf_ivg_datasets.ivg_chairs`) call these two functions; benchmarks and tests call them without a builder.

Shape key: S image side, D volume side, T frames, G group size, P poses, K shape coefficients,
A albedo coefficients. Every example is a function of (spec, split, index) only (seeded per example or per
identity), so examples are byte-identical across runs and keys are stable. Images are uint8.

Features per config kind:
- volumes: image [S,S,3] uint8 (PNG), volume [D,D,D] uint8 (zlib), label_azimuth / label_ambient
  (grid indices), value_azimuth, value_elevation, value_light, value_ambient float32.
- video: image [T,S,S,3] uint8 (zlib), volume, value_azimuth [T], other value_* scalars.
- dcign: images [G,S,S,1] uint8 (zlib), factor_id int32, value_* [G] float32, label_identity [G].
- poses: images [P,S,S,1] uint8 (zlib) of one object at P poses, value_azimuth / value_elevation [P]
  float32, label_azimuth / label_elevation [P] (grid indices), value_light, value_ambient scalars.
All kinds: label_identity int64, value_shape [K], value_albedo [A] (per image in dcign groups),
and label_style for chairs.
"""

import numpy as np
import tensorflow_datasets as tfds

from tf_ivg.data import factors as F
from tf_ivg.data import specs as SP
from tf_ivg.data.synthetic import group_factors
from tf_ivg.graphics import families, sphere_tracing, voxelize

RENDER_BATCH = 32
SMALL_VOLUME = 32  # up to this side, voxelize eagerly (one SDF pass; XLA's compile time dominates)
ZLIB = tfds.features.Encoding.ZLIB


def features_for(spec):
    """The tfds FeaturesDict of `spec`'s examples (see the module docstring)."""
    fam = families.get(spec.family)
    s, k, a = spec.image_size, fam.NUM_SHAPE, fam.NUM_ALBEDO
    f32, i64 = np.float32, np.int64
    values = ("azimuth", "elevation", "light", "ambient")
    if spec.kind == "poses":
        p = len(spec.azimuths) * len(spec.elevations)
        feats = {
            "images": tfds.features.Tensor(shape=(p, s, s, 1), dtype=np.uint8, encoding=ZLIB),
            "label_identity": tfds.features.Scalar(dtype=i64),
            "value_shape": tfds.features.Tensor(shape=(k,), dtype=f32),
            "value_albedo": tfds.features.Tensor(shape=(a,), dtype=f32),
            "value_light": tfds.features.Scalar(dtype=f32),
            "value_ambient": tfds.features.Scalar(dtype=f32),
        }
        for v in ("azimuth", "elevation"):
            feats[f"value_{v}"] = tfds.features.Tensor(shape=(p,), dtype=f32)
            feats[f"label_{v}"] = tfds.features.Tensor(shape=(p,), dtype=i64)
        if spec.family == "chairs":
            feats["label_style"] = tfds.features.Scalar(dtype=i64)
        return tfds.features.FeaturesDict(feats)
    if spec.kind == "dcign":
        g = spec.group_size
        feats = {
            "images": tfds.features.Tensor(shape=(g, s, s, 1), dtype=np.uint8, encoding=ZLIB),
            "factor_id": tfds.features.Scalar(dtype=np.int32),
            "label_identity": tfds.features.Tensor(shape=(g,), dtype=i64),
            "value_shape": tfds.features.Tensor(shape=(g, k), dtype=f32),
            "value_albedo": tfds.features.Tensor(shape=(g, a), dtype=f32),
        }
        feats.update({f"value_{v}": tfds.features.Tensor(shape=(g,), dtype=f32) for v in values})
        if spec.family == "chairs":
            feats["label_style"] = tfds.features.Tensor(shape=(g,), dtype=i64)
        return tfds.features.FeaturesDict(feats)
    d = spec.volume_size
    feats = {
        "volume": tfds.features.Tensor(shape=(d, d, d), dtype=np.uint8, encoding=ZLIB),
        "label_identity": tfds.features.Scalar(dtype=i64),
        "value_shape": tfds.features.Tensor(shape=(k,), dtype=f32),
        "value_albedo": tfds.features.Tensor(shape=(a,), dtype=f32),
    }
    feats.update({f"value_{v}": tfds.features.Scalar(dtype=f32) for v in values})
    if spec.kind == "volumes":
        feats["image"] = tfds.features.Image(shape=(s, s, 3))
        feats["label_azimuth"] = tfds.features.Scalar(dtype=i64)
        feats["label_ambient"] = tfds.features.Scalar(dtype=i64)
    else:
        feats["image"] = tfds.features.Tensor(shape=(spec.frames, s, s, 3), dtype=np.uint8, encoding=ZLIB)
        feats["value_azimuth"] = tfds.features.Tensor(shape=(spec.frames,), dtype=f32)
    if spec.family == "chairs":
        feats["label_style"] = tfds.features.Scalar(dtype=i64)
    return tfds.features.FeaturesDict(feats)


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
    images, _ = sphere_tracing.render(
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


def volume_views(spec, split, start, stop):
    """What examples start..stop-1 of a "volumes" config show, without rendering ->
    `(ids [N] int64, factors {azimuth, elevation, light, ambient: [N]}, azimuth index [N], ambient index [N])`:
    each identity at every azimuth x ambient level of the grid, elevation 0, the spec's fixed light."""
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
    return ids, f, az_i, amb_i


def _volumes_chunk(spec, split, start, stop):
    idx = np.arange(start, stop)
    n = len(idx)
    ids, f, az_i, amb_i = volume_views(spec, split, start, stop)
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
