"""Grant et al. 2016, 4.8: volumes of chairs, both decoders.

80x80 RGB in, 30^3 volumes out (a 5^3 grid up-sampled by 3 then 2),
shape code 599 + transformation code 1, IoU threshold 0.2 as the paper binarises. 5,000 pairs.
Smoke: 32x32 -> 32^3.
"""

from tf_ivg.configs._volume_base import base_config, paper_model, smoke_config, smoke_model


def get_config(variant="full"):
    if variant == "smoke":
        return smoke_config(
            "chairs_volume",
            "ivg_chairs/volumes_32_small",
            smoke_model(schedule="alternate", shape_code=30, transformation_code=1, iou_threshold=0.2),
        )
    return base_config(
        "chairs_volume",
        "full",
        "ivg_chairs/volumes_30",
        paper_model(
            schedule="alternate",
            shape_code=599,
            transformation_code=1,
            volume_size=30,
            volume_grid=5,
            volume_filters=[64, 32, 16],
            volume_upsampling=[3, 2, 1],
            iou_threshold=0.2,
        ),
        examples=5000,
    )
