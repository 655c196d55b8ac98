"""`tf-ivg generate CONFIG --data-dir DIR`: renders a dataset config with tfds (progress bars)."""


def register(subparsers):
    parser = subparsers.add_parser(
        "generate",
        help="render a procedural dataset config (faces or chairs) into a tfds data directory",
        description="Builds CONFIG (e.g. ivg_faces/volumes_32_small, ivg_faces/volumes_80, "
        "ivg_chairs/dcign_150) with tensorflow-datasets. An interrupted build leaves only a "
        "temporary '*.incomplete*' folder, which the next run removes before building again. "
        "Use --list to see every config.",
    )
    parser.add_argument("config", nargs="?", help="dataset config, e.g. ivg_faces/volumes_32_small")
    parser.add_argument("--data-dir", default=None, help="tfds data directory (default: ~/tensorflow_datasets)")
    parser.add_argument("--overwrite", action="store_true", help="rebuild even if already generated")
    parser.add_argument("--list", action="store_true", help="list the configs with their sizes and exit")
    parser.set_defaults(func=run)


def run(args):
    import json
    import time

    from tf_ivg.data import specs

    if args.list:
        for name, s in specs.SPECS.items():
            print(f"{name:32s} {s.kind:8s} image {s.image_size:3d}  splits {dict(zip(specs.SPLITS, s.splits))}")
        return 0
    if not args.config:
        raise ValueError("give a dataset config, e.g. ivg_faces/volumes_32_small (or --list)")
    specs.get_spec(args.config)
    from tf_ivg.data.build import build

    start = time.time()
    builder = build(args.config, args.data_dir, overwrite=args.overwrite)
    splits = {k: v.num_examples for k, v in builder.info.splits.items()}
    print(
        json.dumps(
            {
                "config": args.config,
                "path": builder.data_dir,
                "splits": splits,
                "seconds": round(time.time() - start, 1),
            }
        )
    )
    return 0
