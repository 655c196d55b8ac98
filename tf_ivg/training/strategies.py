"""Distribution strategies for `tf-ivg train` (the config key `strategy`, the flag `--strategy`).

Shape key: B the GLOBAL batch (`config["batch_size"]`), R replicas in sync; each replica gets B / R.

`make_strategy(name)` builds one of `CHOICES`:
- "auto": today's default: MirroredStrategy when the machine has more than one GPU, else one device;
- "default": one device (`tf.distribute.get_strategy()`);
- "mirrored": MirroredStrategy over the local GPUs, or over the logical CPU devices when there is no GPU;
- "multi_worker": MultiWorkerMirroredStrategy from the `TF_CONFIG` environment variable;
- "tpu": TPUClusterResolver + `initialize_tpu_system` + TPUStrategy.

Multi-worker rules (TensorFlow's multi-worker Keras guide): the strategy is created before any
TensorFlow op runs; every worker runs the same program on the same data, and each global batch is
split between all replicas of all workers (`shard`: DATA auto-sharding, so a step sees exactly the
batch one device would see); every worker runs every callback (saving a model can need collective
ops), but only the chief writes into the workdir: the others write into `WORKDIR/workertemp_<id>`,
which `remove_write_dir` deletes when training ends.
"""

import json
import os
import shutil

import tensorflow as tf

from tf_ivg.configs import STRATEGIES as CHOICES

DEFAULT = "auto"
_TASK_TYPES = ("chief", "worker")
# Environment variables through which TPUClusterResolver finds a Cloud TPU node by name.
_TPU_NAME_VARIABLES = ("TPU_NAME", "KUBE_GOOGLE_CLOUD_TPU_ENDPOINTS", "TPU_CONFIG")


def check_name(name):
    """Raises ValueError unless `name` is one of `CHOICES`."""
    if name not in CHOICES:
        raise ValueError(f"unknown strategy {name!r}; expected one of {list(CHOICES)}")


def make_strategy(name=DEFAULT, devices=None, tpu=None):
    """Builds the `tf.distribute.Strategy` called `name` (one of `CHOICES`).

    Args:
      name: "auto", "default", "mirrored", "multi_worker" or "tpu".
      devices: for "mirrored", the device names to mirror over (default: every local GPU, else
        every logical CPU device).
      tpu: for "tpu", a TPU name or "grpc://host:port" address, or "local" for a TPU VM (default:
        found from TPU_NAME, or "local" when the machine has TPU chips under /dev).

    Raises:
      ValueError: unknown name; TF_CONFIG missing or malformed; no TPU reachable.
      RuntimeError: "multi_worker" asked for after TensorFlow already ran an op in this process.
    """
    check_name(name)
    if name == "auto":
        return (
            tf.distribute.MirroredStrategy()
            if len(tf.config.list_logical_devices("GPU")) > 1
            else tf.distribute.get_strategy()
        )
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy(list(devices) if devices else mirrored_devices())
    if name == "multi_worker":
        return _multi_worker()
    return _tpu(tpu)


def mirrored_devices():
    """Names of the local GPUs, or of the logical CPU devices when there is no GPU."""
    gpus = tf.config.list_logical_devices("GPU")
    return [d.name for d in (gpus or tf.config.list_logical_devices("CPU"))]


def parse_tf_config(text=None):
    """Reads and checks a TF_CONFIG (default: the environment variable).

    Expected: `{"cluster": {"worker": ["host:port", ...], "chief": [...] optional},
    "task": {"type": "worker" or "chief", "index": i}}`.

    Returns:
      the parsed dict.
    Raises:
      ValueError naming what is missing or wrong.
    """
    example = (
        'e.g. TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
        '"task": {"type": "worker", "index": 0}}\''
    )
    if text is None:
        text = os.environ.get("TF_CONFIG")
    if not text:
        raise ValueError(f"strategy 'multi_worker' needs the TF_CONFIG environment variable on every worker; {example}")
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"TF_CONFIG is not valid JSON ({error}); {example}") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise ValueError(f"TF_CONFIG needs a 'cluster' dict and a 'task' dict; {example}")
    unknown = sorted(set(cluster) - set(_TASK_TYPES))
    if unknown or not cluster.get("worker") and not cluster.get("chief"):
        raise ValueError(
            f"TF_CONFIG 'cluster' must list 'worker' (and optionally 'chief') addresses; got jobs "
            f"{sorted(cluster)}; {example}"
        )
    for job, addresses in cluster.items():
        if not isinstance(addresses, list) or not all(_is_address(a) for a in addresses):
            raise ValueError(f"TF_CONFIG cluster[{job!r}] must be a list of 'host:port' strings; got {addresses!r}")
    kind, index = task.get("type"), task.get("index")
    if kind not in cluster:
        raise ValueError(f"TF_CONFIG task type must be one of the cluster's jobs {sorted(cluster)}; got {kind!r}")
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(cluster[kind]):
        raise ValueError(
            f"TF_CONFIG task index must be an int in [0, {len(cluster[kind])}) for job {kind!r}; got {index!r}"
        )
    return config


