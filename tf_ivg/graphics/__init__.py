"""Procedural world and rendering: SDF shape families (faces.py, chairs.py), a sphere-tracing renderer
(sphere_tracing.py: `render`, `render_volume_silhouette`), a voxelizer (voxelize.py: `voxelize`), the
image/volume silhouette check (consistency.py: `silhouette_check`) and an emission-absorption renderer of
voxel volumes for figures (volume_rendering.py: `render_volume`, `render_views`, `save_volume_render`).
Import the modules, e.g. `from tf_ivg.graphics import sphere_tracing; sphere_tracing.render("faces", ...)`."""

from tf_ivg.graphics.families import FAMILIES  # noqa: F401
from tf_ivg.graphics.families import get as get_family  # noqa: F401
