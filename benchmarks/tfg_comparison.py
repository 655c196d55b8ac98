"""Our camera and renderers against the tensorflow-graphics (tfg) ops that could replace parts of them.

For each candidate tfg op: the largest absolute difference between our output and the same code with
the op swapped in, on the same inputs, and the median time of ours and of the tfg variant, interleaved
in one process (ours, tfg, tfg, ours, ...) after a warm-up, so background load hits both alike. The
numbers in docs/design.md ("tensorflow-graphics") come from this script. Prints JSON.

- `rotation_matrix_3d.from_euler` as `camera.pose_matrices`, and `perspective.ray` as the pixel-ray
  maths of `camera.camera_rays` (the convention mapping pinned in tests/graphics/test_tfg_comparison.py):
  the functions themselves, and `sphere_tracing.render` with the tfg pose matrices (`--batch`
  identities per family at `--size`, `--modes`); rays are a numpy constant per image size.
- `lambertian.brdf` as the diffuse term of `sphere_tracing.render`, with its view test and with the view
  test defeated (the normal passed as the outgoing direction).
- `ray_radiance.compute_radiance` and `emission_absorption.render` as the compositing step of
  `volume_rendering.render_volume` (the same resampled samples, shade and opacity go in).

The tfg variants of `sphere_tracing._compiled` and `volume_rendering.render_volume` are recompiled from
their current source with the named lines replaced (the script stops if those lines changed) and
patched into the modules only around the tfg calls of this process; tf_ivg itself is not modified.
tensorflow-graphics installs on Python < 3.12 only (`pip install -e '.[test]'`).

Usage: python benchmarks/tfg_comparison.py [--runs 11] [--size 64] [--volume-sizes 64 128]
"""

import argparse
import contextlib
import datetime
import functools
import inspect
import json
import linecache
import math
import os
import platform
import statistics
import sys
import textwrap
import time
from unittest import mock

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tf_ivg.data import factors  # noqa: E402
from tf_ivg.graphics import camera, families, sphere_tracing, tfg_reference, volume_rendering, voxelize  # noqa: E402

VIEWS = [(0.0, 0.0), (0.5, 0.3), (-1.0, 0.0), (2.5, -0.6)]
SOFT = {"density": 5.0, "ambient": 0.1, "color": (0.9, 0.5, 0.2), "background": (0.0, 0.0, 0.0)}

# Lines of tf_ivg code and what replaces them in each tfg variant (names as in that code).
DIFFUSE = "lambert = tf.maximum(tf.reduce_sum(n * l_obj, -1), 0.0)"
# tfg's brdf is albedo / pi where -incoming and outgoing both lie on the normal's side, else 0; the
# light comes in along -l_obj and leaves towards the camera along -d.
DIFFUSE_TFG_VIEW = f"{DIFFUSE} * (math.pi * lambertian.brdf(-l_obj, -d, n, tf.ones([3]))[..., 0])"
DIFFUSE_TFG_NO_VIEW = f"{DIFFUSE} * (math.pi * lambertian.brdf(-l_obj, n, n, tf.ones([3]))[..., 0])"
COMPOSITE = """
alpha = 1.0 - tf.exp(-density * sigma * step * (size / 2.0))
transmittance = tf.math.cumprod(1.0 - alpha + 1e-7, axis=-1, exclusive=True)
weights = alpha * transmittance
intensity = tf.reduce_sum(weights * shade, axis=-1, keepdims=True)
coverage = tf.reduce_sum(weights, axis=-1, keepdims=True)
image = intensity * tf.constant(color, tf.float32) + (1.0 - coverage) * tf.constant(background, tf.float32)
"""
# NeRF compositing: RGBA per sample (the colour broadcast into every sample), density per voxel length,
# the sample spacing in voxel lengths.
COMPOSITE_RAY_RADIANCE = """
rgba = tf.concat([shade[..., None] * tf.constant(color, tf.float32), (density * sigma)[..., None]], -1)
rgb, coverage, _ = ray_radiance.compute_radiance(rgba, tf.fill(tf.shape(sigma), step * (size / 2.0)))
image = rgb + (1.0 - coverage) * tf.constant(background, tf.float32)
"""
# Compositing along grid axis 2 (here the samples of each ray), with our per-sample opacity as tfg's
# density (absorption factor 1: its linear absorption then gives the same opacity per sample).
COMPOSITE_EMISSION_ABSORPTION = """
alpha = 1.0 - tf.exp(-density * sigma * step * (size / 2.0))
shade_alpha = emission_absorption.render(tf.stack([shade, alpha], -1), absorption_factor=1.0, axis=2)
image = shade_alpha[..., :1] * tf.constant(color, tf.float32) + (1.0 - shade_alpha[..., 1:]) * tf.constant(
    background, tf.float32
)
"""


