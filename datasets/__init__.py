"""tfds builders for tf_ivg's procedural data; `import tf_ivg_datasets` registers them.

import tf_ivg_datasets, tensorflow_datasets as tfds
ds = tfds.load("ivg_faces/volumes_32_small", split="train", data_dir=...)

The builders import tf_ivg.data (configs, features, rendering); tf_ivg.data imports them only by
name, when a builder is asked for (`tf_ivg.data.specs.builder`), so there is no import cycle.
"""

from tf_ivg_datasets import ivg_chairs, ivg_faces  # noqa: F401
