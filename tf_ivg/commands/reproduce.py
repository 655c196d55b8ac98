"""`tf-ivg reproduce`: runs the papers' experiments on trained checkpoints and writes reports."""


def register(subparsers):
    from tf_ivg.evaluation.experiments import EXPERIMENTS

    parser = subparsers.add_parser(
        "reproduce",
        help="run a paper experiment (or all) on checkpoints; writes Markdown reports and PNG figures",
        description="Runs one experiment of Grant et al. 2016 (the volumetric reconstructor) or Kulkarni et al. 2015 (DC-IGN) and writes "
        "WORKDIR/<experiment>/report.md with tables (the paper's numbers beside ours) and PNG figures, and beside it "
        "result.json: every number, the command, and the checkpoint's size, training steps and data. "
        "Experiments (training config of the checkpoint each needs): "
        + "; ".join(
            f"{n} [{s.paper}] ({s.config}{' + ' + s.baseline_config if s.baseline_config else ''})"
            for n, s in EXPERIMENTS.items()
        )
        + ". 'all' runs every experiment whose checkpoints exist under --checkpoint-dir/<config>/model.keras.",
    )
    parser.add_argument(
        "experiment",
        choices=list(EXPERIMENTS) + ["all"],
        metavar="EXPERIMENT",
        help="one of: " + ", ".join(EXPERIMENTS) + ", all",
    )
    parser.add_argument("--checkpoint", help="a .keras file or a `tf-ivg train` workdir (model.keras + config.json)")
    parser.add_argument(
        "--baseline-checkpoint",
        help="second model: the single-image model for 'video', the entangled one for 'entangled_baseline'",
    )
    parser.add_argument("--checkpoint-dir", help="for 'all': folder holding one training workdir per config name")
    parser.add_argument(
        "--untrained",
        action="store_true",
        help="build untrained smoke models from tf_ivg.configs instead of loading checkpoints (checks the pipeline only)",
    )
    parser.add_argument("--workdir", required=True, help="output folder for reports and figures")
    parser.add_argument(
        "--smoke", action="store_true", help="tiny experiment sizes (numbers are meaningless; for checks)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the test scenes (default 0)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override an experiment argument, e.g. --set num_test=50 (repeatable)",
    )
    parser.set_defaults(func=run)


def _overrides(pairs):
    import json

    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise ValueError(f"--set expects KEY=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def run(args):
    import json
    import shlex
    from pathlib import Path

    from tf_ivg import checkpoints
    from tf_ivg.evaluation import experiments
    from tf_ivg.evaluation.experiments.common import build_untrained
    from tf_ivg.utils.files import write_json

    overrides = _overrides(args.set)
    if args.experiment == "all":
        if args.untrained:
            results = {}
            for name, spec in experiments.EXPERIMENTS.items():
                model, config = build_untrained(spec.config)
                baseline = build_untrained(spec.baseline_config)[0] if spec.baseline_config else None
                results[name] = experiments.reproduce(
                    name, model, args.workdir, baseline=baseline, smoke=args.smoke, seed=args.seed, config=config
                )
            experiments.write_index(args.workdir, results)
        else:
            if not args.checkpoint_dir:
                raise ValueError("'all' needs --checkpoint-dir (one training workdir per config name) or --untrained")
            if not Path(args.checkpoint_dir).is_dir():
                raise FileNotFoundError(f"checkpoint dir {args.checkpoint_dir} not found")
            results = experiments.reproduce_all(args.checkpoint_dir, args.workdir, smoke=args.smoke, seed=args.seed)
        summary = {n: (r if isinstance(r, str) else r.summary()) for n, r in results.items()}
    else:
        spec = experiments.EXPERIMENTS[args.experiment]
        config = None
        if args.untrained:
            model, config = build_untrained(spec.config)
            baseline = build_untrained(spec.baseline_config)[0] if spec.baseline_config else None
        else:
            if not args.checkpoint:
                raise ValueError(f"{args.experiment} needs --checkpoint (a {spec.config} model) or --untrained")
            model, config = checkpoints.load_with_config(args.checkpoint)
            described = {"checkpoint": checkpoints.describe(args.checkpoint, model, config)}
            baseline = args.baseline_checkpoint
            if baseline is not None:
                baseline, baseline_config = checkpoints.load_with_config(baseline)
                described["baseline_checkpoint"] = checkpoints.describe(
                    args.baseline_checkpoint, baseline, baseline_config
                )
        result = experiments.reproduce(
            args.experiment,
            model,
            args.workdir,
            baseline=baseline,
            smoke=args.smoke,
            seed=args.seed,
            config=config,
            **overrides,
        )
        experiments.write_index(args.workdir, {args.experiment: result})
        summary = result.summary()
        if not args.untrained:
            record = {**summary, "command": shlex.join(["tf-ivg", *args.argv]), **described}
            record["report"] = Path(result.report).name
            write_json(Path(result.report).with_name("result.json"), record)
            summary["record"] = str(Path(result.report).with_name("result.json"))
    print(json.dumps(summary, indent=2, default=experiments._jsonable))
    return 0
