"""Grant et al. 2016, 4.5: shape / transformation disentangling with both decoders.

Same as faces_volume plus a 3,000-unit fully connected RReLU layer in the encoder; the switches
alternate every 3 batches between the volume and the image decoder; the image decoder's gradient
to the shape code is blocked. 16,000 pairs, batch 10.
Long4: four passes (6,400 steps) with Adam's rate cosine-decayed from 3e-4 to 1.5e-5. From the paper's 1e-3 (as
`faces_volume`'s long4) the run diverged near step 1,500 (volume MSE 0.019 -> 750 within one epoch, never recovered):
the 3,000-unit layer reads 7,776 encoder features, and Adam moves all its weights at the full rate at once.
"""

from tf_ivg.configs._volume_base import base_config, longer, paper_model, smoke_config, smoke_model

VARIANTS = ("full", "smoke", "long4")


def get_config(variant="full"):
    if variant == "long4":
        return longer(get_config("full"), 4, initial=3e-4)
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
