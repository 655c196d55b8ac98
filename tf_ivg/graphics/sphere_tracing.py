"""Batched sphere-tracing renderer (tf.while_loop, XLA-compiled) and a volume silhouette renderer.

Shape key: B images, S image side, N = S * S rays, P family parameters, D volume side.
A shape family is a module with `sdf(p, params)`, `sdf_and_albedo(p, params)`, `CAMERA_DISTANCE`,
`HALF_FOV` and `BOUND_RADIUS` (see faces.py, chairs.py). Shading is Lambertian plus ambient:
colour = albedo * (ambient + (1 - ambient) * max(0, n . l)); the background is black.
"""

import functools

import numpy as np
import tensorflow as tf

from tf_ivg.graphics import camera

MAX_STEPS = 128
FIRST_STEPS = 32  # steps for all rays; the rest only for the unfinished ones
COMPACT = 16  # at most 1/COMPACT of an image's rays march past FIRST_STEPS
STEP_SCALE = 0.9  # ellipsoid distances are approximate: under-step a little
SMALL_RAYS = 40_000
HIT_PIXELS = 0.01  # a ray hits when the SDF is below this fraction of its pixel footprint
MIN_STEP_PIXELS = 0.3  # the smallest step, as a fraction of the ray's pixel footprint


def _check_size(image_size):
    if not isinstance(image_size, (int, np.integer)) or image_size <= 0:
        raise ValueError(f"image_size must be a positive int, got {image_size!r}")


def _ray_sphere(o, d, radius):
    """Entry and exit distances of rays [B,N,3] with the origin-centred sphere; inf/-inf on a miss."""
    b = tf.reduce_sum(o * d, -1)
    c = tf.reduce_sum(o * o, -1) - radius * radius
    disc = b * b - c
    sq = tf.sqrt(tf.maximum(disc, 0.0))
    near = tf.maximum(-b - sq, 0.0)
    far = tf.where(disc > 0, -b + sq, tf.zeros_like(b) - 1.0)
    return near, far


def _march(family, params, o, d, t, done, t_far, pixel_angle, max_steps):
    """Sphere-traces rays o, d [B,M,3] from t [B,M] for up to max_steps -> (t, done)."""

    def body(i, t, done):
        dist = family.sdf(o + d * t[..., None], params)
        hit = dist < HIT_PIXELS * pixel_angle * t
        done_now = tf.logical_or(done, tf.logical_or(hit, t > t_far))
        # A minimum step keeps grazing rays moving; a ray that steps inside counts as a hit.
        step = tf.maximum(STEP_SCALE * dist, MIN_STEP_PIXELS * pixel_angle * t)
        t = tf.where(done_now, t, t + step)
        return i + 1, t, done_now

    def cond(i, t, done):
        return tf.logical_and(i < max_steps, tf.logical_not(tf.reduce_all(done)))

    _, t, done = tf.while_loop(cond, body, [tf.constant(0), t, done])
    return t, done


