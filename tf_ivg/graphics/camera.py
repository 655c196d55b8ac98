"""Perspective camera and object poses.

Shape key: B images, S image side, N = S * S rays. The camera sits on the +z axis of the world,
looking towards the origin, image rows running down world y. An object's pose (azimuth a,
elevation e) maps its canonical frame to the world by R = Rx(e) @ Ry(a): positive azimuth turns
the object's front (+z) towards world +x (the viewer's right; a face turns to its own left),
positive elevation tilts its top towards the camera (seen from above).
"""

import numpy as np
import tensorflow as tf


def pose_matrices(azimuth, elevation):
    """World-from-object rotations. azimuth, elevation [B] radians -> [B, 3, 3] float32."""
    a = tf.convert_to_tensor(azimuth, tf.float32)
    e = tf.convert_to_tensor(elevation, tf.float32)
    ca, sa, ce, se = tf.cos(a), tf.sin(a), tf.cos(e), tf.sin(e)
    zero, one = tf.zeros_like(a), tf.ones_like(a)
    ry = tf.stack([tf.stack([ca, zero, sa], -1), tf.stack([zero, one, zero], -1), tf.stack([-sa, zero, ca], -1)], -2)
    rx = tf.stack([tf.stack([one, zero, zero], -1), tf.stack([zero, ce, -se], -1), tf.stack([zero, se, ce], -1)], -2)
    return tf.matmul(rx, ry)


def camera_rays(image_size, distance, half_fov):
    """World-frame rays through pixel centres. -> origins [N, 3], unit directions [N, 3] (numpy)."""
    s = int(image_size)
    c = (np.arange(s, dtype=np.float64) + 0.5) / s * 2.0 - 1.0
    v, u = np.meshgrid(-c, c, indexing="ij")  # v: +1 at the top row
    t = np.tan(half_fov)
    d = np.stack([u * t, v * t, -np.ones_like(u)], -1).reshape(-1, 3)
    d /= np.linalg.norm(d, axis=-1, keepdims=True)
    o = np.tile(np.array([[0.0, 0.0, distance]]), (d.shape[0], 1))
    return o.astype(np.float32), d.astype(np.float32)


def rays_in_object_frame(origins, directions, rotations):
    """Moves world rays into each object's canonical frame.

    origins, directions [N, 3]; rotations [B, 3, 3] world-from-object -> two [B, N, 3] tensors.
    """
    # R^T v for row vectors is v @ R.
    o = tf.einsum("nj,bjk->bnk", origins, rotations)
    d = tf.einsum("nj,bjk->bnk", directions, rotations)
    return o, d


def light_direction(light_azimuth, light_elevation=0.35):
    """Unit vector towards the light in the world frame. light_azimuth [B] -> [B, 3].
    0 lights the object from the camera's side; positive moves the light to the viewer's right."""
    la = tf.convert_to_tensor(light_azimuth, tf.float32)
    ce, se = np.cos(light_elevation), np.sin(light_elevation)
    return tf.stack([tf.sin(la) * ce, tf.ones_like(la) * se, tf.cos(la) * ce], -1)
