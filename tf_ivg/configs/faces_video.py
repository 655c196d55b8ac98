"""Grant et al. 2016, 4.7: volumes from 5-frame clips (left profile to right profile).

The network of 4.5 (3,000-unit FC, both decoders alternating) with the first layer taking the whole
clip (frames on channels, see tf_ivg.models.encoders). 10,000 clip / volume pairs, batch 10.
"""

from tf_ivg.configs._volume_base import base_config, paper_model, smoke_config, smoke_model


def get_config(variant="full"):
    if variant == "smoke":
        return smoke_config(
            "faces_video", "ivg_faces/video_32_small", smoke_model(schedule="alternate", fc_units=64, frames=5)
        )
    return base_config(
        "faces_video",
        "full",
        "ivg_faces/video_80",
        paper_model(schedule="alternate", fc_units=3000, frames=5),
        examples=10000,
    )
