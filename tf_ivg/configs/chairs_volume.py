"""Grant et al. 2016, 4.8: volumes of chairs, both decoders.

80x80 RGB in, 30^3 volumes out (a 5^3 grid up-sampled by 3 then 2),
shape code 599 + transformation code 1, IoU threshold 0.2 as the paper binarises. 5,000 pairs.
Smoke: 32x32 -> 32^3. Long4 / long8: four / eight passes (2,000 / 4,000 steps) with Adam's rate cosine-decayed from
1e-3 to 5e-5 (four passes left the validation IoU still rising). Large3 / large6: three / six passes (6,000 / 12,000
steps) over `ivg_chairs/volumes_30_large`, four times as many training chairs (eight passes over 625 chairs left a
widening gap between training and validation IoU).
"""

from tf_ivg.configs._volume_base import base_config, longer, paper_model, smoke_config, smoke_model

VARIANTS = ("full", "smoke", "long4", "long8", "large3", "large6")


def get_config(variant="full"):
    if variant in ("long4", "long8"):
        return longer(get_config("full"), int(variant[4:]))
    if variant in ("large3", "large6"):
        return dict(longer(_full("ivg_chairs/volumes_30_large", 20000), int(variant[5:])), variant=variant)
    if variant == "smoke":
        return smoke_config(
            "chairs_volume",
            "ivg_chairs/volumes_32_small",
            smoke_model(schedule="alternate", shape_code=30, transformation_code=1, iou_threshold=0.2),
        )
    return _full("ivg_chairs/volumes_30", 5000)


def _full(dataset, examples):
    return base_config(
        "chairs_volume",
        "full",
        dataset,
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
        examples=examples,
    )
