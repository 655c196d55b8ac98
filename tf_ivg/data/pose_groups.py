"""DC-IGN single-factor groups formed in tf.data from per-object pose grids ("poses" configs, chairs).

Shape key: G group size, P poses (azimuth x elevation grid, elevation-major), S image side.

A poses example is one object at every pose. Consecutive blocks of G objects (the last block wraps
around to the first objects, so every object is used and a block always holds G distinct objects)
give, per object j of the block, one group of each factor in `spec.dcign_factors`:
- azimuth (id 0): object j at one elevation and G distinct azimuths of the grid;
- elevation (id 1): object j at one azimuth, the grid's elevations in turn from a random start
  (with 2 elevations a group holds only 2 distinct images, repeated);
- identity (id 3): the G objects of the block at one pose.
Light and ambient are fixed per config, so chairs have no light groups. The choices are stateless
random functions of (config seed, split, block), so the groups are the same on every read.
"""

import numpy as np
import tensorflow as tf

from tf_ivg.data import factors as F
from tf_ivg.data import specs as SP


def _ints(seed, counter, shape, high):
    u = tf.random.stateless_uniform(shape, tf.stack([seed[0], seed[1] * 8 + counter]))
    return tf.minimum(tf.cast(u * high, tf.int32), high - 1)


def _block_groups(ex, seed, spec):
    """One block: ex["images"] [G,P,S,S,1] etc. -> (images [N,G,S,S,1] uint8, factor_id [N], factors [N,G])
    with N = G * len(spec.dcign_factors), the factors interleaved per object."""
    g, n_az, n_el = spec.group_size, len(spec.azimuths), len(spec.elevations)
    p = n_az * n_el
    per_image = {"azimuth": ex["value_azimuth"], "elevation": ex["value_elevation"]}  # [G, P]
    per_object = {"light": ex["value_light"], "ambient": ex["value_ambient"], "identity": ex["label_identity"]}

    def same_object(pose):  # pose [G, G]: group j shows object j at poses pose[j]
        out = {k: tf.gather(v, pose, batch_dims=1) for k, v in per_image.items()}
        out.update({k: tf.repeat(v[:, None], g, axis=1) for k, v in per_object.items()})
        return tf.gather(ex["images"], pose, batch_dims=1), out

    def same_pose(pose):  # pose [G]: group j shows every object at pose[j]
        out = {k: tf.transpose(tf.gather(v, pose, axis=1)) for k, v in per_image.items()}
        out.update({k: tf.tile(v[None], [g, 1]) for k, v in per_object.items()})
        return tf.transpose(tf.gather(ex["images"], pose, axis=1), [1, 0, 2, 3, 4]), out

    groups = {}
    if "azimuth" in spec.dcign_factors:
        elevation = _ints(seed, 0, [g], n_el)
        azimuths = tf.argsort(tf.random.stateless_uniform([g, n_az], tf.stack([seed[0], seed[1] * 8 + 1])))[:, :g]
        groups["azimuth"] = same_object(elevation[:, None] * n_az + azimuths)
    if "elevation" in spec.dcign_factors:
        azimuth, start = _ints(seed, 2, [g], n_az), _ints(seed, 3, [g], n_el)
        groups["elevation"] = same_object((start[:, None] + tf.range(g)[None]) % n_el * n_az + azimuth[:, None])
    if "identity" in spec.dcign_factors:
        groups["identity"] = same_pose(_ints(seed, 4, [g], p))
    names = list(spec.dcign_factors)
    k = len(names)

    def interleave(xs):  # k tensors [G, ...] -> [G * k, ...], object-major
        x = tf.stack(xs, axis=1)
        return tf.reshape(x, tf.concat([[g * k], tf.shape(x)[2:]], 0))

    images = interleave([groups[n][0] for n in names])
    factors = {key: interleave([groups[n][1][key] for n in names]) for key in groups[names[0]][1]}
    factor_id = tf.constant(np.tile([F.FACTOR_IDS[n] for n in names], g), tf.int32)
    return images, factor_id, factors


def groups_from_poses(objects, spec, split):
    """objects: the tfds examples of a poses config's split, in order ->
    unbatched (images [G,S,S,1] uint8, factor_id int32, factors dict: azimuth, elevation, light,
    ambient [G] float32, identity [G] int64); G * len(dcign_factors) groups per block of G objects."""
    g = spec.group_size
    n = spec.num_examples(split)
    blocks = -(-n // g)
    keys = ("images", "value_azimuth", "value_elevation", "value_light", "value_ambient", "label_identity")
    objects = objects.map(lambda ex: {k: ex[k] for k in keys})
    wrapped = objects.concatenate(objects.take(blocks * g - n))
    split_seed = spec.seed * len(SP.SPLITS) + SP.SPLITS.index(split)

    def to_groups(block, ex):
        seed = tf.stack([tf.constant(split_seed, tf.int64), block])
        return tf.data.Dataset.from_tensor_slices(_block_groups(ex, seed, spec))

    return wrapped.batch(g, drop_remainder=True).enumerate().flat_map(to_groups)
