"""Signed distance primitives and smooth CSG, batched over objects.

Shape key: B objects, N points per object. Points are `[B, N, 3]` float32 in an object's
canonical frame (x to the viewer's right, y up, z towards the camera in the frontal view);
per-object parameters broadcast as `[B, 1]` (scalars) or `[B, 1, 3]` (vectors).
Distances are `[B, N]`. Ellipsoid distances are the usual bound-like approximation
(k0 (k0 - 1) / k1), so sphere tracing uses a relaxed step.
"""

import tensorflow as tf


def _norm(v, axis=-1):
    return tf.sqrt(tf.reduce_sum(tf.square(v), axis=axis) + 1e-12)


def sphere(p, center, radius):
    """Sphere. p [B,N,3], center [B,1,3], radius [B,1] -> [B,N]."""
    return _norm(p - center) - radius


def ellipsoid(p, center, radii):
    """Approximate ellipsoid distance. p [B,N,3], center [B,1,3], radii [B,1,3] -> [B,N]."""
    q = p - center
    k0 = _norm(q / radii)
    k1 = _norm(q / (radii * radii))
    return k0 * (k0 - 1.0) / k1


def capsule(p, a, b, radius):
    """Capsule around segment a-b. p [B,N,3], a and b [B,1,3], radius [B,1] -> [B,N]."""
    pa = p - a
    ba = b - a
    h = tf.clip_by_value(tf.reduce_sum(pa * ba, -1) / (tf.reduce_sum(ba * ba, -1) + 1e-12), 0.0, 1.0)
    return _norm(pa - ba * h[..., None]) - radius


def box(p, center, half_size, rounding=0.0):
    """Rounded axis-aligned box. p [B,N,3], center and half_size [B,1,3], rounding [B,1] or float."""
    q = tf.abs(p - center) - half_size + rounding
    outside = _norm(tf.maximum(q, 0.0))
    inside = tf.minimum(tf.reduce_max(q, -1), 0.0)
    return outside + inside - rounding


def smooth_union(a, b, k):
    """Polynomial smooth minimum of two distances with blend radius k (> 0)."""
    h = tf.clip_by_value(0.5 + 0.5 * (b - a) / k, 0.0, 1.0)
    return b + (a - b) * h - k * h * (1.0 - h)


def smooth_subtract(a, b, k):
    """Removes b from a with a blend radius k: smooth max(a, -b)."""
    return -smooth_union(-a, b, k)


def union(*ds):
    out = ds[0]
    for d in ds[1:]:
        out = tf.minimum(out, d)
    return out


def clip_to_cube(d, p, half=1.0):
    """Intersects a shape with the cube [-half, half]^3 (the voxel grid), so images and volumes agree."""
    return tf.maximum(d, tf.reduce_max(tf.abs(p), -1) - half)
