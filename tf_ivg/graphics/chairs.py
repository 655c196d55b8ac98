"""Parametric chairs: seat, back (height, tilt, solid or slatted), four legs, a pedestal or a sled
base, optional arms and crossbars, in NUM_STYLES styles with K continuous coefficients (N(0, I))
varying the proportions within each style, and two colours (upholstery, frame).

Shape key: B chairs, N points, K = NUM_SHAPE coefficients, P = NUM_PARAMS packed parameters.
Canonical frame: x to the viewer's right, y up, z towards the camera (the seat's front faces +z);
the chair fits in [-1, 1]^3 with its feet at y = FLOOR_Y.

No part is thinner than 2 * MIN_HALF_THICKNESS = 0.1 across (legs, slats, crossbars, tubes, plates):
more than a voxel diagonal at 30^3 (pitch 2/30, diagonal 0.094), so every leg stays connected in the
coarsest volumes the datasets store, and about 3 pixels at 64x64, so image and volume silhouettes
agree (thinner parts made the volume's staircase dominate thin legs' silhouettes).
"""

import numpy as np
import tensorflow as tf

from tf_ivg.graphics import sdf as S

STYLES = ("side_chair", "slat_back", "armchair", "office", "bar_stool", "cantilever")
NUM_STYLES = len(STYLES)
NUM_SHAPE = 12
NUM_ALBEDO = 6
FLOOR_Y = -0.92
BIG = 1e3

# Per style: seat half width, half depth, thickness, height (centre y), back height, tilt (rad),
# back half thickness, leg radius (half width for box legs).
MIN_HALF_THICKNESS = 0.05
_STYLE_MEANS = np.array(
    [
        [0.42, 0.40, 0.07, -0.05, 0.80, 0.10, 0.065, 0.065],
        [0.40, 0.38, 0.065, -0.05, 0.85, 0.12, 0.06, 0.06],
        [0.55, 0.48, 0.11, -0.20, 0.65, 0.12, 0.12, 0.075],
        [0.45, 0.42, 0.09, -0.10, 0.75, 0.20, 0.08, 0.065],
        [0.32, 0.30, 0.065, 0.22, 0.40, 0.05, 0.06, 0.06],
        [0.42, 0.42, 0.07, -0.08, 0.70, 0.25, 0.065, 0.06],
    ]
)
_STD = np.array([0.05, 0.05, 0.008, 0.06, 0.10, 0.06, 0.006, 0.004])
_THICKNESS = [2, 6, 7]  # columns of _STYLE_MEANS that are half thicknesses
# Style flags: four box legs, four round legs, pedestal, sled, arms, slatted back, crossbars.
_FLAGS = np.array(
    [
        [1, 0, 0, 0, 0, 0, 0],
        [0, 1, 0, 0, 0, 1, 0],
        [1, 0, 0, 0, 1, 0, 0],
        [0, 0, 1, 0, 1, 0, 0],
        [0, 1, 0, 0, 0, 0, 1],
        [0, 0, 0, 1, 0, 0, 0],
    ],
    np.float64,
)
NUM_SEMANTIC = 8 + 4  # the above plus leg inset, arm height, slat width, leg splay
NUM_FLAGS = _FLAGS.shape[1]
NUM_COLOURS = 6
NUM_PARAMS = NUM_SEMANTIC + NUM_FLAGS + NUM_COLOURS

CAMERA_DISTANCE = 4.5
HALF_FOV = float(np.arcsin(1.1 / CAMERA_DISTANCE))
BOUND_RADIUS = float(np.sqrt(3.0))


def sample_coefficients(rng, n):
    """Draws chairs. -> style [n] int, shape [n, K], albedo [n, A] (N(0, I))."""
    style = rng.integers(0, NUM_STYLES, n)
    return style, rng.standard_normal((n, NUM_SHAPE)), rng.standard_normal((n, NUM_ALBEDO))


