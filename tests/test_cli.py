import os
import subprocess
import sys

import pytest

import tf_ivg
from tf_ivg import cli


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"tf-ivg {tf_ivg.__version__}"


def test_help_lists_every_registered_subcommand(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    parser = cli.build_parser()
    names = parser._subparsers._group_actions[0].choices.keys()
    assert names and all(name in out for name in names)


def test_no_command_prints_help_and_fails(capsys):
    assert cli.main([]) == 2
    assert "usage: tf-ivg" in capsys.readouterr().out


def test_console_script_runs():
    result = subprocess.run([sys.executable, "-m", "tf_ivg.cli", "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "check-layers" in result.stdout


def test_commands_print_no_native_tensorflow_lines(tmp_path):
    """A command that imports TensorFlow on a CPU-only machine prints its one error line and nothing else."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    command = [sys.executable, "-m", "tf_ivg.cli", "reconstruct", str(tmp_path / "nope.png"), "-o", "x.glb"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [f"tf-ivg reconstruct: error: image {tmp_path / 'nope.png'} not found"]
