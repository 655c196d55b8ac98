"""Morphable procedural faces: a head as a smooth union/subtraction of parts whose sizes and
positions are linear in K = 40 shape coefficients drawn from N(0, I) (as in a PCA face model),
plus 4 albedo coefficients (skin tone, skin redness, hair darkness, hair warmth).

Shape key: B faces, N points, K = NUM_SHAPE shape coefficients, A = NUM_ALBEDO albedo
coefficients, P = NUM_PARAMS packed parameters (semantic parameters then colours).
Canonical frame: x to the viewer's right, y up, z towards the camera; the head fits in [-1, 1]^3.
"""

import numpy as np
import tensorflow as tf

from tf_ivg.graphics import sdf as S

NUM_SHAPE = 40
NUM_ALBEDO = 4

# (name, mean, std): each semantic parameter is mean + std * (unit-norm row of BASIS) . shape.
_SEMANTIC = [
    ("cranium_w", 0.60, 0.045),
    ("cranium_h", 0.70, 0.04),
    ("cranium_d", 0.72, 0.04),
    ("cranium_y", 0.22, 0.03),
    ("cranium_z", -0.10, 0.03),
    ("jaw_w", 0.47, 0.05),
    ("jaw_h", 0.52, 0.04),
    ("jaw_d", 0.52, 0.04),
    ("jaw_y", -0.25, 0.035),
    ("jaw_z", 0.05, 0.03),
    ("chin_w", 0.20, 0.035),
    ("chin_h", 0.15, 0.025),
    ("chin_d", 0.15, 0.02),
    ("chin_y", -0.68, 0.04),
    ("chin_z", 0.30, 0.035),
    ("cheek_x", 0.30, 0.03),
    ("cheek_y", -0.10, 0.03),
    ("cheek_z", 0.30, 0.03),
    ("cheek_r", 0.21, 0.025),
    ("brow_w", 0.44, 0.03),
    ("brow_h", 0.09, 0.015),
    ("brow_d", 0.12, 0.02),
    ("brow_y", 0.24, 0.025),
    ("brow_z", 0.47, 0.025),
    ("nose_top_y", 0.14, 0.02),
    ("nose_tip_y", -0.14, 0.035),
    ("nose_tip_z", 0.74, 0.045),
    ("nose_bridge_r", 0.065, 0.012),
    ("nose_tip_r", 0.09, 0.015),
    ("nose_wing_w", 0.13, 0.02),
    ("lip_w", 0.19, 0.025),
    ("lip_y", -0.38, 0.03),
    ("lip_z", 0.55, 0.03),
    ("upper_lip_h", 0.045, 0.01),
    ("lower_lip_h", 0.055, 0.012),
    ("lip_d", 0.08, 0.012),
    ("eye_x", 0.22, 0.02),
    ("eye_y", 0.08, 0.02),
    ("eye_z", 0.47, 0.02),
    ("socket_w", 0.13, 0.015),
    ("socket_h", 0.085, 0.012),
    ("eye_r", 0.095, 0.008),
    ("ear_y", 0.02, 0.03),
    ("ear_h", 0.17, 0.025),
    ("ear_w", 0.10, 0.015),
    ("hairline_y", 0.48, 0.10),
    ("hair_back_z", -0.05, 0.15),
]
SEMANTIC_NAMES = [n for n, _, _ in _SEMANTIC]
_MEAN = np.array([m for _, m, _ in _SEMANTIC])
_STD = np.array([s for _, _, s in _SEMANTIC])
# Fixed "principal components": a deterministic random basis with unit-norm rows.
_BASIS = np.random.default_rng(20150605).standard_normal((len(_SEMANTIC), NUM_SHAPE))
_BASIS /= np.linalg.norm(_BASIS, axis=1, keepdims=True)
_IDX = {n: i for i, n in enumerate(SEMANTIC_NAMES)}
NUM_SEMANTIC = len(_SEMANTIC)
NUM_COLOURS = 9  # skin RGB, hair RGB, lip RGB
NUM_PARAMS = NUM_SEMANTIC + NUM_COLOURS

CAMERA_DISTANCE = 4.0
HALF_FOV = float(np.arcsin(1.02 / CAMERA_DISTANCE))
BOUND_RADIUS = 1.0 * np.sqrt(3.0)


