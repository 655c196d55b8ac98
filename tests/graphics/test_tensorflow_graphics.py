"""Our camera against tensorflow-graphics (tfg), an independent implementation of the same maths.

tf_ivg does not depend on tfg (docs/design.md, "tensorflow-graphics": it cannot be pip-installed on
Python 3.12); where it is installed these tests pin the convention mapping written there, so the
renderer could switch to tfg's ops without changing a pixel of the datasets or the pretrained model.
"""

import sys

import numpy as np
import pytest
import tensorflow as tf

from tf_ivg.graphics import camera, families

if sys.version_info >= (3, 12):  # the test extra installs tensorflow-graphics on Python < 3.12 only
    pytest.skip("tensorflow-graphics does not install on Python 3.12", allow_module_level=True)

from tensorflow_graphics.geometry.transformation import rotation_matrix_3d  # noqa: E402
from tensorflow_graphics.rendering.camera import perspective  # noqa: E402


def _tfg_pose_matrices(azimuth, elevation):
    # tfg: from_euler((x, y, z)) = Rz Ry Rx, so (Rx(e) Ry(a))^T = Ry(-a) Rx(-e) = from_euler((-e, -a, 0)).
    a = tf.convert_to_tensor(azimuth, tf.float32)
    e = tf.convert_to_tensor(elevation, tf.float32)
    return tf.linalg.matrix_transpose(rotation_matrix_3d.from_euler(tf.stack([-e, -a, tf.zeros_like(a)], -1)))


def _tfg_camera_rays(image_size, distance, half_fov):
    # tfg's camera frame: x right, y down, looking down +z; ours looks down world -z with y up.
    s = int(image_size)
    centres = np.arange(s, dtype=np.float64) + 0.5
    rows, cols = np.meshgrid(centres, centres, indexing="ij")
    focal = s / (2.0 * np.tan(half_fov))
    pixels = np.stack([cols, rows], -1).reshape(-1, 2)
    d = perspective.ray(pixels, np.array([focal, focal]), np.array([s / 2.0, s / 2.0])).numpy()
    d = d * np.array([1.0, -1.0, -1.0])
    d /= np.linalg.norm(d, axis=-1, keepdims=True)
    return np.tile(np.array([[0.0, 0.0, distance]]), (s * s, 1)).astype(np.float32), d.astype(np.float32)


def test_pose_matrices_equal_tfg_euler_bitwise_also_under_xla():
    rng = np.random.default_rng(0)
    az = rng.uniform(-np.pi, np.pi, 64).astype(np.float32)
    el = rng.uniform(-np.pi / 2, np.pi / 2, 64).astype(np.float32)
    ours = camera.pose_matrices(az, el).numpy()
    np.testing.assert_array_equal(_tfg_pose_matrices(az, el).numpy(), ours)
    xla = tf.function(_tfg_pose_matrices, jit_compile=True)(az, el).numpy()
    np.testing.assert_allclose(xla, ours, rtol=0, atol=1e-6)


@pytest.mark.parametrize("family", sorted(families.FAMILIES))
@pytest.mark.parametrize("image_size", [1, 7, 32, 64, 80, 128])
def test_camera_rays_equal_tfg_perspective_rays_bitwise(family, image_size):
    fam = families.get(family)
    ours = camera.camera_rays(image_size, fam.CAMERA_DISTANCE, fam.HALF_FOV)
    theirs = _tfg_camera_rays(image_size, fam.CAMERA_DISTANCE, fam.HALF_FOV)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)
