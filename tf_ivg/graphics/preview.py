"""Preview grids of identities (the README's pictures).

    python -m tf_ivg.graphics.preview            # writes docs/images/{faces,chairs}_grid.png

Shape key: S image side. A grid is 4 x 4 identities, each S x S, frontal-ish pose, RGB.
"""

import argparse
import os

import numpy as np

from tf_ivg.data import factors as F
from tf_ivg.graphics import sphere_tracing


def identity_grid(family, rows=4, cols=4, image_size=80, first_identity=0):
    """-> uint8 [rows * S, cols * S, 3]: identities first_identity.. in a 3/4 view (chairs: varied turns)."""
    n = rows * cols
    ids = np.arange(first_identity, first_identity + n)
    _, params = F.identity_coefficients(family, ids)
    if family == "faces":
        az, el = np.full(n, 0.35), np.full(n, 0.05)
    else:
        az, el = np.full(n, 0.7), np.full(n, 0.35)
    images, _ = sphere_tracing.render(family, params, az, el, np.full(n, -0.5), np.full(n, 0.35), image_size)
    grid = images.reshape(rows, cols, image_size, image_size, 3).transpose(0, 2, 1, 3, 4)
    return np.round(grid.reshape(rows * image_size, cols * image_size, 3) * 255).astype(np.uint8)


def save_png(array, path):
    """Writes a uint8 image atomically (temp file, then rename)."""
    from PIL import Image

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp.png"
    Image.fromarray(array).save(tmp)
    os.replace(tmp, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write 4x4 identity grids of faces and chairs.")
    parser.add_argument("--out-dir", default="docs/images")
    parser.add_argument("--image-size", type=int, default=80)
    args = parser.parse_args(argv)
    for family in ("faces", "chairs"):
        path = os.path.join(args.out_dir, f"{family}_grid.png")
        save_png(identity_grid(family, image_size=args.image_size), path)
        print(path)


if __name__ == "__main__":
    main()
