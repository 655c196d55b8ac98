"""The entangled baseline of Kulkarni et al. 2015 (4.1.1): the DC-IGN face network trained with plain SGVB on the same
groups, without clamping. Its azimuth latent is found afterwards as the one with the highest variance over an
azimuth group (`DCIGN.most_varying_latent`). Variants as in `dcign_faces`."""

from tf_ivg.configs.dcign_faces import base_config


def get_config(variant="full"):
    return base_config("dcign_faces_baseline", variant, clamp=False)
