"""Our camera against tensorflow-graphics (tfg), an independent implementation of the same maths.

tf_ivg does not depend on tfg (docs/design.md, "tensorflow-graphics": it cannot be pip-installed on
Python 3.12); where it is installed these tests pin the convention mapping written there, so the
renderer could switch to tfg's ops without changing a pixel of the datasets or the pretrained model.
"""

import sys

import numpy as np
import pytest
import tensorflow as tf

from tf_ivg.graphics import camera, families, tfg_reference

if sys.version_info >= (3, 12):  # the test extra installs tensorflow-graphics on Python < 3.12 only
    pytest.skip("tensorflow-graphics does not install on Python 3.12", allow_module_level=True)


def test_pose_matrices_equal_tfg_euler_bitwise_also_under_xla():
    rng = np.random.default_rng(0)
    az = rng.uniform(-np.pi, np.pi, 64).astype(np.float32)
    el = rng.uniform(-np.pi / 2, np.pi / 2, 64).astype(np.float32)
    ours = camera.pose_matrices(az, el).numpy()
    np.testing.assert_array_equal(tfg_reference.pose_matrices(az, el).numpy(), ours)
    xla = tf.function(tfg_reference.pose_matrices, jit_compile=True)(az, el).numpy()
    np.testing.assert_allclose(xla, ours, rtol=0, atol=1e-6)


@pytest.mark.parametrize("family", sorted(families.FAMILIES))
@pytest.mark.parametrize("image_size", [1, 7, 32, 64, 80, 128])
def test_camera_rays_equal_tfg_perspective_rays_bitwise(family, image_size):
    fam = families.get(family)
    ours = camera.camera_rays(image_size, fam.CAMERA_DISTANCE, fam.HALF_FOV)
    theirs = tfg_reference.camera_rays(image_size, fam.CAMERA_DISTANCE, fam.HALF_FOV)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)
