"""Grant et al. 2016, 4.5: shape / transformation disentangling with both decoders.

Same as faces_volume plus a 3,000-unit fully connected RReLU layer in the encoder; the switches
alternate every 3 batches between the volume and the image decoder; the image decoder's gradient
to the shape code is blocked. 16,000 pairs, batch 10.
"""

from tf_ivg.configs._volume_base import base_config, paper_model, smoke_config, smoke_model


def get_config(variant="full"):
    if variant == "smoke":
        return smoke_config(
            "faces_disentangled", "ivg_faces/volumes_32_small", smoke_model(schedule="alternate", fc_units=64)
        )
    return base_config(
        "faces_disentangled",
        "full",
        "ivg_faces/volumes_80",
        paper_model(schedule="alternate", fc_units=3000),
        examples=16000,
    )
