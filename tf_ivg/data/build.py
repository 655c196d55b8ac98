"""Building a dataset config on disk (the logic behind `tf-ivg generate`).

tfds writes every split into `<data_dir>/<name>/<config>/incomplete.<random>_<version>` and renames it
to `<version>` only when all splits are written, so an interrupted build leaves nothing that
`is_prepared()` accepts; `build` removes such leftovers and starts the config again.
"""

import os
import shutil

from tf_ivg.data import specs as SP


def incomplete_dirs(builder):
    """Leftover temporary directories of interrupted builds of this config and version."""
    parent = os.path.dirname(builder.data_dir)
    version = os.path.basename(builder.data_dir)
    if not os.path.isdir(parent):
        return []
    # tfds 4.9 names them "incomplete.<random>_<version>"; older releases "<version>.incomplete<random>".
    return sorted(
        os.path.join(parent, d)
        for d in os.listdir(parent)
        if "incomplete" in d and (d.endswith("_" + version) or d.startswith(version + "."))
    )


def build(name, data_dir, overwrite=False):
    """Generates config `name` (e.g. "ivg_faces/volumes_32_small") under `data_dir`.

    Returns the builder. ValueError for unknown names. tfds shows a progress bar per split.
    """
    import tensorflow_datasets as tfds

    builder = SP.builder(name, data_dir)  # registers the config's builder (tf_ivg_datasets) on first use
    for leftover in incomplete_dirs(builder):
        shutil.rmtree(leftover, ignore_errors=True)
    if overwrite and builder.is_prepared():
        shutil.rmtree(builder.data_dir)
        builder = SP.builder(name, data_dir)
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(try_download_gcs=False))
    return builder
