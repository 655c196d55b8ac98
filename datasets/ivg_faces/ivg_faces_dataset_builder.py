"""ivg_faces: procedural faces rendered by sphere tracing, with their volumes, clips and DC-IGN groups.

The tfds description is README.md and the citation CITATIONS.bib, both beside this file. The configs
(one `tf_ivg.data.specs.DatasetSpec` each), the feature schema and the rendering of the examples
(`tf_ivg.data.examples`) are shared with ivg_chairs.
"""

import tensorflow_datasets as tfds

from tf_ivg.data import examples, specs


class Builder(tfds.core.GeneratorBasedBuilder):
    """Faces from a 40-coefficient SDF face model: images, occupancy volumes and DC-IGN groups."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Procedural faces (SDF family, sphere tracing, voxelizer)."}
    BUILDER_CONFIGS = [
        tfds.core.BuilderConfig(name=spec.name, description=spec.description)
        for spec in specs.SPECS.values()
        if spec.family == "faces"
    ]

    @property
    def spec(self):
        """The `DatasetSpec` of this builder's config."""
        return specs.get_spec(f"{self.name}/{self.builder_config.name}")

    def _info(self):
        spec = self.spec
        return self.dataset_info_from_configs(
            features=examples.features_for(spec),
            # volumes: image [S,S,3] -> volume; video: clip [T,S,S,3] -> volume; DC-IGN groups: none.
            supervised_keys=("image", "volume") if spec.kind in ("volumes", "video") else None,
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # procedural: nothing is downloaded
        return {split: self._generate_examples(split) for split in specs.SPLITS}

    def _generate_examples(self, split):
        yield from examples.iter_examples(self.spec, split)
