"""Loading a user's own images for `tf-ivg reconstruct` and `tf-ivg rerender`.

Policy (documented in docs/evaluation.md): PNG, JPEG and anything else Pillow reads. Grayscale (L, LA) is
copied to three channels, transparency (RGBA, LA, palette with alpha) is composited over black
(the training images' background), other colour modes (CMYK, 16-bit, float) are rejected. An image
of the wrong size is centre-cropped to a square and resized (bilinear) to the model's side, unless
`strict_size=True`, which raises instead.

Shape key: S image side, C channels (3, or 1 for grayscale models).
"""

from pathlib import Path

import numpy as np

ACCEPTED_MODES = ("1", "L", "LA", "P", "RGB", "RGBA")


def load_image(path, image_size, channels=3, strict_size=False):
    """Reads one image file -> `[S, S, C]` float32 in [0, 1].

    Raises:
        FileNotFoundError: no such file.
        ValueError: unreadable file, unsupported colour mode, or (with `strict_size`) the wrong size.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image {path} not found")
    try:
        with Image.open(path) as opened:
            opened.load()
            image = opened.copy()
    except Image.DecompressionBombError as error:
        raise ValueError(f"{path} declares an image too large to read safely: {error}") from None
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f"cannot read {path} as an image (PNG, JPEG, ...): {error}") from None
    return to_model_input(image, image_size, channels, strict_size, name=str(path))


def to_model_input(image, image_size, channels=3, strict_size=False, name="image"):
    """A PIL image -> `[S, S, C]` float32 in [0, 1] by the policy of the module docstring.

    Raises:
        ValueError: unsupported colour mode, or (with `strict_size`) the wrong size; messages start with `name`.
    """
    from PIL import Image

    if image.mode not in ACCEPTED_MODES:
        raise ValueError(
            f"{name}: colour mode {image.mode!r} is not supported; expected one of {ACCEPTED_MODES} (8-bit grayscale or RGB, optionally with alpha)"
        )
    image = image.convert("RGBA")
    black = Image.new("RGBA", image.size, (0, 0, 0, 255))
    image = Image.alpha_composite(black, image).convert("RGB")
    width, height = image.size
    if (width, height) != (image_size, image_size):
        if strict_size:
            raise ValueError(f"{name}: image is {width}x{height}, the model expects {image_size}x{image_size}")
        side = min(width, height)
        left, top = (width - side) // 2, (height - side) // 2
        image = image.crop((left, top, left + side, top + side)).resize((image_size, image_size), Image.BILINEAR)
    array = np.asarray(image, dtype=np.float32) / 255.0
    if channels == 1:
        array = (array @ np.array([0.299, 0.587, 0.114], np.float32))[..., None]
    elif channels != 3:
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    return array


def load_images(paths, image_size, channels=3, strict_size=False):
    """Several files -> `[N, S, S, C]` float32 (see `load_image`)."""
    if not paths:
        raise ValueError("no image given")
    return np.stack([load_image(p, image_size, channels, strict_size) for p in paths])
