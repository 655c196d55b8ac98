"""Renders a voxel volume from any viewpoint (TensorFlow): orthographic emission-absorption ray marching
with Lambertian shading from the volume's gradient, so binary volumes look like smooth surfaces.

Conventions (docs/CONTRACTS.md): `volume[y, x, z]`; world X = x (right), Y = -y (up), Z = z (towards
the camera in the frontal view); the volume fills the cube [-1, 1]^3. The camera sits in direction
`(sin(az) cos(el), sin(el), cos(az) cos(el))` and looks at the origin, so azimuth 0, elevation 0 is the
frontal view and the volume's frontal silhouette (`volume.max(axis=2)`) appears laid out like the image.

Shape key: D volume side, S image side, M samples per ray.
"""

import math

import numpy as np
import tensorflow as tf
from scipy import ndimage


def _camera_basis(azimuth, elevation):
    ca, sa, ce, se = math.cos(azimuth), math.sin(azimuth), math.cos(elevation), math.sin(elevation)
    toward_camera = np.array([sa * ce, se, ca * ce])
    right = np.array([ca, 0.0, -sa])
    up = np.cross(toward_camera, right)
    return toward_camera, right, up / np.linalg.norm(up)


@tf.function(reduce_retracing=True)
def _trilinear(volume, points):
    """Samples `volume [D, D, D, C]` (zero outside) at continuous index points `[P, 3]` (y, x, z) -> `[P, C]`."""
    size = tf.shape(volume)[0]
    padded = tf.pad(volume, [[1, 1], [1, 1], [1, 1], [0, 0]])
    points = tf.clip_by_value(points + 1.0, 0.0, tf.cast(size, tf.float32) + 1.0 - 1e-4)
    base = tf.floor(points)
    frac = points - base
    base = tf.cast(base, tf.int32)
    out = tf.zeros([tf.shape(points)[0], tf.shape(volume)[3]], tf.float32)
    for dy in (0, 1):
        for dx in (0, 1):
            for dz in (0, 1):
                corner = tf.minimum(base + tf.constant([dy, dx, dz], tf.int32), size + 1)
                weight = (
                    (frac[:, 0] if dy else 1.0 - frac[:, 0])
                    * (frac[:, 1] if dx else 1.0 - frac[:, 1])
                    * (frac[:, 2] if dz else 1.0 - frac[:, 2])
                )
                out += weight[:, None] * tf.gather_nd(padded, corner)
    return out


