"""DC-IGN on chairs at 64x64 (Kulkarni et al. 2015, 4.2, at the size a CPU trains in an hour): the paper's
networks (96/48/24 encoder maps, 200 latents, azimuth clamped in z[0], everything else in z[1:]) on
`ivg_chairs/dcign_64_small` (160 / 20 / 20 chairs, each at 30 azimuths x 2 elevations). Variants as in
`dcign_faces`."""

from tf_ivg.configs.dcign_faces import base_config


def get_config(variant="full"):
    return base_config("dcign_chairs_64", variant, family="chairs", layout="chairs", image_size=64)
