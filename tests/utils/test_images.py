import numpy as np
import pytest
from PIL import Image

from tf_ivg.utils.images import load_image, load_images


def test_rgb_exact_size_round_trips(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "a.png")
    np.testing.assert_allclose(load_image(tmp_path / "a.png", 8), pixels / 255.0, atol=1e-6)


def test_grayscale_alpha_and_crop_resize(tmp_path):
    Image.fromarray(np.full((10, 20), 200, np.uint8)).save(tmp_path / "gray.png")  # 20 wide, 10 high
    image = load_image(tmp_path / "gray.png", 8)
    assert image.shape == (8, 8, 3)
    np.testing.assert_allclose(image, 200 / 255.0, atol=1e-6)
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:4, ..., 3] = 255  # top half opaque red, bottom half transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    image = load_image(tmp_path / "rgba.png", 8)
    assert image[0, 0].tolist() == [1.0, 0.0, 0.0] and image[7, 0].tolist() == [0.0, 0.0, 0.0]
    assert load_images([tmp_path / "rgba.png"] * 2, 8, channels=1).shape == (2, 8, 8, 1)


def test_bad_inputs_give_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        load_image(tmp_path / "missing.png", 8)
    (tmp_path / "junk.png").write_bytes(b"not an image")
    with pytest.raises(ValueError, match="cannot read"):
        load_image(tmp_path / "junk.png", 8)
    Image.new("CMYK", (8, 8)).save(tmp_path / "cmyk.jpg")
    with pytest.raises(ValueError, match="colour mode 'CMYK'"):
        load_image(tmp_path / "cmyk.jpg", 8)
    Image.new("RGB", (9, 8)).save(tmp_path / "odd.png")
    with pytest.raises(ValueError, match="9x8"):
        load_image(tmp_path / "odd.png", 8, strict_size=True)
