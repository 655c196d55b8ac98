"""`tf-ivg train CONFIG --workdir DIR`: trains a model from a config with `model.fit`."""


def register(subparsers):
    from tf_ivg.configs import STRATEGIES

    parser = subparsers.add_parser(
        "train",
        help="train a model from a config (tf_ivg/configs) with model.fit; resumes interrupted runs",
        description="Trains the model a config describes. CONFIG is a config name (see tf_ivg/configs, "
        "e.g. faces_volume, faces_disentangled, faces_video, chairs_volume) or a path to a JSON config "
        "such as a workdir's config.json. Writes WORKDIR/model.keras (each epoch), WORKDIR/config.json, "
        "TensorBoard logs in WORKDIR/logs and a backup in WORKDIR/backup, from which a killed run resumes "
        "when started again with the same command.",
    )
    parser.add_argument("config", help="config name or path to a .json config")
    parser.add_argument("--workdir", required=True, help="output folder for checkpoints, logs and config.json")
    parser.add_argument(
        "--variant",
        default="full",
        help="config variant: full (paper settings), smoke (tiny, for tests), or one a config "
        "adds (faces_volume: small, the pretrained model's recipe); default full",
    )
    parser.add_argument("--data-dir", default=None, help="tfds data directory (default: the tfds default)")
    parser.add_argument("--steps", type=int, default=None, help="number of training steps (overrides the config)")
    parser.add_argument("--mixed-bf16", action="store_true", help="train under the mixed_bfloat16 dtype policy")
    parser.add_argument(
        "--strategy",
        default=None,
        choices=STRATEGIES,
        help="distribution strategy (overrides the config's 'strategy'; default auto: mirrored over "
        "several GPUs, else one device); multi_worker reads TF_CONFIG, tpu needs a TPU "
        "(docs/distributed.md)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--restart", action="store_true", help="discard an interrupted run's backup in WORKDIR/backup and start over"
    )
    parser.set_defaults(func=run)


def run(args):
    import json
    import sys

    from tf_ivg.configs import get_config, load_config
    from tf_ivg.training.loop import train

    if args.config.endswith(".json"):
        config = load_config(args.config)
    else:
        config = get_config(args.config, args.variant)
    if args.strategy is not None:
        config = {**config, "strategy": args.strategy}
    if args.steps is not None and args.steps <= 0:
        raise ValueError(f"--steps must be a positive int; got {args.steps}")
    _, history = train(
        config,
        args.workdir,
        data_dir=args.data_dir,
        steps=args.steps,
        mixed_bf16=args.mixed_bf16,
        verbose=0 if args.quiet else "auto",
        restart=args.restart,
    )
    if history is None:
        print(json.dumps({"workdir": args.workdir, "already_trained": True}, indent=2))
        print(
            f"{args.workdir} already holds this finished run; nothing to do (--restart trains it again)",
            file=sys.stderr,
        )
        return 0
    final = {key: float(values[-1]) for key, values in history.history.items()}
    print(json.dumps({"workdir": args.workdir, "final_metrics": final}, indent=2))
    return 0