def render_volume(
    volume,
    azimuth=0.0,
    elevation=0.0,
    image_size=96,
    extent=1.15,
    num_samples=None,
    density=40.0,
    color=(0.85, 0.85, 0.85),
    background=(1.0, 1.0, 1.0),
    light=(-0.4, 0.5, 1.0),
    ambient=0.3,
    normal_smoothing=1.0,
    level=0.5,
):
    """Renders one volume as an RGB image.

    Args:
        volume: `[D, D, D]` (or `[D, D, D, 1]`) occupancy in [0, 1] (predictions are clipped).
        azimuth, elevation: camera direction in radians (0, 0 = frontal).
        image_size: S, the output side in pixels.
        extent: half-width of the view in volume half-widths (1.0 frames the cube's front face exactly).
        num_samples: M samples per ray (default 2 * D).
        density: absorption per unit occupancy and unit length; large values render a hard surface.
        color, background: RGB in [0, 1].
        light: light direction in camera coordinates (right, up, towards the camera).
        ambient: ambient light level in [0, 1].
        level: iso-level in [0, 1) of the rendered surface (0.5 matches `mesh.volume_to_mesh` on a
            binarised volume; binarise predictions first, as the experiments do).
        normal_smoothing: SD in voxels of the Gaussian blur applied before taking normals (0: none).
    Returns:
        `[S, S, 3]` float32 numpy image in [0, 1].
    """
    volume = np.asarray(volume, dtype=np.float32)
    if volume.ndim == 4 and volume.shape[-1] == 1:
        volume = volume[..., 0]
    if volume.ndim != 3 or len(set(volume.shape)) != 1:
        raise ValueError(f"expected a cubic volume [D, D, D], got shape {volume.shape}")
    size = volume.shape[0]
    num_samples = int(num_samples or 2 * size)
    volume = np.clip(np.nan_to_num(volume), 0.0, 1.0)
    # Normals come from the gradient of a slightly blurred copy: one-voxel differences of a binary
    # volume are blocky. Channels: occupancy, then d/dy, d/dx, d/dz in index space.
    smoothed = ndimage.gaussian_filter(volume, sigma=normal_smoothing) if normal_smoothing > 0 else volume
    fields = np.stack([volume, *np.gradient(smoothed)], axis=-1).astype(np.float32)
    toward_camera, right, up = _camera_basis(float(azimuth), float(elevation))

    # Ray samples on an orthographic image plane, marching from the camera side through the cube.
    coords = (np.arange(image_size, dtype=np.float32) + 0.5) / image_size * 2.0 - 1.0
    cols, rows = np.meshgrid(coords * extent, -coords * extent)  # row 0 is the top of the image
    half_depth = math.sqrt(3.0)
    depths = np.linspace(half_depth, -half_depth, num_samples, dtype=np.float32)
    world = (
        cols[..., None, None] * right.astype(np.float32)
        + rows[..., None, None] * up.astype(np.float32)
        + depths[None, None, :, None] * toward_camera.astype(np.float32)
    )  # [S, S, M, 3] as (X, Y, Z)
    # The cube [-1, 1]^3 spans the voxels' outer faces: index -0.5 .. D - 0.5.
    index = np.stack([(1.0 - world[..., 1]), (world[..., 0] + 1.0), (world[..., 2] + 1.0)], axis=-1) * size / 2.0 - 0.5
    sampled = _trilinear(tf.constant(fields), tf.constant(index.reshape(-1, 3), tf.float32))
    sampled = tf.reshape(sampled, [image_size, image_size, num_samples, 4])
    # Density starts at the iso-level, so the surface sits where marching cubes puts it.
    sigma = tf.nn.relu(sampled[..., 0] - level) / (1.0 - level)
    grad_world = tf.stack([sampled[..., 2], -sampled[..., 1], sampled[..., 3]], axis=-1)  # d/dX, d/dY, d/dZ
    normal = -grad_world / (tf.norm(grad_world, axis=-1, keepdims=True) + 1e-6)
    light_world = np.asarray(light, np.float64)
    light_world = light_world[0] * right + light_world[1] * up + light_world[2] * toward_camera
    light_world = tf.constant(light_world / np.linalg.norm(light_world), tf.float32)
    diffuse = tf.nn.relu(tf.reduce_sum(normal * light_world, axis=-1))
    shade = ambient + (1.0 - ambient) * diffuse  # [S, S, M]

    step = 2.0 * half_depth / max(num_samples - 1, 1)
    alpha = 1.0 - tf.exp(-density * sigma * step * (size / 2.0))
    transmittance = tf.math.cumprod(1.0 - alpha + 1e-7, axis=-1, exclusive=True)
    weights = alpha * transmittance
    intensity = tf.reduce_sum(weights * shade, axis=-1, keepdims=True)
    coverage = tf.reduce_sum(weights, axis=-1, keepdims=True)
    image = intensity * tf.constant(color, tf.float32) + (1.0 - coverage) * tf.constant(background, tf.float32)
    return np.clip(image.numpy(), 0.0, 1.0)


def render_views(volume, viewpoints, **kwargs):
    """Renders one volume from several `(azimuth, elevation)` viewpoints. Returns `[V, S, S, 3]`."""
    return np.stack([render_volume(volume, azimuth=a, elevation=e, **kwargs) for a, e in viewpoints])


def save_volume_render(path, volume, azimuth=0.0, elevation=0.0, **kwargs):
    """Renders `volume` from one viewpoint and writes it as a PNG atomically. Returns the Path."""
    from tf_ivg.utils.files import save_png

    return save_png(path, render_volume(volume, azimuth=azimuth, elevation=elevation, **kwargs))
