"""tfds's DatasetBuilderTestCase on each builder's small config (nothing is downloaded)."""

import tensorflow_datasets as tfds

import tf_ivg_datasets  # noqa: F401
from tf_ivg_datasets.ivg_chairs.ivg_chairs_dataset_builder import Builder as ChairsBuilder
from tf_ivg_datasets.ivg_faces.ivg_faces_dataset_builder import Builder as FacesBuilder


class IvgFacesVolumesTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = FacesBuilder
    BUILDER_CONFIG_NAMES_TO_TEST = ["volumes_32_small"]
    SPLITS = {"train": 150, "validation": 30, "test": 30}
    SKIP_TF1_GRAPH_MODE = True


class IvgChairsDcignTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = ChairsBuilder
    BUILDER_CONFIG_NAMES_TO_TEST = ["dcign_32_small"]
    SPLITS = {"train": 16, "validation": 8, "test": 8}  # chairs, each at 60 poses
    SKIP_TF1_GRAPH_MODE = True