def params_from_coefficients(style, shape, albedo):
    """Packs style [B] int, shape [B, K], albedo [B, A] -> renderer parameters [B, P] float32."""
    style = np.asarray(style)
    shape = np.clip(np.asarray(shape, np.float64), -2.5, 2.5)
    albedo = np.clip(np.asarray(albedo, np.float64), -2.5, 2.5)
    if shape.ndim != 2 or shape.shape[1] != NUM_SHAPE:
        raise ValueError(f"chair shape coefficients must be [B, {NUM_SHAPE}], got {shape.shape}")
    if np.any(style < 0) or np.any(style >= NUM_STYLES):
        raise ValueError(f"chair style must be in [0, {NUM_STYLES}), got {style}")
    main = _STYLE_MEANS[style] + _STD * shape[:, :8]
    main[:, _THICKNESS] = np.maximum(main[:, _THICKNESS], MIN_HALF_THICKNESS)
    extra = np.stack(
        [
            0.05 + 0.02 * shape[:, 8],  # leg inset from the seat's edge
            0.20 + 0.04 * shape[:, 9],  # arm height above the seat
            np.maximum(0.055 + 0.002 * shape[:, 10], MIN_HALF_THICKNESS),  # slat half width
            0.04 * shape[:, 11],  # leg splay (outwards at the floor)
        ],
        -1,
    )
    fabric = 0.5 + 0.25 * np.tanh(albedo[:, 0:3])
    frame = (0.35 + 0.2 * np.tanh(albedo[:, 3:4])) * (
        1.0 + 0.25 * np.tanh(albedo[:, 4:6]).repeat(2, 1)[:, :3] * np.array([1, 0, -1])
    )
    colours = np.clip(np.concatenate([fabric, frame], -1), 0.05, 1.0)
    return np.concatenate([main, extra, _FLAGS[style], colours], -1).astype(np.float32)


