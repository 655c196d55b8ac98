"""`tf-ivg rerender` end to end on a tiny DC-IGN checkpoint (calibrated on the fly), and its errors."""

import json

import numpy as np
import pytest
from PIL import Image

from tests.models.dcign_helpers import tiny_dcign
from tf_ivg import cli


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("rerender") / "tiny.keras"
    tiny_dcign().save(path)
    return path


@pytest.fixture
def face(tmp_path):
    image = np.zeros((40, 40, 3), np.uint8)
    image[10:30, 12:28] = 180  # any 8-bit picture; the CLI crops and resizes it to 16x16 grayscale
    Image.fromarray(image).save(tmp_path / "face.png")
    return tmp_path / "face.png"


def _rerender(*args):
    return cli.main(["rerender", *map(str, args)])


def test_rerender_writes_the_image_and_reports_the_latents(tmp_path, checkpoint, face, capsys):
    outputs = {}
    for azimuth in (-1.0, 1.0):
        out = tmp_path / f"az{azimuth}.png"
        assert _rerender(face, "--checkpoint", checkpoint, "--azimuth", azimuth, "--light", 0.5, "-o", out) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["factors"] == {"azimuth": azimuth, "light": 0.5}
        assert set(report["latents"]) == {"azimuth", "light"}
        outputs[azimuth] = np.asarray(Image.open(out))
        assert outputs[azimuth].shape[:2] == (16, 16)
    assert not np.array_equal(outputs[-1.0], outputs[1.0])  # the azimuth latent reached the decoder
    out = tmp_path / "strip.png"
    assert _rerender(face, "--checkpoint", checkpoint, "--elevation", 0.1, "--side-by-side", "-o", out) == 0
    assert np.asarray(Image.open(out)).shape[:2] == (16, 48)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--azimuth", "9", "-o", "x.png"], "outside the range the model was trained on"),
        (["-o", "x.png"], "give at least one of --azimuth"),
        (["--light", "0", "-o", "x.jpg"], "must end in .png"),
        (["--light", "0", "--strict-size", "-o", "x.png"], "the model expects 16x16"),
    ],
)
def test_rerender_errors_say_what_was_expected(tmp_path, checkpoint, face, capsys, args, message):
    args = [a if a != "x.png" else tmp_path / "x.png" for a in args]
    assert _rerender(face, "--checkpoint", checkpoint, *args) != 0
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_rerender_names_an_unknown_pretrained_model(tmp_path, face, capsys):
    assert _rerender(face, "--checkpoint", "dcign_cats_64", "--light", 0, "-o", tmp_path / "x.png") != 0
    assert "dcign_cats_64" in capsys.readouterr().err
