"""The entangled baseline of Kulkarni et al. 2015 (4.1.1) at 64x64: `dcign_faces_64`'s network, data, optimizer
and steps, trained with plain SGVB (no clamping). Variants as in `dcign_faces`."""

from tf_ivg.configs.dcign_faces import base_config


def get_config(variant="full"):
    return base_config("dcign_faces_64_baseline", variant, clamp=False, image_size=64)
