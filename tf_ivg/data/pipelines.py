"""tfds -> tf.data pipelines (docs/CONTRACTS.md).

Shape key: S image side, D volume side, T frames, G group size. Datasets are unbatched.
DC-IGN groups come stored ("dcign" configs, faces) or are formed from each object's pose grid
("poses" configs, chairs: azimuth, elevation and identity groups; see pose_groups.py).
"""

import tensorflow as tf

from tf_ivg.data import specs as SP

_GROUP_FACTORS = ("azimuth", "elevation", "light", "ambient")


def load_builder(name, data_dir=None):
    """The prepared tfds builder for `name` ("ivg_faces/volumes_80", ...).

    ValueError for unknown names; FileNotFoundError (with the command that builds it) when the
    config was never generated under `data_dir`. `specs.builder` registers the config's tfds
    builder on first use (by module name; this module does not import tf_ivg_datasets).
    """
    builder = SP.builder(name, data_dir)
    if not builder.is_prepared():
        where = f" --data-dir {data_dir}" if data_dir else ""
        raise FileNotFoundError(
            f"dataset {name} is not generated in {builder.data_dir}; run: tf-ivg generate {name}{where}"
        )
    return builder


def _zlib_decoders(features):
    """tfds decoders for the zlib-encoded tensors among `features` (volumes, clips, DC-IGN images).

    They decode exactly as tfds's `Tensor.decode_example` (zlib inflate, raw bytes of the feature's dtype,
    reshape), which in tensorflow-datasets 4.9 also reads the deprecated `FeatureConnector.dtype` and logs a
    deprecation warning on every load; these use `tf_dtype`.
    """
    import tensorflow_datasets as tfds

    @tfds.decode.make_decoder()
    def inflate(serialized, feature):
        raw = tf.io.decode_raw(tf.io.decode_compressed(serialized, compression_type="ZLIB"), feature.tf_dtype)
        return tf.reshape(raw, feature.shape)

    return {
        key: inflate()
        for key, feature in features.items()
        if isinstance(feature, tfds.features.Tensor) and feature.to_json_content().encoding == "zlib"
    }


def _read(name, split, data_dir, kind):
    import tensorflow_datasets as tfds

    spec = SP.get_spec(name)
    SP.check_split(split)
    grouped = spec.kind in ("dcign", "poses")
    if grouped != (kind == "dcign"):
        want = "a dcign config" if kind == "dcign" else "a volumes or video config"
        raise ValueError(f"{name} is a {spec.kind} config; expected {want}")
    builder = load_builder(name, data_dir)
    # No tfds auto-cache: it caches datasets under 250 MiB on disk in memory *decoded*, and zlib-stored
    # volumes grow ~40x when decoded (ivg_faces/volumes_80: ~8.5 GB of RAM over the first pass of training).
    # Re-reading and inflating the records each pass costs little beside a training step.
    read_config = tfds.ReadConfig(try_autocache=False)
    decoders = _zlib_decoders(builder.info.features)
    return builder.as_dataset(split=split, shuffle_files=False, decoders=decoders, read_config=read_config)


def volume_pairs(name, split, data_dir=None):
    """-> unbatched (image [S,S,3] float32 in [0,1] (video: [T,S,S,3]), volume [D,D,D] float32)."""
    ds = _read(name, split, data_dir, "volumes")
    return ds.map(
        lambda ex: (tf.cast(ex["image"], tf.float32) / 255.0, tf.cast(ex["volume"], tf.float32)),
        num_parallel_calls=tf.data.AUTOTUNE,
    )


def dcign_groups(name, split, data_dir=None):
    """-> unbatched (images [G,S,S,1] float32 in [0,1], factor_id int32 scalar,
    factors dict: azimuth, elevation, light, ambient [G] float32, identity [G] int64).

    Faces configs store their groups (factor ids 0-3); chairs configs store each chair at 60 poses
    and the groups are formed here: azimuth (0), elevation (1) and identity (3) groups, one of each
    per chair and pass, in a fixed order (light and ambient are fixed for chairs).
    """
    ds = _read(name, split, data_dir, "dcign")
    spec = SP.get_spec(name)
    if spec.kind == "poses":
        from tf_ivg.data.pose_groups import groups_from_poses

        return groups_from_poses(ds, spec, split).map(
            lambda images, fid, factors: (tf.cast(images, tf.float32) / 255.0, fid, factors),
            num_parallel_calls=tf.data.AUTOTUNE,
        )

    def convert(ex):
        factors = {k: ex[f"value_{k}"] for k in _GROUP_FACTORS}
        factors["identity"] = ex["label_identity"]
        return tf.cast(ex["images"], tf.float32) / 255.0, tf.cast(ex["factor_id"], tf.int32), factors

    return ds.map(convert, num_parallel_calls=tf.data.AUTOTUNE)
