"""Paper 000, 4.1-4.2: volumes from single face images, image decoder switched off.

Full: 80x80 RGB -> 80^3, code 185 + 15, Adam lr 1e-3, batch 10, 16,000 pairs each seen once (1,600 steps).
Smoke: 32x32 -> 32^3, tiny widths, on the small tfds config.
"""
from tf_ivg.configs._volume_base import base_config, paper_model, smoke_config, smoke_model


def get_config(variant="full"):
    if variant == "smoke":
        return smoke_config("faces_volume", "ivg_faces/volumes_32_small", smoke_model(schedule="volume_only"))
    return base_config("faces_volume", "full", "ivg_faces/volumes_80", paper_model(schedule="volume_only"),
                       examples=16000)
