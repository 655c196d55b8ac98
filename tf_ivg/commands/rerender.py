"""`tf-ivg rerender`: your image under a new pose and light, with a trained DC-IGN (Kulkarni et al. 2015)."""

DEFAULT_CHECKPOINT = "dcign_faces_64"


def register(subparsers):
    parser = subparsers.add_parser(
        "rerender",
        help="re-render an image under a new azimuth, elevation and/or light direction with a trained DC-IGN",
        description="Encodes IMAGE (grayscale at the model's side: any format Pillow reads, centre-cropped to a "
        "square and resized unless --strict-size), sets the latents of the factors given (radians, within the "
        "ranges the model was trained on) and decodes. Factor values become latent values through the model's "
        "calibration: the line fitted between each named latent and its factor on unseen groups (stored with a "
        "pretrained model; fitted on rendered groups for any other checkpoint). Without --checkpoint it uses the "
        "shipped dcign_faces_64 (64x64, trained on procedural faces on a dark background, not photographs).",
    )
    parser.add_argument("image", metavar="IMAGE", help="input image file")
    parser.add_argument("-o", "--output", required=True, help="output PNG path")
    parser.add_argument(
        "--checkpoint", default=None, help="a DC-IGN .keras file, `tf-ivg train` workdir or pretrained name"
    )
    for factor, what in (("azimuth", "the face's azimuth"), ("elevation", "its elevation"), ("light", "the light's")):
        parser.add_argument(f"--{factor}", type=float, default=None, help=f"{what} in radians")
    parser.add_argument(
        "--side-by-side", action="store_true", help="write input | reconstruction | re-rendering side by side"
    )
    parser.add_argument(
        "--strict-size", action="store_true", help="reject an image whose size differs from the model's"
    )
    parser.set_defaults(func=run)


def run(args):
    import json
    from pathlib import Path

    import numpy as np

    from tf_ivg import latent_factors as cal
    from tf_ivg.evaluation.experiments import common
    from tf_ivg.utils.files import save_png
    from tf_ivg.utils.images import load_image

    targets = {f: getattr(args, f) for f in cal.FACTORS if getattr(args, f) is not None}
    if not targets:
        raise ValueError("give at least one of --azimuth, --elevation, --light (radians)")
    output = Path(args.output)
    if output.suffix.lower() != ".png":
        raise ValueError(f"--output must end in .png; got {output.name!r}")
    if not Path(args.image).is_file():
        raise FileNotFoundError(f"image {args.image} not found")
    from tf_ivg import checkpoints, pretrained

    source = str(args.checkpoint or DEFAULT_CHECKPOINT)
    model, config = checkpoints.load_with_config(source)
    common.require_kind(model, "dcign", "rerender")
    if source in pretrained.names() and "calibration" in pretrained.info(source):
        calibration = pretrained.info(source)["calibration"]
    else:
        calibration = cal.calibrate(model, family=common.family_of(config))
    latents = {f: cal.to_latent(calibration, f, v) for f, v in targets.items()}  # range errors before any work
    image = load_image(args.image, model.image_size, model.channels, strict_size=args.strict_size)[None]
    z = np.array(model.encode(image), np.float32)
    for factor, value in latents.items():
        z[:, model.latent_index(factor)] = value
    rendered = np.asarray(model.decode(z))[0]
    if args.side_by_side:
        reconstruction = np.asarray(model(image, training=False))[0]
        rendered = np.concatenate([image[0], reconstruction, rendered], axis=1)
    save_png(output, rendered)
    print(json.dumps({"output": str(output), "factors": targets, "latents": latents, "checkpoint": source}, indent=2))
    return 0
