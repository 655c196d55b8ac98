"""`tf-ivg train` task for DC-IGN configs (`model: "dcign"`), per docs/CONTRACTS.md.

Shape key: G group size (= training batch), S image side, C channels (1), N summary images.

Batches are `(images [G, S, S, C] float32 in [0, 1], factor_id [G] int32)`: one single-factor group,
with its factor id repeated per image so that a distribution strategy can split the group between
replicas (each replica's share is still a single-factor group).
"""

import functools

import numpy as np
import tensorflow as tf
import tqdm

from tf_ivg.models.dcign import DCIGN, FACTOR_NAMES
from tf_ivg.optimizers import make_optimizer
from tf_ivg.training.tasks import check_model_arguments


def build_model(config):
    """A compiled `DCIGN` from a config (call inside `strategy.scope()` when distributing)."""
    if config.get("model") != "dcign":
        raise ValueError(f"dcign_task builds configs with model='dcign'; got {config.get('model')!r}")
    model = DCIGN(**config["model_config"])
    model(np.zeros((1, model.image_size, model.image_size, model.channels), np.float32))  # creates the variables
    # XLA is slower on CPU for these conv nets (docs/design.md) and would drop the in-graph group check.
    model.compile(optimizer=make_optimizer(config["optimizer"]), jit_compile=False)
    return model


def _with_factor_per_image(images, factor_id, *_):
    factor_id = tf.cast(factor_id, tf.int32)
    return images, tf.fill(tf.shape(images)[:1], factor_id)


def groups_to_batches(groups, group_size):
    """Unbatched groups `(images [G,S,S,C], factor_id [], ...)` -> batches `(images [G,S,S,C], factor_id [G])`.

    Unbatching then batching by G keeps each group intact and gives the dataset a static batch size,
    which `tf.distribute` needs to split batches between replicas.
    """
    return (
        groups.map(_with_factor_per_image, num_parallel_calls=tf.data.AUTOTUNE)
        .unbatch()
        .batch(group_size, drop_remainder=True)
    )


@functools.lru_cache(maxsize=4)
def _generate(family, group_size, image_size, num_groups, seed):
    from tf_ivg.data import make_dcign_group

    images, ids = [], []
    factors = np.random.default_rng([seed, 5]).integers(len(FACTOR_NAMES), size=num_groups)
    for i in tqdm.trange(num_groups, desc=f"generating {family} groups", unit="group", leave=False):
        group, factor_id, _ = make_dcign_group(
            FACTOR_NAMES[factors[i]], group_size, image_size, family=family, seed=seed + i
        )
        images.append(np.asarray(group, np.float32))
        ids.append(int(factor_id))
    return np.stack(images), np.asarray(ids, np.int32)


def generated_groups(config, num_groups, seed):
    """`num_groups` groups generated in memory with `tf_ivg.data.make_dcign_group`, each of a factor drawn at
    random (the authors' `load_random_mv_batch`), not in a fixed cycle.

    Cached per process (a DC-IGN and its baseline trained in one process share the same groups).
    Returns an unbatched dataset of `(images [G,S,S,1], factor_id [])`.
    """
    images, ids = _generate(
        config.get("family", "faces"),
        int(config["batch_size"]),
        int(config["model_config"]["image_size"]),
        int(num_groups),
        int(seed),
    )
    return tf.data.Dataset.from_tensor_slices((images, ids))