def _parts(p, params):
    g = [params[:, i][:, None] for i in range(NUM_PARAMS)]
    sw, sd, st, sy, bh, tilt, bt, lr, inset, arm_h, slat_w, splay = g[:NUM_SEMANTIC]
    f_box, f_round, f_ped, f_sled, f_arms, f_slats, f_cross = g[NUM_SEMANTIC : NUM_SEMANTIC + NUM_FLAGS]
    zero = tf.zeros_like(sw)

    def v3(x, y, z):
        return tf.stack([x + zero, y + zero, z + zero], -1)

    x, y, z = p[..., 0], p[..., 1], p[..., 2]
    ax = tf.abs(x)
    pm = tf.stack([ax, y, z], -1)  # mirrored in x
    pmm = tf.stack([ax, y, tf.abs(z)], -1)  # mirrored in x and z
    seat = S.box(p, v3(zero, sy, zero), v3(sw, st, sd), 0.015)

    # Back: a plate (or posts and slats) hinged at the seat's rear edge, tilted backwards.
    pivot_y, pivot_z = sy + st, -sd + bt
    qy, qz = y - pivot_y, z - pivot_z
    c, s = tf.cos(tilt), tf.sin(tilt)
    by, bz = c * qy - s * qz, s * qy + c * qz  # rotate so the back is upright in (by, bz)
    pb = tf.stack([x, by, bz], -1)
    pbm = tf.stack([ax, by, bz], -1)
    plate = S.box(pb, v3(zero, bh / 2, -bt), v3(sw * 0.95, bh / 2, bt), 0.02)
    posts = S.box(pbm, v3(sw * 0.92, bh / 2, -bt), v3(MIN_HALF_THICKNESS + zero, bh / 2, bt), 0.01)
    rail = S.box(pb, v3(zero, bh - 0.06, -bt), v3(sw * 0.92, 0.06 + zero, bt), 0.01)
    slat_x = tf.abs(ax - sw * 0.31)  # two slats, mirrored, with gaps of about 0.6 sw between parts
    slats = S.box(tf.stack([slat_x, by, bz], -1), v3(zero, bh / 2, -bt), v3(slat_w, bh / 2, bt))
    slatted = S.union(posts, rail, slats)
    back = tf.minimum(plate + BIG * f_slats, slatted + BIG * (1 - f_slats))

    # Four legs from the seat's corners to the floor, splayed outwards.
    leg_top = v3(sw - inset, sy, sd - inset)
    leg_bot = v3(sw - inset + splay, FLOOR_Y + zero, sd - inset + splay)
    round_legs = S.capsule(pmm, leg_top, leg_bot, lr)
    box_legs = S.box(pmm, v3(sw - inset, (sy + FLOOR_Y) / 2, sd - inset), v3(lr, (sy - FLOOR_Y) / 2, lr), 0.005)
    cross = S.box(
        pmm,
        v3(zero, FLOOR_Y + 0.3 * (sy - FLOOR_Y), sd - inset + 0.6 * splay),
        v3(sw - inset, MIN_HALF_THICKNESS + zero, MIN_HALF_THICKNESS + zero),
    )
    cross = tf.minimum(
        cross,
        S.box(
            pmm,
            v3(sw - inset + 0.6 * splay, FLOOR_Y + 0.3 * (sy - FLOOR_Y), zero),
            v3(MIN_HALF_THICKNESS + zero, MIN_HALF_THICKNESS + zero, sd - inset),
        ),
    )
    # Pedestal: column and five spokes.
    column = S.capsule(p, v3(zero, sy, zero), v3(zero, FLOOR_Y + 0.08, zero), 0.06 + zero)
    ang = tf.atan2(x, z)
    sector = 2 * np.pi / 5
    a = ang - sector * tf.round(ang / sector)
    r = tf.sqrt(x * x + z * z)
    spoke_p = tf.stack([r * tf.sin(a), y, r * tf.cos(a)], -1)
    spokes = S.capsule(
        spoke_p, v3(zero, FLOOR_Y + 0.08, zero), v3(zero, FLOOR_Y + 0.06, sd + 0.05), MIN_HALF_THICKNESS + zero
    )
    wheels = S.sphere(spoke_p, v3(zero, FLOOR_Y + 0.06, sd + 0.05), 0.06 + zero)
    pedestal = S.union(column, spokes, wheels)
    # Sled / cantilever: tubes on the floor, up the front, under the seat.
    runner = S.capsule(pm, v3(sw - inset, FLOOR_Y + lr, -sd), v3(sw - inset, FLOOR_Y + lr, sd), lr)
    upright = S.capsule(pm, v3(sw - inset, FLOOR_Y + lr, sd), v3(sw - inset, sy, sd - 0.05), lr)
    under = S.capsule(pm, v3(sw - inset, sy - st, sd - 0.05), v3(sw - inset, sy - st, -sd + 0.1), lr)
    sled = S.union(runner, upright, under)
    # Arms: a rest on posts on each side.
    arm_rest = S.box(
        pm, v3(sw + 0.02, sy + st + arm_h, -0.05 + zero), v3(0.06 + zero, MIN_HALF_THICKNESS + zero, sd * 0.85), 0.02
    )
    arm_post = S.box(
        pm,
        v3(sw + 0.02, sy + (st + arm_h) / 2, sd * 0.65),
        v3(MIN_HALF_THICKNESS + zero, (st + arm_h) / 2, MIN_HALF_THICKNESS + zero),
        0.01,
    )
    arms = tf.minimum(arm_rest, arm_post)

    frame = S.union(
        box_legs + BIG * (1 - f_box),
        round_legs + BIG * (1 - f_round),
        pedestal + BIG * (1 - f_ped),
        sled + BIG * (1 - f_sled),
        arms + BIG * (1 - f_arms),
        cross + BIG * (1 - f_cross),
    )
    upholstery = tf.minimum(seat, back)
    d = S.clip_to_cube(tf.minimum(upholstery, frame), p, 0.999)
    return d, upholstery, frame


def sdf(p, params):
    """Signed distance of each chair. p [B, N, 3], params [B, P] -> [B, N]."""
    return _parts(p, params)[0]


def albedo(p, params):
    """Colour at surface points: upholstery or frame colour. p [B, N, 3] -> [B, N, 3]."""
    return sdf_and_albedo(p, params)[1]


def sdf_and_albedo(p, params):
    """Distance [B, N] and colour [B, N, 3] from one evaluation of the parts."""
    d, upholstery, frame = _parts(p, params)
    c = params[:, NUM_SEMANTIC + NUM_FLAGS :][:, None, :]
    return d, tf.where((upholstery <= frame)[..., None], c[..., 0:3], c[..., 3:6])