def sample_coefficients(rng, n):
    """Draws identities. -> shape [n, K], albedo [n, A] float64 from N(0, I)."""
    return rng.standard_normal((n, NUM_SHAPE)), rng.standard_normal((n, NUM_ALBEDO))


def params_from_coefficients(shape, albedo):
    """Packs coefficients into renderer parameters. shape [B, K], albedo [B, A] -> [B, P] float32."""
    shape = np.asarray(shape, np.float64)
    albedo = np.asarray(albedo, np.float64)
    if shape.ndim != 2 or shape.shape[1] != NUM_SHAPE:
        raise ValueError(f"face shape coefficients must be [B, {NUM_SHAPE}], got {shape.shape}")
    if albedo.ndim != 2 or albedo.shape[1] != NUM_ALBEDO or albedo.shape[0] != shape.shape[0]:
        raise ValueError(f"face albedo coefficients must be [B, {NUM_ALBEDO}], got {albedo.shape}")
    sem = _MEAN + _STD * np.clip(shape @ _BASIS.T, -3.0, 3.0)
    a = np.clip(albedo, -2.5, 2.5)
    tone = 1.0 / (1.0 + np.exp(-1.3 * a[:, 0:1]))  # 0 dark .. 1 light skin
    skin = (1 - tone) * np.array([0.42, 0.27, 0.18]) + tone * np.array([0.96, 0.80, 0.70])
    skin = skin * (1.0 + 0.05 * np.tanh(a[:, 1:2]) * np.array([0.6, -0.2, -0.5]))
    dark = 1.0 / (1.0 + np.exp(-1.5 * a[:, 2:3] - 0.9))  # 0 fair .. 1 black hair (mostly dark)
    warm = 1.0 / (1.0 + np.exp(-1.5 * a[:, 3:4]))  # 0 ash .. 1 red/auburn
    fair = (1 - warm) * np.array([0.78, 0.68, 0.45]) + warm * np.array([0.72, 0.36, 0.16])
    hair = (1 - dark) * fair + dark * np.array([0.10, 0.07, 0.05])
    lip = skin * np.array([0.85, 0.55, 0.55])
    colours = np.clip(np.concatenate([skin, hair, lip], -1), 0.02, 1.0)
    return np.concatenate([sem, colours], -1).astype(np.float32)


