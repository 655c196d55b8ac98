"""The 64x64 DC-IGN face variant for quick runs: the paper's networks (96/48/24 encoder maps, 200 latents,
factor clamping, the authors' optimizer) on 64x64 groups; the decoder goes 16 -> 32 -> 64. Smoke as in `dcign_faces`."""

from tf_ivg.configs.dcign_faces import base_config


def get_config(variant="full"):
    return base_config("dcign_faces_64", variant, image_size=64)
