"""The `tf-ivg` command line: parses arguments and calls library functions.

Each subcommand lives in `tf_ivg/commands/<name>.py` and exposes
`register(subparsers)`, which adds its parser and sets `func(args) -> int`.
"""

import argparse
import importlib
import os
import sys

import tf_ivg

# Subcommand modules, in the order `--help` lists them.
SUBCOMMANDS = [
    "tf_ivg.commands.check_layers",
    "tf_ivg.commands.generate",
    "tf_ivg.commands.export",
    "tf_ivg.commands.serve",
    "tf_ivg.commands.train",
    "tf_ivg.commands.reproduce",
    "tf_ivg.commands.reconstruct",
    "tf_ivg.commands.rerender",
]


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tf-ivg",
        description="Vision as inverse graphics: procedural data, volumetric reconstruction and DC-IGN in TF/Keras.",
    )
    parser.add_argument("--version", action="version", version=f"tf-ivg {tf_ivg.__version__}")
    parser.add_argument(
        "--verbose", action="store_true", help="show TensorFlow's native start-up lines (CUDA probing, absl notices)"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMANDS:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # as typed, for the records commands write
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if not args.verbose:
        from tf_ivg.utils.quiet import import_tensorflow_quietly

        import_tensorflow_quietly()
    try:
        return int(args.func(args) or 0)
    except (ValueError, OSError) as error:  # bad input, missing or unwritable paths: one line, exit 2
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"tf-ivg {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