def _parts(p, params):
    """All part distances (each [B, N]) and the head distance, for shading and the SDF."""
    g = {n: params[:, i][:, None] for n, i in _IDX.items()}  # [B, 1] each

    def v3(x, y, z):
        return tf.stack([x + 0 * y, y + 0 * x, z + 0 * x], -1)  # [B, 1, 3]

    one = tf.ones_like(g["jaw_w"])
    cranium = S.ellipsoid(
        p, v3(0 * one, g["cranium_y"], g["cranium_z"]), v3(g["cranium_w"], g["cranium_h"], g["cranium_d"])
    )
    jaw = S.ellipsoid(p, v3(0 * one, g["jaw_y"], g["jaw_z"]), v3(g["jaw_w"], g["jaw_h"], g["jaw_d"]))
    chin = S.ellipsoid(p, v3(0 * one, g["chin_y"], g["chin_z"]), v3(g["chin_w"], g["chin_h"], g["chin_d"]))
    px_abs = tf.stack([tf.abs(p[..., 0]), p[..., 1], p[..., 2]], -1)  # mirror for paired parts
    cheek = S.sphere(px_abs, v3(g["cheek_x"], g["cheek_y"], g["cheek_z"]), g["cheek_r"])
    brow = S.ellipsoid(p, v3(0 * one, g["brow_y"], g["brow_z"]), v3(g["brow_w"], g["brow_h"], g["brow_d"]))
    nose_top = v3(0 * one, g["nose_top_y"], g["brow_z"] + 0.05)
    nose_tip = v3(0 * one, g["nose_tip_y"], g["nose_tip_z"])
    bridge = S.capsule(p, nose_top, nose_tip, g["nose_bridge_r"])
    tip = S.sphere(p, nose_tip - v3(0 * one, 0.02 * one, 0.04 * one), g["nose_tip_r"])
    wings = S.ellipsoid(p, nose_tip - v3(0 * one, 0.05 * one, 0.13 * one), v3(g["nose_wing_w"], 0.06 * one, 0.08 * one))
    upper = S.ellipsoid(
        p, v3(0 * one, g["lip_y"] + g["upper_lip_h"], g["lip_z"]), v3(g["lip_w"], g["upper_lip_h"], g["lip_d"])
    )
    lower = S.ellipsoid(
        p,
        v3(0 * one, g["lip_y"] - g["lower_lip_h"], g["lip_z"] - 0.01),
        v3(g["lip_w"] * 0.88, g["lower_lip_h"], g["lip_d"]),
    )
    lips = tf.minimum(upper, lower)
    socket = S.ellipsoid(
        px_abs, v3(g["eye_x"], g["eye_y"], g["eye_z"] + 0.06), v3(g["socket_w"], g["socket_h"], 0.12 * one)
    )
    eye = S.sphere(px_abs, v3(g["eye_x"], g["eye_y"], g["eye_z"] - 0.05), g["eye_r"])
    ear = S.ellipsoid(px_abs, v3(g["cranium_w"] + 0.0, g["ear_y"], -0.02 * one), v3(0.05 * one, g["ear_h"], g["ear_w"]))

    head = S.smooth_union(cranium, jaw, 0.18)
    head = S.smooth_union(head, chin, 0.10)
    head = S.smooth_union(head, cheek, 0.12)
    head = S.smooth_union(head, brow, 0.08)
    head = S.smooth_union(head, S.union(bridge, tip, wings), 0.05)
    head = S.smooth_union(head, lips, 0.04)
    head = S.smooth_subtract(head, socket, 0.05)
    head = S.smooth_union(head, ear, 0.05)
    face = tf.minimum(head, eye)
    face = S.clip_to_cube(face, p, 0.999)
    return face, dict(lips=lips, eye=eye, head=head, brow=brow)


def sdf(p, params):
    """Signed distance of each face. p [B, N, 3], params [B, P] -> [B, N]."""
    return _parts(p, params)[0]


def albedo(p, params):
    """Surface colour at points on the face. p [B, N, 3], params [B, P] -> [B, N, 3] in [0, 1]."""
    return sdf_and_albedo(p, params)[1]


def sdf_and_albedo(p, params):
    """Distance [B, N] and surface colour [B, N, 3] from one evaluation of the parts."""
    d, parts = _parts(p, params)
    c = params[:, NUM_SEMANTIC:][:, None, :]
    skin, hair, lip = c[..., 0:3], c[..., 3:6], c[..., 6:9]
    g = {n: params[:, i][:, None] for n, i in _IDX.items()}
    x, y, z = p[..., 0], p[..., 1], p[..., 2]
    # Hair: above a hairline that drops towards the back, and over the back of the cranium.
    back = tf.logical_and(z < g["hair_back_z"], y > g["ear_y"] + g["ear_h"] - 0.05)
    hair_mask = tf.logical_or(y > g["hairline_y"] - 0.3 * tf.maximum(-z, 0.0), back)
    col = tf.where(hair_mask[..., None], hair, skin)
    # Eyebrows: a dark band on the upper brow ridge.
    brow_band = tf.logical_and(
        tf.abs(y - (g["brow_y"] + 0.04)) < 0.035, tf.logical_and(tf.abs(x) > 0.08, tf.abs(x) < 0.36)
    )
    brow_band = tf.logical_and(brow_band, z > 0.3)
    col = tf.where(brow_band[..., None], hair * 0.9, col)
    col = tf.where((parts["lips"] < parts["head"] + 0.015)[..., None], lip, col)
    # Eyes: white sclera with a dark iris facing forward.
    iris = tf.logical_and(tf.sqrt(tf.square(tf.abs(x) - g["eye_x"]) + tf.square(y - g["eye_y"])) < 0.045, z > 0.0)
    eye_col = tf.where(iris[..., None], tf.constant([0.12, 0.08, 0.05]), tf.constant([0.92, 0.9, 0.86]))
    col = tf.where((parts["eye"] < parts["head"])[..., None], eye_col, col)
    return d, col
