"""`tf_ivg.training.strategies`: the choices and their errors, the `strategy` config key and `--strategy`
flag, and `tf-ivg train`'s loop under MirroredStrategy on 2 logical CPUs against one device."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tests.training.distributed_helpers import DeterministicStart, square_groups, tiny_config, weights_of
from tf_ivg import cli
from tf_ivg.configs import available, check_config, get_config
from tf_ivg.training import loop, strategies

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GOOD_TF_CONFIG = {"cluster": {"worker": ["127.0.0.1:2222", "127.0.0.1:2223"]}, "task": {"type": "worker", "index": 1}}


def test_unknown_strategy_lists_the_choices():
    with pytest.raises(
        ValueError,
        match=r"unknown strategy 'horovod'.*'auto', 'default', 'mirrored', "
        r"'multi_worker', 'tpu'",
    ):
        strategies.make_strategy("horovod")


def test_default_is_one_device_and_auto_is_one_device_without_several_gpus():
    assert strategies.make_strategy("default") is tf.distribute.get_strategy()
    assert strategies.make_strategy("default").num_replicas_in_sync == 1
    if len(tf.config.list_logical_devices("GPU")) <= 1:
        assert strategies.make_strategy("auto") is tf.distribute.get_strategy()


@pytest.mark.parametrize(
    "tf_config, message",
    [
        (None, "needs the TF_CONFIG environment variable"),
        ("{not json", "not valid JSON"),
        (json.dumps({"task": {"type": "worker", "index": 0}}), "needs a 'cluster' dict and a 'task' dict"),
        (json.dumps({"cluster": {"ps": ["h:1"]}, "task": {"type": "ps", "index": 0}}), "must list 'worker'"),
        (json.dumps({"cluster": {"worker": ["127.0.0.1"]}, "task": {"type": "worker", "index": 0}}), "'host:port'"),
        (json.dumps({"cluster": {"worker": ["h:1"]}, "task": {"type": "chief", "index": 0}}), "task type must be"),
        (
            json.dumps({"cluster": {"worker": ["h:1", "h:2"]}, "task": {"type": "worker", "index": 2}}),
            r"index must be an int in \[0, 2\)",
        ),
    ],
)
def test_multi_worker_needs_a_well_formed_tf_config(monkeypatch, tf_config, message):
    if tf_config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    with pytest.raises(ValueError, match=message):
        strategies.make_strategy("multi_worker")


def test_parse_tf_config_accepts_workers_and_a_chief():
    assert strategies.parse_tf_config(json.dumps(GOOD_TF_CONFIG)) == GOOD_TF_CONFIG
    with_chief = {"cluster": {"chief": ["c:1"], "worker": ["w:1"]}, "task": {"type": "chief", "index": 0}}
    assert strategies.parse_tf_config(json.dumps(with_chief))["task"]["type"] == "chief"


def test_tpu_without_a_tpu_says_what_it_expected(monkeypatch):
    for name in ("TPU_NAME", "KUBE_GOOGLE_CLOUD_TPU_ENDPOINTS", "TPU_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(strategies, "_listdir", lambda path: ["null", "tty"])
    with pytest.raises(ValueError, match=r"found no TPU: expected a TPU VM .*TPU_NAME.*grpc://host:port"):
        strategies.make_strategy("tpu")
    monkeypatch.setattr(strategies, "_listdir", lambda path: ["accel0", "null"])
    assert strategies._tpu_address(None) == "local"  # a TPU VM's chips
    monkeypatch.setenv("TPU_NAME", "my-tpu")
    assert strategies._tpu_address(None) is None  # the resolver reads TPU_NAME
    assert strategies._tpu_address("grpc://10.0.0.2:8470") == "grpc://10.0.0.2:8470"


def test_strategy_config_key_is_checked_and_defaults_to_auto():
    config = get_config("faces_volume", "smoke")
    assert "strategy" not in config  # shipped configs keep today's behaviour
    assert loop.resolve_config(config)["strategy"] == "auto"
    for name in ("auto", "default", "mirrored", "multi_worker", "tpu"):
        check_config({**config, "strategy": name})
    with pytest.raises(ValueError, match=r"'strategy' must be one of \['auto', 'default', 'mirrored'"):
        check_config({**config, "strategy": "mirror"})
    for name in available():
        check_config(get_config(name, "smoke"))


def test_train_flag_overrides_the_config_and_rejects_unknown_names(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    workdir = str(tmp_path / "run")
    code = cli.main(
        ["train", "dcign_faces_baseline", "--variant", "smoke", "--workdir", workdir, "--strategy", "multi_worker"]
    )
    assert code == 2
    assert "needs the TF_CONFIG environment variable" in capsys.readouterr().err
    assert not os.path.exists(os.path.join(workdir, "config.json"))  # failed before building anything
    with pytest.raises(SystemExit):
        cli.main(["train", "dcign_faces_baseline", "--workdir", workdir, "--strategy", "horovod"])
    assert "invalid choice: 'horovod'" in capsys.readouterr().err


def test_outside_multi_worker_every_process_is_chief_and_data_is_untouched(tmp_path, two_cpu_strategy):
    ds = tf.data.Dataset.range(4)
    for strategy in (tf.distribute.get_strategy(), two_cpu_strategy):
        assert strategies.is_chief(strategy) and not strategies.is_multi_worker(strategy)
        assert strategies.write_dir(str(tmp_path), strategy) == str(tmp_path)
        assert strategies.shard(ds, strategy) is ds
    strategies.remove_write_dir(str(tmp_path), str(tmp_path))
    assert os.path.isdir(tmp_path)  # the workdir itself is never removed


def test_global_batch_must_split_evenly(two_cpu_strategy):
    strategies.check_batch_size(8, two_cpu_strategy)
    strategies.check_batch_size(5, tf.distribute.get_strategy())
    with pytest.raises(ValueError, match="batch_size 5 .* divisible by the 2 replicas"):
        strategies.check_batch_size(5, two_cpu_strategy)


def test_fit_under_mirrored_two_cpus_matches_one_device(tmp_path, monkeypatch, two_cpu_strategy):
    """The loop on 2 replicas (4 examples each) takes the same steps as one device on the batch of 8:
    no BatchNorm, a point-mass posterior and SGD (tests/training/distributed_helpers.py), so only
    float32 summation order differs."""
    monkeypatch.setattr("tf_ivg.training.dcign_task.generated_groups", square_groups)
    single, single_history = loop.train(
        tiny_config(), str(tmp_path / "single"), verbose=0, callbacks=[DeterministicStart()]
    )
    mirrored, mirrored_history = loop.train(
        tiny_config(),
        str(tmp_path / "mirrored"),
        verbose=0,
        strategy=two_cpu_strategy,
        callbacks=[DeterministicStart()],
    )
    assert mirrored.distribute_strategy is two_cpu_strategy
    expected = single_history.history
    assert expected["reconstruction"][-1] < expected["reconstruction"][0]
    for key, values in sorted(expected.items(), key=lambda item: item[0] != "reconstruction"):
        np.testing.assert_allclose(mirrored_history.history[key], values, rtol=2e-5, err_msg=key)
    for got, want in zip(weights_of(mirrored), weights_of(single)):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    assert os.path.isfile(tmp_path / "mirrored" / "model.keras")


MIRRORED_AND_TPU = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from tf_ivg.training import strategies
strategy = strategies.make_strategy("mirrored")
assert strategy.num_replicas_in_sync == 2, strategy.extended.worker_devices
assert [d.split("/")[-1] for d in strategy.extended.worker_devices] == ["device:CPU:0", "device:CPU:1"]
try:
    strategies.make_strategy("tpu", tpu="local")
except ValueError as error:
    print("TPU ERROR:", error)
"""