def _is_address(address):
    host, _, port = str(address).rpartition(":")
    return isinstance(address, str) and bool(host) and port.isdigit()


def _multi_worker():
    parse_tf_config()
    try:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    except RuntimeError as error:
        raise RuntimeError(
            f"{error}: create the 'multi_worker' strategy before any TensorFlow op runs in the process "
            "(tf_ivg.training.loop.train does so when it is given no strategy)"
        ) from None
    # Keras 3.15 cannot fit under this strategy with several workers (keras-team/keras#20585): the
    # workaround, the only use of Keras's private modules, lives in keras_compat (imported here, so
    # that its version warning reaches only multi-worker runs).
    from tf_ivg.training import keras_compat

    keras_compat.patch_keras_for_multi_worker()
    return strategy


def _tpu_address(tpu):
    """The `tpu` argument for TPUClusterResolver, or ValueError when no TPU can be found."""
    if tpu:
        return tpu
    if any(os.environ.get(v) for v in _TPU_NAME_VARIABLES):
        return None  # the resolver reads the variable
    if any(name.startswith("accel") or name == "vfio" for name in _listdir("/dev")):
        return "local"  # a TPU VM (Colab's TPU runtime, Cloud TPU VMs): chips attached to this machine
    raise ValueError(
        "strategy 'tpu' found no TPU: expected a TPU VM (a Colab TPU runtime or a Cloud TPU VM, with TPU chips "
        "under /dev/accel*), a TPU_NAME environment variable, or an explicit TPU name or 'grpc://host:port' "
        "address (make_strategy('tpu', tpu=...))"
    )


def _listdir(path):
    try:
        return os.listdir(path)
    except OSError:
        return []


def _tpu(tpu):
    address = _tpu_address(tpu)
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=address)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as error:
        raise ValueError(
            f"strategy 'tpu' could not reach a TPU at {address or 'the TPU named by TPU_NAME'!r}: expected a TPU VM "
            f"('local'), a TPU name or a 'grpc://host:port' address of a running TPU ({type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''})"
        ) from None
    return tf.distribute.TPUStrategy(resolver)


# ---- running under a strategy -----------------------------------------------------------------
def is_multi_worker(strategy):
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def is_chief(strategy):
    """True unless `strategy` is multi-worker and this process is not its chief (the "chief" task,
    or worker 0 when the cluster has no "chief" job)."""
    if not is_multi_worker(strategy):
        return True
    resolver = strategy.cluster_resolver
    task_type, task_id = resolver.task_type, resolver.task_id
    if task_type is None or task_type == "chief":
        return True
    return task_type == "worker" and task_id == 0 and "chief" not in resolver.cluster_spec().as_dict()


def write_dir(workdir, strategy):
    """Where this process writes its outputs: `workdir` on the chief, else `workdir/workertemp_<id>`
    (created here; delete it with `remove_write_dir`)."""
    path = workdir if is_chief(strategy) else os.path.join(workdir, f"workertemp_{strategy.cluster_resolver.task_id}")
    os.makedirs(path, exist_ok=True)
    return path


def remove_write_dir(path, workdir):
    """Deletes a non-chief's temporary write dir (does nothing when `path` is the workdir itself)."""
    if os.path.abspath(path) != os.path.abspath(workdir):
        shutil.rmtree(path, ignore_errors=True)


def shard(dataset, strategy):
    """`dataset` set to be split by elements between workers (DATA auto-sharding) under multi-worker.

    Every worker builds the same batched dataset (same data, same seeds); tf.distribute then gives
    each replica its B / R share of every global batch, so one step sees exactly the global batch a
    single device would. (FILE sharding would hand whole tfds shards to workers: different batches,
    and an error when there are fewer files than workers.)
    """
    if dataset is None or not is_multi_worker(strategy):
        return dataset
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def check_batch_size(batch_size, strategy):
    """Raises ValueError unless the global batch splits evenly between the replicas (an uneven split
    would weight examples unequally in `tf.nn.compute_average_loss`)."""
    replicas = strategy.num_replicas_in_sync
    if batch_size % replicas:
        raise ValueError(
            f"batch_size {batch_size} (the global batch) must be divisible by the {replicas} replicas "
            f"of the strategy; use a multiple of {replicas}"
        )