def _trace(family, params, o, d, pixel_angle):
    """Sphere-traces rays o, d [B,N,3] (object frame) -> t [B,N] (where each ray stopped), t_far [B,N].

    After FIRST_STEPS steps only a few grazing rays are still marching, so the unfinished rays
    (at most a 1/COMPACT fraction per image, picked by top_k: static shapes for XLA) are gathered
    and marched on alone for the remaining steps, then scattered back.
    """
    t0, t_far = _ray_sphere(o, d, family.BOUND_RADIUS)
    t, done = _march(family, params, o, d, t0, t_far < 0, t_far, pixel_angle, FIRST_STEPS)
    n = o.shape[1]
    k = max(1, n // COMPACT)
    _, idx = tf.math.top_k(tf.cast(tf.logical_not(done), tf.float32), k=k)  # [B, k]
    take = lambda x: tf.gather(x, idx, batch_dims=1)  # noqa: E731
    tk, _ = _march(
        family, params, take(o), take(d), take(t), take(done), take(t_far), pixel_angle, MAX_STEPS - FIRST_STEPS
    )
    b = tf.shape(o)[0]
    rows = tf.broadcast_to(tf.range(b)[:, None], tf.shape(idx))
    t = tf.tensor_scatter_nd_update(t, tf.stack([rows, idx], -1), tk)
    return t, t_far


_TETRA = np.array([[1, -1, -1], [-1, -1, 1], [-1, 1, -1], [1, 1, 1]], np.float32)
_NORMAL_STEP = 1.5e-3


def _surface(family, params, p):
    """One batched SDF evaluation at p and 4 tetrahedral offsets ->
    distance at p [B,N], unit normal [B,N,3] (finite differences), albedo at p [B,N,3]."""
    n = tf.shape(p)[1]
    offsets = tf.constant(np.concatenate([np.zeros((1, 3), np.float32), _NORMAL_STEP * _TETRA]))
    p5 = tf.reshape(p[:, None] + offsets[None, :, None, :], [tf.shape(p)[0], 5 * n, 3])
    dist, col = family.sdf_and_albedo(p5, params)
    dist = tf.reshape(dist, [-1, 5, n])
    col = tf.reshape(col, [-1, 5, n, 3])[:, 0]
    g = tf.einsum("bkn,kj->bnj", dist[:, 1:], _TETRA)
    normal = g / tf.sqrt(tf.reduce_sum(g * g, -1, keepdims=True) + 1e-12)
    return dist[:, 0], normal, col


@functools.cache
def _compiled(family_name, image_size, mode):
    from tf_ivg.graphics import families

    family = families.get(family_name)
    origins, directions = camera.camera_rays(image_size, family.CAMERA_DISTANCE, family.HALF_FOV)
    pixel_angle = float(2.0 * np.tan(family.HALF_FOV) / image_size)

    def fn(params, azimuth, elevation, light, ambient):
        rot = camera.pose_matrices(azimuth, elevation)
        o, d = camera.rays_in_object_frame(origins, directions, rot)
        t, t_far = _trace(family, params, o, d, pixel_angle)
        p = o + d * t[..., None]
        final, n, albedo = _surface(family, params, p)
        hit = tf.logical_and(final < HIT_PIXELS * pixel_angle * t, t <= t_far)
        l_obj = tf.einsum("bj,bjk->bk", camera.light_direction(light), rot)[:, None, :]
        lambert = tf.maximum(tf.reduce_sum(n * l_obj, -1), 0.0)
        amb = ambient[:, None]
        shade = amb + (1.0 - amb) * lambert
        rgb = albedo * shade[..., None]
        rgb = tf.where(hit[..., None], tf.clip_by_value(rgb, 0.0, 1.0), 0.0)
        b = tf.shape(params)[0]
        return (tf.reshape(rgb, [b, image_size, image_size, 3]), tf.reshape(hit, [b, image_size, image_size]))

    if mode == "eager":
        return fn
    return tf.function(fn, jit_compile=(mode == "xla"))


def render(family, params, azimuth, elevation, light, ambient, image_size, grayscale=False, mode="auto", batch_size=32):
    """Renders objects of one family.

    Args:
      family: "faces" or "chairs".
      params: [B, P] family parameters (`faces.params_from_coefficients`, `chairs.params_from_...`).
      azimuth, elevation, light, ambient: [B] pose (radians), light azimuth (radians), ambient in [0, 1].
      image_size: S, a positive int.
      grayscale: return one luminance channel instead of RGB.
      mode: "xla" (compiled once per size, fastest for bulk generation), "graph", "eager", or "auto":
        eager for fewer than SMALL_RAYS rays in all (no compile cost), XLA otherwise.
    Returns:
      images [B, S, S, 3] (or [B, S, S, 1]) float32 in [0, 1], silhouettes [B, S, S] bool (numpy).
    """
    from tf_ivg.graphics import families

    _check_size(image_size)
    params = np.asarray(params, np.float32)
    num_params = families.get(family).NUM_PARAMS
    if params.ndim != 2 or params.shape[1] != num_params:
        raise ValueError(f"{family} params must be [B, {num_params}], got {params.shape}")
    b = params.shape[0]
    args = [np.broadcast_to(np.asarray(x, np.float32), (b,)).copy() for x in (azimuth, elevation, light, ambient)]
    if np.any(args[3] < 0) or np.any(args[3] > 1):
        raise ValueError("ambient must lie in [0, 1]")
    if mode == "auto":
        mode = "eager" if b * image_size * image_size < SMALL_RAYS else "xla"
    if mode not in ("xla", "graph", "eager"):
        raise ValueError(f"mode must be 'auto', 'xla', 'graph' or 'eager', got {mode!r}")
    fn = _compiled(family, int(image_size), mode)
    images, masks = [], []
    for s in range(0, b, batch_size):
        chunk = [params[s : s + batch_size]] + [a[s : s + batch_size] for a in args]
        n = chunk[0].shape[0]
        if mode == "xla" and n < batch_size:  # pad so XLA compiles one shape per image size
            chunk = [np.concatenate([c, np.repeat(c[-1:], batch_size - n, 0)]) for c in chunk]
        img, m = fn(*chunk)
        images.append(img.numpy()[:n])
        masks.append(m.numpy()[:n])
    images = np.concatenate(images) if images else np.zeros((0, image_size, image_size, 3), np.float32)
    masks = np.concatenate(masks) if masks else np.zeros((0, image_size, image_size), bool)
    if grayscale:
        images = (images @ np.array([0.299, 0.587, 0.114], np.float32))[..., None]
    return images, masks


def _occupancy_along_rays(vol, p, interpolation):
    """Occupancy of one volume vol [D,D,D] float32 at points p [N, n, 3] (object frame) -> [N, n].

    "nearest": the occupied voxel cubes (a staircase); "trilinear": the volume as samples of a
    continuous occupancy at voxel centres, interpolated (its 0.5 level set is a smoothed surface).
    Outside the grid the occupancy is 0.
    """
    dsz = vol.shape[0]
    if interpolation == "nearest":
        idx = tf.cast(tf.floor((p + 1.0) / 2.0 * dsz), tf.int32)
        inside = tf.cast(tf.reduce_all(tf.logical_and(idx >= 0, idx < dsz), -1), tf.float32)
        yxz = tf.clip_by_value(tf.stack([dsz - 1 - idx[..., 1], idx[..., 0], idx[..., 2]], -1), 0, dsz - 1)
        return tf.gather_nd(vol, yxz) * inside
    # Continuous [y, x, z] index of voxel centres, shifted by the one-voxel zero padding.
    u = (p + 1.0) / 2.0 * dsz - 0.5
    g = tf.clip_by_value(tf.stack([dsz - 1 - u[..., 1], u[..., 0], u[..., 2]], -1) + 1.0, 0.0, dsz + 1.0)
    padded = tf.pad(vol, [[1, 1]] * 3)
    g0 = tf.floor(g)
    w = g - g0
    g0 = tf.cast(g0, tf.int32)
    occ = 0.0
    for corner in np.ndindex(2, 2, 2):
        weight = tf.reduce_prod(tf.where(np.array(corner, bool), w, 1.0 - w), -1)
        occ += weight * tf.gather_nd(padded, tf.minimum(g0 + np.array(corner, np.int32), dsz + 1))
    return occ


def render_volume_silhouette(
    volumes, azimuth, elevation, image_size, family="faces", samples=None, interpolation="trilinear"
):
    """Silhouette of voxel volumes seen by the family's camera in a given pose.

    volumes [B, D, D, D] (volume[y, x, z], y down, covering [-1, 1]^3), azimuth, elevation [B]
    -> [B, S, S] bool: a pixel is set when its ray meets occupancy >= 0.5, sampled at `samples`
    points (default 4 D) along the ray; `interpolation` "trilinear" (default) or "nearest" (voxel
    cubes, whose staircase widens thin parts seen obliquely).
    """
    from tf_ivg.graphics import families

    _check_size(image_size)
    if interpolation not in ("trilinear", "nearest"):
        raise ValueError(f"interpolation must be 'trilinear' or 'nearest', got {interpolation!r}")
    fam = families.get(family)
    vol = tf.convert_to_tensor((np.asarray(volumes) > 0).astype(np.float32))
    if vol.shape.rank != 4 or not vol.shape[1] == vol.shape[2] == vol.shape[3]:
        raise ValueError(f"volumes must be [B, D, D, D], got {vol.shape}")
    b = vol.shape[0]
    origins, directions = camera.camera_rays(image_size, fam.CAMERA_DISTANCE, fam.HALF_FOV)
    rot = camera.pose_matrices(np.broadcast_to(azimuth, (b,)), np.broadcast_to(elevation, (b,)))
    o, d = camera.rays_in_object_frame(origins, directions, rot)
    near, far = _ray_sphere(o, d, float(np.sqrt(3.0)))
    n = samples or 4 * vol.shape[1]
    frac = (np.arange(n, dtype=np.float32) + 0.5) / n
    out = []
    for i in range(b):  # one object at a time keeps memory at N * n points
        t = near[i, :, None] + (far[i] - near[i])[:, None] * frac  # [N, n]
        p = o[i, :, None, :] + d[i, :, None, :] * t[..., None]
        occ = _occupancy_along_rays(vol[i], p, interpolation)
        out.append(tf.logical_and(tf.reduce_max(occ, -1) >= 0.5, far[i] > 0))
    return tf.reshape(tf.stack(out), [b, image_size, image_size]).numpy()
