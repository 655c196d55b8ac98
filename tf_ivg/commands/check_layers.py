"""`tf-ivg check-layers`: verifies the custom layers' gradients on this machine."""


def register(subparsers):
    parser = subparsers.add_parser(
        "check-layers",
        help="check the custom layers' gradients against finite differences and print a JSON report",
        description="Runs each custom layer (spatial transformer sampler, RReLU, gradient block, "
        "batch-mean clamp, Gaussian sample) once and compares analytic gradients with central "
        "finite differences. Exit status 1 if any check fails.",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.set_defaults(func=run)


def run(args):
    import json

    from tf_ivg.layers.checks import run_layer_checks

    report = run_layer_checks(seed=args.seed)
    print(json.dumps(report, indent=2))
    return 0 if all(check["ok"] for check in report["checks"]) else 1
