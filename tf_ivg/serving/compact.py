"""Compact volume encodings for the wire: uint8 levels and bit-packed occupancy.

Shape key: B batch, D volume side, N = D^3, P = ceil(N / 8).

An 80^3 float32 volume is 2,048,000 bytes; as uint8 levels it is 512,000 and as packed bits
64,000. Bits are packed most significant first over the row-major `[D, D, D]` (`volume[y, x, z]`)
order, exactly like `np.packbits(volume.reshape(B, -1), axis=1)`, so `unpack_occupancy` is
`np.unpackbits`.
"""

import numpy as np


def to_uint8_levels(probabilities):
    """`[B, ...]` float in [0, 1] -> uint8 `round(255 * p)` (in graph)."""
    import tensorflow as tf

    p = tf.clip_by_value(tf.cast(probabilities, tf.float32), 0.0, 1.0)
    return tf.cast(tf.round(p * 255.0), tf.uint8)


def pack_occupancy(volume, threshold):
    """Thresholds and bit-packs volumes (in graph).

    Args:
        volume: `[B, D, D, D]` float.
        threshold: voxels with `volume >= threshold` are occupied.
    Returns:
        `[B, P]` uint8.
    """
    import tensorflow as tf

    count = int(np.prod(volume.shape[1:]))
    pad = -count % 8
    bits = tf.cast(tf.reshape(volume, [-1, count]) >= threshold, tf.int32)
    bits = tf.reshape(tf.pad(bits, [[0, 0], [0, pad]]), [-1, (count + pad) // 8, 8])
    weights = tf.constant([128, 64, 32, 16, 8, 4, 2, 1], tf.int32)
    return tf.cast(tf.reduce_sum(bits * weights, axis=-1), tf.uint8)


def unpack_occupancy(bits, side):
    """Bit-packed occupancy (the `occupancy_bits` output) -> {0, 1} uint8 volumes.

    Args:
        bits: `[B, P]` uint8, most significant bit first (as `np.packbits`).
        side: D.
    Returns:
        `[B, D, D, D]` uint8.
    """
    bits = np.asarray(bits, np.uint8)
    count = side**3
    if bits.ndim != 2 or bits.shape[1] * 8 < count:
        raise ValueError(f"expected bits [B, {-(-count // 8)}] for side {side}, got {list(bits.shape)}")
    return np.unpackbits(bits, axis=1)[:, :count].reshape(-1, side, side, side)
