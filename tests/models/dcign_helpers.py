"""Tiny DC-IGN models and hand-made single-factor groups for the DC-IGN tests."""

import numpy as np

from tf_ivg.models.dcign import build_dcign

TINY = dict(
    latent_dim=6, encoder_filters=(4, 4, 4), decoder_grid_channels=4, decoder_filters=(4, 4), decoder_kernel=3, seed=0
)


def tiny_dcign(image_size=16, **overrides):
    """A 16x16 DC-IGN with 6 latents: z0 azimuth, z1 elevation, z2 light, z3:6 identity."""
    return build_dcign(image_size, **{**TINY, **overrides})


def shifting_square_group(size=16, group=6, seed=0):
    """A hand-made 'azimuth' group: one bright square of a fixed random size and brightness that moves
    across the image (only its position varies). Returns `[G, S, S, 1]` float32 in [0, 1]."""
    rng = np.random.default_rng(seed)
    side = int(rng.integers(3, 6))
    level = float(rng.uniform(0.6, 1.0))
    images = np.full((group, size, size, 1), 0.1, np.float32)
    top = int(rng.integers(0, size - side))
    for g, left in enumerate(np.linspace(0, size - side, group).astype(int)):
        images[g, top : top + side, left : left + side] = level
    return images
