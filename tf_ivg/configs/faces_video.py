"""Grant et al. 2016, 4.7: volumes from 5-frame clips (left profile to right profile).

The network of 4.5 (3,000-unit FC, both decoders alternating) with the first layer taking the whole
clip (frames on channels, see tf_ivg.models.encoders). 10,000 clip / volume pairs, batch 10.
Long4: four passes (4,000 steps) with Adam's rate cosine-decayed from 3e-4, as `faces_disentangled`'s long4.
Single_long4: the paper's single-image baseline, the same network with a one-frame input trained the same way
(4,000 steps of 10) on the clips' frames, each paired with its clip's volume.
"""

from tf_ivg.configs._volume_base import base_config, longer, paper_model, smoke_config, smoke_model

VARIANTS = ("full", "smoke", "long4", "single_long4")


def get_config(variant="full"):
    if variant == "long4":
        return longer(get_config("full"), 4, initial=3e-4)
    if variant == "single_long4":
        config = get_config("long4")
        return dict(config, variant=variant, model_config=dict(config["model_config"], frames=1))
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
