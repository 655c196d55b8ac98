"""Atomic file writing: checkpoints, configs, reports, PNGs, meshes.

Every writer goes to a temporary file in the destination folder, then renames it,
so a crash never leaves a half-written file behind.
"""

import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside `path` (same suffix); renames it onto `path` on success.

    Args:
        path: final destination (str or Path). Parent folders are created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The whole multi-part suffix ("x.weights.h5" -> ".weights.h5"): some writers check it.
    suffix = "".join(path.suffixes[-2:]) if path.name.endswith(".weights.h5") else path.suffix
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def check_destination(path):
    """Raises `NotADirectoryError` now if `path` cannot be created because an ancestor is a file.

    Lets a command refuse a bad output path before doing any work, rather than after.
    """
    for parent in Path(path).absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise NotADirectoryError(f"cannot write {path}: {parent} is a file, not a folder")
            return


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path, text):
    """Writes `text` (UTF-8) to `path` atomically and returns the Path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(path, data):
    """Writes `data` as indented, key-sorted JSON to `path` atomically and returns the Path."""
    import json

    return write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def to_uint8_image(image):
    """Converts an image `[H, W]`, `[H, W, 1]` or `[H, W, 3]` float in [0, 1] (or uint8) to uint8 `[H, W, C]`."""
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[-1] not in (1, 3, 4):
        raise ValueError(f"expected an image [H, W], [H, W, 1], [H, W, 3] or [H, W, 4], got shape {image.shape}")
    if image.dtype != np.uint8:
        image = np.clip(np.nan_to_num(image.astype(np.float32)), 0.0, 1.0)
        image = np.round(image * 255.0).astype(np.uint8)
    return image


def save_png(path, image):
    """Writes one image (see `to_uint8_image`) as a PNG atomically and returns the Path."""
    from PIL import Image

    array = to_uint8_image(image)
    if array.shape[-1] == 1:
        array = array[..., 0]
    with atomic_path(path) as tmp:
        Image.fromarray(array).save(tmp, format="PNG")
    return Path(path)