def test_mirrored_over_logical_cpus_and_an_unreachable_tpu_in_a_fresh_process():
    """Run apart: this process already has its one MirroredStrategy, and TPU set-up touches the runtime."""
    result = subprocess.run(
        [sys.executable, "-c", MIRRORED_AND_TPU],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES=""),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "TPU ERROR: strategy 'tpu' could not reach a TPU at 'local': expected a TPU VM" in result.stdout


def test_loop_makes_the_strategy_before_any_task_code_runs(tmp_path, monkeypatch):
    """MultiWorkerMirroredStrategy must exist before any TensorFlow op, and VolumeIGN's validate_config
    already builds a Keras optimizer (variables): the loop has to make the strategy first."""
    calls = []

    class Stop(Exception):
        pass

    def fake_make_strategy(name):
        calls.append(f"make_strategy({name})")
        return tf.distribute.get_strategy()

    def fake_validate(config):
        calls.append("validate_config")
        raise Stop

    monkeypatch.setattr(strategies, "make_strategy", fake_make_strategy)
    monkeypatch.setattr("tf_ivg.training.volume_task.validate_config", fake_validate)
    with pytest.raises(Stop):
        loop.train({**get_config("faces_volume", "smoke"), "strategy": "multi_worker"}, str(tmp_path / "run"))
    assert calls == ["make_strategy(multi_worker)", "validate_config"]