def make_datasets(config, data_dir=None):
    """`(train_ds, val_ds)`: train repeats forever; both yield `(images [G,S,S,C], factor_id [G])`.

    `config["source"]`: "tfds" reads `config["dataset"]` through `tf_ivg.data.dcign_groups`
    (from `data_dir`); "generate" builds `num_groups` / `validation_groups` groups in memory. Training
    groups are shuffled (in memory: once, one fixed order for every pass and replica count; a `shuffle_buffer` of groups, default 256, from
    tfds), so each batch's factor is random, as the authors drew it, not a fixed cycle.
    """
    group_size = int(config["batch_size"])
    seed = int(config.get("seed", 0))
    source = config.get("source", "tfds")
    if source == "generate":
        num_groups = int(config.get("num_groups", 8))
        train = generated_groups(config, num_groups, seed).shuffle(
            num_groups, seed=seed, reshuffle_each_iteration=False
        )
        val = generated_groups(config, int(config.get("validation_groups", 4)), seed + 1_000_000)
    elif source == "tfds":
        from tf_ivg.data import dcign_groups

        train = dcign_groups(config["dataset"], config.get("train_split", "train"), data_dir=data_dir)
        val = dcign_groups(config["dataset"], config.get("validation_split", "validation"), data_dir=data_dir)
        check_compatible(config, train.element_spec)
        train = train.shuffle(int(config.get("shuffle_buffer", 256)), seed=seed)
    else:
        raise ValueError(f"config source must be 'tfds' or 'generate'; got {source!r}")
    train = groups_to_batches(train.repeat(), group_size).prefetch(tf.data.AUTOTUNE)
    val = groups_to_batches(val, group_size).prefetch(tf.data.AUTOTUNE)
    return train, val


def check_compatible(config, element_spec):
    """Raises ValueError unless the data's images are `[G or None, S, S, C]` with the config's S, C and G.

    `element_spec` is that of `dcign_groups` (unbatched groups) or of `make_datasets` (batches).
    """
    spec = element_spec[0] if isinstance(element_spec, (tuple, list)) else element_spec
    if isinstance(spec, dict):
        spec = spec.get("images")
    shape = tuple(getattr(spec, "shape", ()) or ())
    size, channels = int(config["model_config"]["image_size"]), int(config["model_config"].get("channels", 1))
    if len(shape) != 4 or tuple(shape[1:]) != (size, size, channels):
        raise ValueError(
            f"config {config.get('name')!r} expects groups of images [G, {size}, {size}, {channels}]; "
            f"dataset {config.get('dataset')!r} gives {shape}"
        )
    if shape[0] is not None and shape[0] != int(config["batch_size"]):
        raise ValueError(
            f"config {config.get('name')!r} has batch_size (group size) {config['batch_size']}; "
            f"dataset {config.get('dataset')!r} gives groups of {shape[0]}"
        )


def summary_images(model, batch, max_images=4):
    """TensorBoard images: inputs, reconstructions (posterior mean) and an azimuth traversal of the first image.

    Returns:
      `{"input": [N,S,S,C], "reconstruction": [N,S,S,C], "azimuth_traversal": [1, S, 7*S, C]}` float32 in [0, 1].
    """
    images = batch[0] if isinstance(batch, (tuple, list)) else batch
    images = tf.convert_to_tensor(images)[:max_images]
    traversal = model.rerender(images[:1], "azimuth", np.linspace(-3.0, 3.0, 7))  # [1, 7, S, S, C]
    traversal = tf.concat(tf.unstack(tf.convert_to_tensor(traversal), axis=1), axis=2)  # [1, S, 7*S, C]
    return {
        "input": tf.cast(images, tf.float32),
        "reconstruction": tf.cast(model(images, training=False), tf.float32),
        "azimuth_traversal": tf.cast(traversal, tf.float32),
    }


def validate_config(config):
    """Raises ValueError for a DC-IGN config the model cannot be built from (checked before building)."""
    missing = [k for k in ("name", "batch_size", "steps", "optimizer", "model_config") if k not in config]
    if missing:
        raise ValueError(f"DC-IGN config {config.get('name')!r} lacks keys {missing}")
    check_model_arguments(DCIGN, config["model_config"], config["name"])
    make_optimizer(config["optimizer"])
    if config.get("source", "tfds") not in ("tfds", "generate"):
        raise ValueError(f"config source must be 'tfds' or 'generate'; got {config.get('source')!r}")
