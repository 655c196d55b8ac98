"""tfds builders for tf_ivg's procedural data; `import tf_ivg_datasets` registers them.

import tf_ivg_datasets, tensorflow_datasets as tfds
ds = tfds.load("ivg_faces/volumes_32_small", split="train", data_dir=...)
"""

from tf_ivg_datasets import ivg_chairs, ivg_faces  # noqa: F401
