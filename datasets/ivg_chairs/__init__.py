"""tfds builder `ivg_chairs`."""

from tf_ivg_datasets.ivg_chairs.ivg_chairs_dataset_builder import Builder  # noqa: F401