def _swap(function, old, new):
    """`function` recompiled from its source with the lines `old` replaced by `new` (both unindented),
    in a copy of its module's globals plus tfg's modules. Exits if `old` is not in the source once."""
    from tensorflow_graphics.rendering.reflectance import lambertian
    from tensorflow_graphics.rendering.volumetric import emission_absorption, ray_radiance

    source = textwrap.dedent(inspect.getsource(function))
    old, new = textwrap.dedent(old).strip("\n"), textwrap.dedent(new).strip("\n")
    first = old.splitlines()[0]
    indents = [line[: len(line) - len(line.lstrip())] for line in source.splitlines() if line.strip() == first]
    old_text = textwrap.indent(old, indents[0]) if len(indents) == 1 else None
    if old_text is None or source.count(old_text) != 1:
        sys.exit(f"{function.__module__}.{function.__name__} no longer contains, once, the lines:\n{old}")
    new_text = textwrap.indent(new, indents[0])
    namespace = dict(vars(sys.modules[function.__module__]))
    namespace.update(
        math=math, lambertian=lambertian, ray_radiance=ray_radiance, emission_absorption=emission_absorption
    )
    source = source.replace(old_text, new_text)
    filename = f"<{function.__module__}.{function.__name__} with tensorflow-graphics>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # for AutoGraph
    exec(compile(source, filename, "exec"), namespace)
    return namespace[function.__name__]


def _patches(*targets):
    """A context that sets each (object, attribute, value) for its duration."""
    stack = contextlib.ExitStack()
    for obj, name, value in targets:
        stack.enter_context(mock.patch.object(obj, name, value))
    return stack


def _interleaved(ours, tfg, runs):
    """Median milliseconds of `runs` calls each after one warm-up call each, in the order ours, tfg, tfg,
    ours, ... -> dict."""
    ours(), tfg()
    times = {"ours": [], "tfg": []}
    for r in range(runs):
        for name in ("ours", "tfg") if r % 2 == 0 else ("tfg", "ours"):
            start = time.perf_counter()
            (ours if name == "ours" else tfg)()
            times[name].append(1000 * (time.perf_counter() - start))
    out = {}
    for name, t in times.items():
        out[f"{name}_ms"] = round(statistics.median(t), 1)
        out[f"{name}_range_ms"] = [round(min(t), 1), round(max(t), 1)]
    out["ratio_tfg_to_ours"] = round(statistics.median(times["tfg"]) / statistics.median(times["ours"]), 3)
    return out


def _scenes(batch):
    """Per family: render()'s arguments after the family name, minus the size (fixed seeds)."""
    rng = np.random.default_rng(0)
    scenes = {}
    for family in sorted(families.FAMILIES):
        _, params = factors.identity_coefficients(family, np.arange(batch))
        scenes[family] = (
            params,
            rng.uniform(-1.2, 1.2, batch),  # azimuth
            rng.uniform(-0.4, 0.4, batch),  # elevation
            rng.uniform(-1.2, 1.2, batch),  # light
            rng.uniform(0.1, 0.6, batch),  # ambient
        )
    return scenes


