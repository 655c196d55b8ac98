"""Data for tf_ivg: in-memory generators and tfds -> tf.data pipelines (docs/CONTRACTS.md).

- `make_volume_pairs(num, image_size, volume_size, family="faces", seed=0)`
  -> (images [N,S,S,3], volumes [N,D,D,D], factors)
- `make_dcign_group(factor, group_size, image_size, family="faces", seed=0)`
  -> (images [G,S,S,1], factor_id, factors)
- `volume_pairs(name, split, data_dir=None)`, `dcign_groups(name, split, data_dir=None)`: tf.data
  (chairs' DC-IGN configs store each chair at 60 poses; `dcign_groups` forms their groups).
- `FACTOR_IDS`: {"azimuth": 0, "elevation": 1, "light": 2, "identity": 3}.
"""

from tf_ivg.data.factors import FACTOR_IDS, FACTOR_NAMES, RANGES  # noqa: F401
from tf_ivg.data.synthetic import make_dcign_group, make_volume_pairs  # noqa: F401


def volume_pairs(name, split, data_dir=None):
    from tf_ivg.data.pipelines import volume_pairs as fn

    return fn(name, split, data_dir=data_dir)


def dcign_groups(name, split, data_dir=None):
    from tf_ivg.data.pipelines import dcign_groups as fn

    return fn(name, split, data_dir=data_dir)
