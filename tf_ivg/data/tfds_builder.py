"""The shared tfds builder behind `ivg_faces` and `ivg_chairs` (datasets/ subclasses it).

Features per config kind (S image side, D volume side, T frames, G group size, K/A coefficients):
- volumes: image [S,S,3] uint8 (PNG), volume [D,D,D] uint8 (zlib), label_azimuth / label_ambient
  (grid indices), value_azimuth, value_elevation, value_light, value_ambient float32.
- video: image [T,S,S,3] uint8 (zlib), volume, value_azimuth [T], other value_* scalars.
- dcign: images [G,S,S,1] uint8 (zlib), factor_id int32, value_* [G] float32, label_identity [G].
- poses: images [P,S,S,1] uint8 (zlib) of one object at P poses, value_azimuth / value_elevation [P]
  float32, label_azimuth / label_elevation [P] (grid indices), value_light, value_ambient scalars.
All kinds: label_identity int64, value_shape [K], value_albedo [A] (per image in dcign groups),
and label_style for chairs.
"""

import numpy as np
import tensorflow_datasets as tfds

from tf_ivg.data import examples
from tf_ivg.data import specs as SP
from tf_ivg.graphics import families

ZLIB = tfds.features.Encoding.ZLIB
RELEASE_NOTES = {
    "faces": {"1.0.0": "Procedural faces (SDF family, sphere tracing, voxelizer)."},
    "chairs": {
        "1.0.0": "Procedural chairs (SDF family, sphere tracing, voxelizer).",
        "2.0.0": "Every part at least 0.1 thick (connected at 30^3); DC-IGN configs store one example "
        "per chair with its 60 poses (30 azimuths x 2 elevations), grouped by the pipeline.",
    },
}
VERSIONS = {
    family: tfds.core.Version(max(notes, key=lambda v: tuple(map(int, v.split(".")))))
    for family, notes in RELEASE_NOTES.items()
}


class IvgBuilderConfig(tfds.core.BuilderConfig):
    """One DatasetSpec as a tfds BuilderConfig."""

    def __init__(self, spec):
        super().__init__(
            name=spec.name,
            version=VERSIONS[spec.family],
            release_notes=RELEASE_NOTES[spec.family],
            description=spec.description,
        )
        self.spec = spec


def configs_for(family):
    return [IvgBuilderConfig(s) for s in SP.SPECS.values() if s.family == family]


def features_for(spec):
    fam = families.get(spec.family)
    s, k, a = spec.image_size, fam.NUM_SHAPE, fam.NUM_ALBEDO
    f32, i64 = np.float32, np.int64
    values = ("azimuth", "elevation", "light", "ambient")
    if spec.kind == "poses":
        p = len(spec.azimuths) * len(spec.elevations)
        feats = {
            "images": tfds.features.Tensor(shape=(p, s, s, 1), dtype=np.uint8, encoding=ZLIB),
            "label_identity": tfds.features.Scalar(dtype=i64),
            "value_shape": tfds.features.Tensor(shape=(k,), dtype=f32),
            "value_albedo": tfds.features.Tensor(shape=(a,), dtype=f32),
            "value_light": tfds.features.Scalar(dtype=f32),
            "value_ambient": tfds.features.Scalar(dtype=f32),
        }
        for v in ("azimuth", "elevation"):
            feats[f"value_{v}"] = tfds.features.Tensor(shape=(p,), dtype=f32)
            feats[f"label_{v}"] = tfds.features.Tensor(shape=(p,), dtype=i64)
        if spec.family == "chairs":
            feats["label_style"] = tfds.features.Scalar(dtype=i64)
        return tfds.features.FeaturesDict(feats)
    if spec.kind == "dcign":
        g = spec.group_size
        feats = {
            "images": tfds.features.Tensor(shape=(g, s, s, 1), dtype=np.uint8, encoding=ZLIB),
            "factor_id": tfds.features.Scalar(dtype=np.int32),
            "label_identity": tfds.features.Tensor(shape=(g,), dtype=i64),
            "value_shape": tfds.features.Tensor(shape=(g, k), dtype=f32),
            "value_albedo": tfds.features.Tensor(shape=(g, a), dtype=f32),
        }
        feats.update({f"value_{v}": tfds.features.Tensor(shape=(g,), dtype=f32) for v in values})
        if spec.family == "chairs":
            feats["label_style"] = tfds.features.Tensor(shape=(g,), dtype=i64)
        return tfds.features.FeaturesDict(feats)
    d = spec.volume_size
    feats = {
        "volume": tfds.features.Tensor(shape=(d, d, d), dtype=np.uint8, encoding=ZLIB),
        "label_identity": tfds.features.Scalar(dtype=i64),
        "value_shape": tfds.features.Tensor(shape=(k,), dtype=f32),
        "value_albedo": tfds.features.Tensor(shape=(a,), dtype=f32),
    }
    feats.update({f"value_{v}": tfds.features.Scalar(dtype=f32) for v in values})
    if spec.kind == "volumes":
        feats["image"] = tfds.features.Image(shape=(s, s, 3))
        feats["label_azimuth"] = tfds.features.Scalar(dtype=i64)
        feats["label_ambient"] = tfds.features.Scalar(dtype=i64)
    else:
        feats["image"] = tfds.features.Tensor(shape=(spec.frames, s, s, 3), dtype=np.uint8, encoding=ZLIB)
        feats["value_azimuth"] = tfds.features.Tensor(shape=(spec.frames,), dtype=f32)
    if spec.family == "chairs":
        feats["label_style"] = tfds.features.Scalar(dtype=i64)
    return tfds.features.FeaturesDict(feats)


class IvgBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    """Procedural dataset builder; nothing is downloaded, every example is rendered."""

    FAMILY = None

    def _info(self):
        spec = self.builder_config.spec
        return self.dataset_info_from_configs(
            features=features_for(spec),
            homepage="https://github.com/tf-ivg/tf_ivg",
            description=spec.description,
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # procedural: nothing to download
        return {split: self._generate_examples(split) for split in SP.SPLITS}

    def _generate_examples(self, split):
        yield from examples.iter_examples(self.builder_config.spec, split)
