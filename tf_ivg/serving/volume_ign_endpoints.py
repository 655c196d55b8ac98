"""Serving endpoints of a VolumeIGN (Grant et al. 2016).

Shape key: B batch, S image side, T frames (video configs only), C channels (3), D volume side,
K shape-code units, Z transformation-code units, P = ceil(D^3 / 8).

| signature             | inputs                                          | outputs                                        |
|-----------------------|-------------------------------------------------|------------------------------------------------|
| `serving_default`     | `image [B,S,S,C]`                               | `volume [B,D,D,D]` float32 in [0, 1]           |
| `encode`              | `image [B,S,S,C]`                               | `shape_code [B,K]`, `transformation_code [B,Z]`|
| `decode_volume`       | `shape_code [B,K]`                              | `volume [B,D,D,D]` float32 in [0, 1]           |
| `render`              | `shape_code [B,K]`, `transformation_code [B,Z]` | `image [B,S,S,C]` float32 in [0, 1]            |
| `reconstruct_compact` | `image [B,S,S,C]`                               | `volume_uint8 [B,D,D,D]`, `occupancy_bits [B,P]` |

For video configs `image` is `[B,T,S,S,C]` (and `render` returns that shape). Images are float32
in [0, 1]; every signature that takes an image has a `_uint8` twin taking uint8 [0, 255].

Only what the model was trained for is exported. A `volume_only` model (its image decoder never
trained, its transformation code never given a gradient) has no `render` signature, and its `encode`
returns only `shape_code`. A model with fitted in-distribution statistics (`model.has_novelty`,
`tf_ivg.novelty`) adds two outputs to `serving_default` and `reconstruct_compact`: `novelty [B]`
float32 (how unlike the training images each input is; about 1 for a typical training image) and
`in_distribution [B]` bool (`novelty <= model.novelty_threshold`).

The decoders end in PReLU and regress occupancy / pixels with an MSE loss, so their raw outputs
can leave [0, 1]; the signatures clip them to [0, 1] (the occupancy probability of each voxel).
`volume_uint8` is `round(255 * volume)`; `occupancy_bits` packs `volume >= model.iou_threshold`
(see `tf_ivg.serving.compact`).
"""

import tensorflow as tf

from tf_ivg.serving.compact import pack_occupancy, to_uint8_levels
from tf_ivg.serving.endpoints import Endpoint


def _unit(x):
    return tf.clip_by_value(tf.cast(x, tf.float32), 0.0, 1.0)


def volume_ign_endpoints(model):
    """The VolumeIGN endpoints the model was trained for (see module docstring)."""
    image = tf.TensorSpec([None, *model.image_shape], tf.float32, name="image")
    shape_code = tf.TensorSpec([None, model.shape_code], tf.float32, name="shape_code")
    transformation_code = tf.TensorSpec([None, model.transformation_code], tf.float32, name="transformation_code")
    threshold = float(model.iou_threshold)
    trained_image_decoder = model.uses_image_decoder
    novelty_threshold = model.novelty_threshold if model.has_novelty else None

    def volume_and_novelty(image):
        shape, _ = model.encode(image)
        outputs = {"volume": _unit(model.volume_decoder(shape, training=False))}
        if novelty_threshold is not None:
            novelty = tf.cast(model.input_novelty(shape), tf.float32)
            outputs.update(novelty=novelty, in_distribution=novelty <= novelty_threshold)
        return outputs

    def serve(inputs):
        return volume_and_novelty(inputs["image"])

    def encode(inputs):
        shape, transformation = model.encode(inputs["image"])
        codes = {"shape_code": tf.cast(shape, tf.float32)}
        if trained_image_decoder:
            codes["transformation_code"] = tf.cast(transformation, tf.float32)
        return codes

    def decode_volume(inputs):
        return {"volume": _unit(model.volume_decoder(inputs["shape_code"], training=False))}

    def render(inputs):
        return {"image": _unit(model.render(inputs["shape_code"], inputs["transformation_code"]))}

    def compact(inputs):
        outputs = volume_and_novelty(inputs["image"])
        volume = outputs.pop("volume")
        return {"volume_uint8": to_uint8_levels(volume), "occupancy_bits": pack_occupancy(volume, threshold), **outputs}

    endpoints = [
        Endpoint("serving_default", serve, {"image": image}, ["image"], doc="image -> volume occupancy probabilities"),
        Endpoint(
            "encode",
            encode,
            {"image": image},
            ["image"],
            doc="image -> shape and transformation codes" if trained_image_decoder else "image -> shape code",
        ),
        Endpoint("decode_volume", decode_volume, {"shape_code": shape_code}, doc="shape code -> volume"),
    ]
    if trained_image_decoder:
        endpoints.append(
            Endpoint(
                "render",
                render,
                {"shape_code": shape_code, "transformation_code": transformation_code},
                doc="both codes -> image",
            )
        )
    return endpoints + [
        Endpoint(
            "reconstruct_compact",
            compact,
            {"image": image},
            ["image"],
            doc="image -> volume as uint8 levels and as bit-packed occupancy",
        ),
    ]