def _render_variant(patches, scenes, size, modes, runs, timed_family="faces"):
    """Renders every scene with our code and with `patches` applied -> diffs per family and mode, and
    interleaved timings of `timed_family` in the first mode."""
    diffs = {}
    for family, scene in scenes.items():
        for mode in modes:
            ours, ours_mask = sphere_tracing.render(family, *scene, size, mode=mode)
            with _patches(*patches):
                tfg, tfg_mask = sphere_tracing.render(family, *scene, size, mode=mode)
            diff = np.abs(ours - tfg)
            diffs[f"{family} {mode}"] = {
                "max_abs_diff": float(diff.max()),
                "pixels_over_1e-5": int((diff.max(-1) > 1e-5).sum()),
                "pixels": int(diff[..., 0].size),
                "silhouettes_equal": bool(np.array_equal(ours_mask, tfg_mask)),
            }

    def tfg_render():
        with _patches(*patches):
            sphere_tracing.render(timed_family, *scenes[timed_family], size, mode=modes[0])

    timing = _interleaved(
        lambda: sphere_tracing.render(timed_family, *scenes[timed_family], size, mode=modes[0]), tfg_render, runs
    )
    timing["timed"] = (
        f"sphere_tracing.render({timed_family!r}, {len(scenes[timed_family][0])} images, {size}x{size}, mode={modes[0]!r})"
    )
    return {"render": diffs, "time": timing}


def _fresh_compiled(variant=None):
    """A `_compiled` with its own cache (so tfg and our traces never mix), optionally a tfg variant."""
    return functools.cache((variant or sphere_tracing._compiled).__wrapped__)


def sphere_tracer(args):
    scenes = _scenes(args.batch)
    modes = args.modes.split(",")
    results = {}

    rng = np.random.default_rng(1)
    az = rng.uniform(-np.pi, np.pi, 64).astype(np.float32)
    el = rng.uniform(-np.pi / 2, np.pi / 2, 64).astype(np.float32)
    ours = camera.pose_matrices(az, el).numpy()
    pose = {
        "replaces": "camera.pose_matrices: Rx(e) @ Ry(a) = transpose(from_euler((-e, -a, 0)))",
        "pose_matrices_max_abs_diff": float(np.abs(tfg_reference.pose_matrices(az, el).numpy() - ours).max()),
        "pose_matrices_xla_max_abs_diff": float(
            np.abs(tf.function(tfg_reference.pose_matrices, jit_compile=True)(az, el).numpy() - ours).max()
        ),
        "angles": len(az),
    }
    patches = [(camera, "pose_matrices", tfg_reference.pose_matrices), (sphere_tracing, "_compiled", _fresh_compiled())]
    pose.update(_render_variant(patches, scenes, args.size, modes, args.runs))
    results["rotation_matrix_3d.from_euler"] = pose

    worst, sizes_differing = 0.0, 0
    for family in sorted(families.FAMILIES):
        fam = families.get(family)
        for s in range(1, args.max_ray_size + 1):
            ours = camera.camera_rays(s, fam.CAMERA_DISTANCE, fam.HALF_FOV)
            theirs = tfg_reference.camera_rays(s, fam.CAMERA_DISTANCE, fam.HALF_FOV)
            d = max(float(np.abs(a - b).max()) for a, b in zip(ours, theirs))
            worst, sizes_differing = max(worst, d), sizes_differing + (d > 0)
    fam = families.get("faces")
    rays = {
        "replaces": "the pixel-ray maths of camera.camera_rays (called once per image size: a numpy constant)",
        "max_abs_diff": worst,
        "sizes_compared": f"1..{args.max_ray_size}, {len(families.FAMILIES)} families",
        "sizes_differing": sizes_differing,
        "time": _interleaved(
            lambda: camera.camera_rays(args.size, fam.CAMERA_DISTANCE, fam.HALF_FOV),
            lambda: tfg_reference.camera_rays(args.size, fam.CAMERA_DISTANCE, fam.HALF_FOV),
            args.runs,
        ),
    }
    rays["time"]["timed"] = f"camera_rays({args.size}, faces)"
    results["perspective.ray"] = rays

    for name, line, note in (
        ("lambertian.brdf", DIFFUSE_TFG_VIEW, "with its view test (outgoing = towards the camera)"),
        ("lambertian.brdf without view test", DIFFUSE_TFG_NO_VIEW, "outgoing direction = the normal"),
    ):
        variant = _fresh_compiled(_swap(sphere_tracing._compiled, DIFFUSE, line))
        entry = {"replaces": f"the diffuse term max(n . l, 0) of sphere_tracing.render; {note}", "code": line}
        entry.update(_render_variant([(sphere_tracing, "_compiled", variant)], scenes, args.size, modes, args.runs))
        results[name] = entry
    return results


