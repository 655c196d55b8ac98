"""Procedural world: SDF shape families (faces.py, chairs.py), a sphere-tracing renderer
(render.py: `render`, `render_volume_silhouette`), a voxelizer (voxelize.py: `voxelize`) and the
image/volume silhouette check (consistency.py: `silhouette_check`).
Import the modules, e.g. `from tf_ivg.graphics import render; render.render("faces", ...)`."""

from tf_ivg.graphics.families import FAMILIES  # noqa: F401
from tf_ivg.graphics.families import get as get_family  # noqa: F401
