"""Our camera maths written with tensorflow-graphics (tfg) ops: a reference to cross-check `camera.py`.

tf_ivg does not depend on tfg (docs/design.md: it does not pip-install on Python 3.12), so tfg is imported
inside the functions; `tests/graphics/test_tensorflow_graphics.py` and `benchmarks/tfg_comparison.py` use them.
Shape key: N poses, S image side.

- `pose_matrices(azimuth [N], elevation [N])` -> `[N, 3, 3]`, as `camera.pose_matrices`.
- `camera_rays(image_size, distance, half_fov)` -> `(origins [S*S, 3], directions [S*S, 3])`, as `camera.camera_rays`.
"""

import numpy as np
import tensorflow as tf


def pose_matrices(azimuth, elevation):
    """tfg's `from_euler((x, y, z))` is Rz Ry Rx, so our (Rx(e) Ry(a))^T = Ry(-a) Rx(-e) = from_euler((-e, -a, 0))."""
    from tensorflow_graphics.geometry.transformation import rotation_matrix_3d

    a = tf.convert_to_tensor(azimuth, tf.float32)
    e = tf.convert_to_tensor(elevation, tf.float32)
    return tf.linalg.matrix_transpose(rotation_matrix_3d.from_euler(tf.stack([-e, -a, tf.zeros_like(a)], -1)))


def camera_rays(image_size, distance, half_fov):
    """tfg's camera frame has x right, y down and looks down +z; ours looks down world -z with y up."""
    from tensorflow_graphics.rendering.camera import perspective

    s = int(image_size)
    centres = np.arange(s, dtype=np.float64) + 0.5
    rows, cols = np.meshgrid(centres, centres, indexing="ij")
    focal = s / (2.0 * np.tan(half_fov))
    pixels = np.stack([cols, rows], -1).reshape(-1, 2)
    d = perspective.ray(pixels, np.array([focal, focal]), np.array([s / 2.0, s / 2.0])).numpy()
    d = d * np.array([1.0, -1.0, -1.0])
    d /= np.linalg.norm(d, axis=-1, keepdims=True)
    return np.tile(np.array([[0.0, 0.0, distance]]), (s * s, 1)).astype(np.float32), d.astype(np.float32)
