"""`tf-ivg export`: a trained checkpoint -> a TF Serving SavedModel version BASE/NAME/N/."""


def register(subparsers):
    parser = subparsers.add_parser(
        "export",
        help="export a checkpoint as a TF Serving SavedModel (BASE/NAME/VERSION/)",
        description="Loads a .keras checkpoint written by `tf-ivg train` and writes its serving "
        "signatures (see docs/serving.md) as BASE/NAME/VERSION/ atomically. With --config instead "
        "of --checkpoint it exports a freshly initialised (untrained) model built from that config, "
        "for checking layouts and deployments. Prints a JSON summary.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--checkpoint", help="a .keras file, a `tf-ivg train` workdir, or a pretrained name (e.g. faces_volume_32)"
    )
    source.add_argument("--config", help="config name (tf_ivg/configs); exports UNTRAINED weights")
    parser.add_argument("--variant", default="full", help="config variant with --config (full or smoke)")
    parser.add_argument("--model-name", required=True, help="model folder and gRPC model name, e.g. volume_ign")
    parser.add_argument("--version", type=int, default=None, help="positive int (default: highest existing + 1)")
    parser.add_argument("--base-dir", default="export/models", help="model base directory (default export/models)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing version")
    parser.add_argument(
        "--verify", action="store_true", help="reload the SavedModel and compare every signature with the Keras model"
    )
    parser.set_defaults(func=run)


def run(args):
    import json

    import tf_ivg
    from tf_ivg.serving.export import endpoints_for, export_model, verify_export

    if args.checkpoint:
        model = tf_ivg.load(args.checkpoint)
    else:
        model = tf_ivg.build(tf_ivg.configs.get_config(args.config, args.variant))
    endpoints = endpoints_for(model)
    path = export_model(
        model, args.base_dir, args.model_name, version=args.version, overwrite=args.overwrite, endpoints=endpoints
    )
    source = args.checkpoint or f"config {args.config}/{args.variant} (untrained weights)"
    summary = {"path": path, "model": type(model).__name__, "source": source}
    if args.verify:
        summary["max_abs_diff"] = verify_export(path, endpoints)
    print(json.dumps(summary, indent=2))
    return 0
