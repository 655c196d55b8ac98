"""tfds builder `ivg_faces`."""

from tf_ivg_datasets.ivg_faces.ivg_faces_dataset_builder import Builder  # noqa: F401