def volume_renderer(args):
    volumes = {}  # (family, side) -> identity 0's volume
    for family in sorted(families.FAMILIES):
        _, params = factors.identity_coefficients(family, np.arange(1))
        for side in sorted(set(args.volume_sizes + [args.timed_volume_size])):
            volumes[family, side] = voxelize.voxelize(family, params, side)[0].astype(np.float32)
    timed = volumes["faces", args.timed_volume_size]
    results = {}
    for name, code in (
        ("ray_radiance.compute_radiance", COMPOSITE_RAY_RADIANCE),
        ("emission_absorption.render", COMPOSITE_EMISSION_ABSORPTION),
    ):
        variant = _swap(volume_rendering.render_volume, COMPOSITE, code)
        patch = [(volume_rendering, "render_volume", variant)]
        diffs = {}
        for (family, side), vol in volumes.items():
            if side not in args.volume_sizes:
                continue
            for kwname, kw in (("defaults", {}), ("soft", SOFT)):
                ours = volume_rendering.render_views(vol, VIEWS, image_size=args.volume_diff_image_size, **kw)
                with _patches(*patch):
                    tfg = volume_rendering.render_views(vol, VIEWS, image_size=args.volume_diff_image_size, **kw)
                diffs[f"{family} {side}^3 {kwname}"] = float(np.abs(ours - tfg).max())

        def tfg_views(patch=patch):
            with _patches(*patch):
                volume_rendering.render_views(timed, VIEWS, image_size=args.volume_image_size)

        timing = _interleaved(
            lambda: volume_rendering.render_views(timed, VIEWS, image_size=args.volume_image_size), tfg_views, args.runs
        )
        timing["timed"] = (
            f"render_views(faces {args.timed_volume_size}^3, {len(VIEWS)} views, image_size={args.volume_image_size})"
        )
        results[name] = {
            "replaces": "the compositing step of volume_rendering.render_volume",
            "code": code.strip(),
            "max_abs_diff": diffs,
            "diff_renders": f"{len(VIEWS)} views at {args.volume_diff_image_size}x{args.volume_diff_image_size}; "
            f"soft = {SOFT}",
            "time": timing,
        }
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=11, help="timed calls of ours and of tfg each, interleaved")
    parser.add_argument("--size", type=int, default=64, help="sphere tracer image side")
    parser.add_argument("--batch", type=int, default=32, help="identities per family for the sphere tracer")
    parser.add_argument("--modes", default="xla", help="render modes to compare, comma separated; the first is timed")
    parser.add_argument("--max-ray-size", type=int, default=256, help="camera rays are compared for sizes 1..this")
    parser.add_argument("--volume-sizes", type=int, nargs="+", default=[64, 128], help="volume sides compared")
    parser.add_argument("--volume-diff-image-size", type=int, default=64)
    parser.add_argument("--timed-volume-size", type=int, default=64)
    parser.add_argument("--volume-image-size", type=int, default=96, help="image side of the timed volume renders")
    parser.add_argument("--only", choices=["sphere_tracer", "volume"], help="run one half only")
    args = parser.parse_args()
    try:  # every tfg module used here
        from tensorflow_graphics.geometry.transformation import rotation_matrix_3d  # noqa: F401
        from tensorflow_graphics.rendering.camera import perspective  # noqa: F401
        from tensorflow_graphics.rendering.reflectance import lambertian  # noqa: F401
        from tensorflow_graphics.rendering.volumetric import emission_absorption, ray_radiance  # noqa: F401
    except ImportError as error:
        print(
            f"tensorflow_graphics is not importable ({error}): nothing to compare; it installs with "
            "`pip install -e '.[test]'` on Python < 3.12 only",
            file=sys.stderr,
        )
        sys.exit(0)
    import importlib.metadata

    report = {
        "benchmark": "tensorflow_graphics",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "tensorflow_graphics": importlib.metadata.version("tensorflow-graphics"),
            "numpy": np.__version__,
        },
        "runs": args.runs,
        "ops": {},
    }
    report["wall_s"] = {}
    for part, run in (("sphere_tracer", sphere_tracer), ("volume", volume_renderer)):
        if args.only in (None, part):
            start = time.perf_counter()
            report["ops"].update(run(args))
            report["wall_s"][part] = round(time.perf_counter() - start, 1)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
