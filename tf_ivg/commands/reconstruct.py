"""`tf-ivg reconstruct`: a 3D mesh (and renders) from your own images with a trained VolumeIGN."""


def register(subparsers):
    parser = subparsers.add_parser(
        "reconstruct",
        help="reconstruct a 3D mesh (OBJ/PLY/GLB/STL) from your own image(s) with a trained volumetric model",
        description="Loads IMAGE files (any format Pillow reads; grayscale is copied to RGB, transparency composited "
        "over black; other sizes are centre-cropped to a square and resized to the model's side unless "
        "--strict-size), predicts occupancy volumes, binarises them at --threshold and writes a marching-cubes mesh. "
        "A single-image model writes one mesh per image (OUT itself for one image, OUT_<i> for several); a clip "
        "model (frames T > 1) takes exactly T images, in order, and writes one mesh. Without --checkpoint it uses "
        "the pretrained faces model shipped in the package (32x32 RGB in, 32^3 out; `tf_ivg.pretrained`). That model "
        "was trained only on procedural faces rendered on a dark background: on a photograph, a non-face or noise it "
        "still returns a generic head. A model with in-distribution statistics (the pretrained one has them) scores "
        "how unlike its training images each input is ('novelty', about 1 for a typical training image), prints it, "
        "and warns above its threshold; --strict then exits 2 instead of writing a mesh.",
    )
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="input image file(s)")
    parser.add_argument(
        "--checkpoint",
        default=None,
        help="a VolumeIGN .keras file, `tf-ivg train` workdir or pretrained name (default: the shipped "
        "faces_volume_32, trained on procedural faces on a dark background, not photographs)",
    )
    parser.add_argument("-o", "--output", required=True, help="mesh path ending in .glb, .obj, .ply or .stl")
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="binarisation threshold (default: 0.01, or 0.2 for a chairs config, as in Grant et al. 2016; "
        "for the pretrained model the threshold its test figures use, 0.5)",
    )
    parser.add_argument(
        "--render", action="store_true", help="also write <OUT>_views.png: the volume from 3 viewpoints"
    )
    parser.add_argument("--save-volume", action="store_true", help="also write the raw predicted volume as <OUT>.npy")
    parser.add_argument("--strict-size", action="store_true", help="reject images whose size differs from the model's")
    parser.add_argument("--smooth", action="store_true", help="Taubin-smooth the mesh")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 2 without writing anything when an input does not look like the model's training images "
        "(needs a model with in-distribution statistics)",
    )
    parser.set_defaults(func=run)


def _in_distribution(model, inputs, names):
    """Per input: `{image, novelty, novelty_threshold, in_distribution}`; empty without statistics."""
    if not model.has_novelty:
        return []
    import numpy as np

    novelty = np.asarray(model.novelty(inputs), dtype=np.float64)
    threshold = model.novelty_threshold
    return [
        {
            "image": name,
            "novelty": round(float(n), 4),
            "novelty_threshold": round(threshold, 4),
            "in_distribution": bool(n <= threshold),
        }
        for name, n in zip(names, novelty)
    ]


def run(args):
    import json
    import sys
    from pathlib import Path

    import numpy as np

    from tf_ivg.evaluation.experiments import common
    from tf_ivg.evaluation.mesh import MESH_FORMATS, save_volume_mesh
    from tf_ivg.utils.files import check_destination
    from tf_ivg.utils.images import load_images

    output = Path(args.output)
    if output.suffix.lower().lstrip(".") not in MESH_FORMATS:
        raise ValueError(f"--output must end in one of {', '.join('.' + f for f in MESH_FORMATS)}, got {output.name!r}")
    check_destination(output)
    for path in args.images:
        if not Path(path).is_file():
            raise FileNotFoundError(f"image {path} not found")
    from tf_ivg import checkpoints, pretrained

    source = args.checkpoint or pretrained.DEFAULT
    model, config = checkpoints.load_with_config(source)
    if str(source) in pretrained.names():
        default_threshold = pretrained.info(str(source))["threshold"]
    else:
        default_threshold = 0.2 if common.family_of(config) == "chairs" else 0.01
    common.require_kind(model, "volume_ign", "reconstruct")
    threshold = args.threshold if args.threshold is not None else default_threshold
    images = load_images(args.images, model.image_size, model.channels, strict_size=args.strict_size)
    if model.frames > 1:
        if len(images) != model.frames:
            raise ValueError(
                f"this clip model takes exactly {model.frames} images (frames in order), got {len(images)}"
            )
        inputs, outputs = images[None], [output]
    else:
        inputs = images
        outputs = (
            [output]
            if len(images) == 1
            else [output.with_name(f"{output.stem}_{i}{output.suffix}") for i in range(len(images))]
        )
    checks = _in_distribution(model, inputs, [str(p) for p in args.images] if model.frames == 1 else [args.images[0]])
    if args.strict and not model.has_novelty:
        raise ValueError(
            "--strict needs a model with in-distribution statistics; this checkpoint has none "
            "(add them with tf_ivg.novelty.with_novelty)"
        )
    rejected = [c for c in checks if not c["in_distribution"]]
    for check in rejected:
        print(
            f"warning: {check['image']} does not look like this model's training images (novelty "
            f"{check['novelty']:.3g} > threshold {check['novelty_threshold']:.3g}); the model was trained only on "
            "images like its training set (the pretrained one: procedural faces on a dark background), so its "
            "volume for this input is not a reconstruction of it",
            file=sys.stderr,
        )
    if args.strict and rejected:
        print(
            f"--strict: {len(rejected)} of {len(checks)} input(s) out of distribution; nothing written", file=sys.stderr
        )
        return 2
    volumes = common.reconstruct(model, inputs)
    report = []
    for i, (volume, out) in enumerate(zip(volumes, outputs)):
        entry = {"mesh": str(out), "occupied_voxels": int((volume > threshold).sum()), "threshold": threshold}
        if checks:
            entry.update({k: checks[i][k] for k in ("novelty", "novelty_threshold", "in_distribution")})
        if entry["occupied_voxels"] == 0:
            raise ValueError(
                f"the predicted volume for {out.name} has no voxel above the threshold {threshold} "
                f"(max {float(volume.max()):.4g}); try a lower --threshold"
            )
        mesh = save_volume_mesh(volume, out, threshold=threshold, smooth=args.smooth)
        entry.update(vertices=int(len(mesh.vertices)), faces=int(len(mesh.faces)), watertight=bool(mesh.is_watertight))
        if args.render:
            from tf_ivg.utils.files import save_png

            views = common.volume_views(volume, threshold, image_size=128)
            entry["render"] = str(save_png(out.with_name(out.stem + "_views.png"), np.concatenate(views, axis=1)))
        if args.save_volume:
            from tf_ivg.utils.files import atomic_path

            with atomic_path(out.with_suffix(".npy")) as tmp:
                with open(tmp, "wb") as handle:
                    np.save(handle, volume)
            entry["volume"] = str(out.with_suffix(".npy"))
        report.append(entry)
    print(json.dumps(report, indent=2))
    return 0
