"""ivg_chairs: procedural parametric chairs rendered by sphere tracing, with their volumes and poses.

The tfds description is README.md and the citation CITATIONS.bib, both beside this file. The configs
(one `tf_ivg.data.specs.DatasetSpec` each), the feature schema and the rendering of the examples
(`tf_ivg.data.examples`) are shared with ivg_faces.
"""

import tensorflow_datasets as tfds

from tf_ivg.data import examples, specs


class Builder(tfds.core.GeneratorBasedBuilder):
    """Chairs in 6 styles with 12 continuous proportions: images, occupancy volumes and pose grids."""

    VERSION = tfds.core.Version("2.0.0")
    RELEASE_NOTES = {
        "1.0.0": "Procedural chairs (SDF family, sphere tracing, voxelizer).",
        "2.0.0": "Every part at least 0.1 thick (connected at 30^3); DC-IGN configs store one example "
        "per chair with its 60 poses (30 azimuths x 2 elevations), grouped by the pipeline.",
    }
    BUILDER_CONFIGS = [
        tfds.core.BuilderConfig(name=spec.name, description=spec.description)
        for spec in specs.SPECS.values()
        if spec.family == "chairs"
    ]

    @property
    def spec(self):
        """The `DatasetSpec` of this builder's config."""
        return specs.get_spec(f"{self.name}/{self.builder_config.name}")

    def _info(self):
        spec = self.spec
        return self.dataset_info_from_configs(
            features=examples.features_for(spec),
            # volumes: image [S,S,3] -> volume; one chair at 60 poses (dcign configs): none.
            supervised_keys=("image", "volume") if spec.kind == "volumes" else None,
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # procedural: nothing is downloaded
        return {split: self._generate_examples(split) for split in specs.SPLITS}

    def _generate_examples(self, split):
        yield from examples.iter_examples(self.spec, split)
