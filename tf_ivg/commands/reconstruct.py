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
        "the pretrained faces model shipped in the package (32x32 RGB in, 32^3 out; `tf_ivg.pretrained`).",
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
    parser.set_defaults(func=run)


def run(args):
    import json
    from pathlib import Path

    import numpy as np

    from tf_ivg.evaluation.experiments import common
    from tf_ivg.evaluation.images import load_images
    from tf_ivg.evaluation.mesh import MESH_FORMATS, save_volume_mesh

    output = Path(args.output)
    if output.suffix.lower().lstrip(".") not in MESH_FORMATS:
        raise ValueError(f"--output must end in one of {', '.join('.' + f for f in MESH_FORMATS)}, got {output.name!r}")
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
    volumes = common.reconstruct(model, inputs)
    report = []
    for volume, out in zip(volumes, outputs):
        entry = {"mesh": str(out), "occupied_voxels": int((volume > threshold).sum()), "threshold": threshold}
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
