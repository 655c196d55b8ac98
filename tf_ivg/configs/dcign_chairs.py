"""DC-IGN on procedural chairs (Kulkarni et al. 2015, 4.2): azimuth is z[0]; every other variation (identity,
elevation, light) is intrinsic and shares z[1:]. Variants as in `dcign_faces`."""

from tf_ivg.configs.dcign_faces import base_config


def get_config(variant="full"):
    return base_config("dcign_chairs", variant, family="chairs", layout="chairs")
