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


def _png_claiming(path, width, height):
    """A valid 1x1 PNG whose header claims `width` x `height` (a decompression bomb's header)."""
    import struct
    import zlib

    from PIL import Image

    Image.new("RGB", (1, 1)).save(path)
    data = bytearray(path.read_bytes())
    data[16:24] = struct.pack(">II", width, height)  # IHDR width, height
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))  # IHDR's CRC over type + data
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "faces_volume", "--variant", "smoke", "--workdir", "{file}"], "File exists"),
        (["reconstruct", "{png}", "-o", "{file}/out.glb"], "a_file"),
        (["reconstruct", "{bomb}"], "too large to read safely"),
    ],
)
def test_os_errors_and_decompression_bombs_are_one_line(tmp_path, capsys, argv, message):
    (tmp_path / "a_file").write_text("x")
    from PIL import Image

    Image.new("RGB", (32, 32)).save(tmp_path / "face.png")
    _png_claiming(tmp_path / "bomb.png", 20000, 20000)
    paths = {"file": tmp_path / "a_file", "png": tmp_path / "face.png", "bomb": tmp_path / "bomb.png"}
    argv = [a.format(**paths) for a in argv] + (["-o", str(tmp_path / "x.glb")] if argv[-1] == "{bomb}" else [])
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
