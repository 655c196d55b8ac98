"""One benchmark, several variants, in one interleaved run: revisions of the code (git worktrees) or switch
settings, measured A, B, C, A, B, C, ... so the machine's drift (10-30% within minutes on a shared VM) falls on
every variant alike. Prints JSON: per variant the runs' values of each metric, their median, the median's
ratio to the first variant's, and the median of the ratios to the first variant's run of the same repeat.

Each run is a fresh process: `<python> <PATH>/benchmarks/<script> <script args>` in `PATH`, with `PYTHONPATH`
set to `PATH` (so `tf_ivg` is that revision's) and the variant's environment variables.

Usage:
  git worktree add /tmp/before <commit>
  python benchmarks/compare_revisions.py --variant before /tmp/before --variant after . \\
      [--repeats 5] [--script train_volume_ign.py] [--metric fp32.samples_per_s ...] -- --only fp32 --rounds 3
  python benchmarks/compare_revisions.py --variant off . TF_IVG_FAST=0 --variant on . TF_IVG_FAST=1 -- --only fp32

`--variant LABEL PATH [KEY=VALUE ...]` (at least two); the arguments after `--` go to the script, which must
print one JSON object last on its stdout. Metrics are dotted paths into it (default: fp32 samples/s, step
seconds and utilisation of `train_volume_ign.py`).
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _get(result, dotted):
    for key in dotted.split("."):
        result = result[key]
    return result


def _parse_variant(items):
    label, path, *settings = items
    env = {}
    for setting in settings:
        key, sep, value = setting.partition("=")
        if not sep:
            raise SystemExit(f"--variant {label}: expected KEY=VALUE after the path; got {setting!r}")
        env[key] = value
    return {"label": label, "path": str(Path(path).resolve()), "env": env}


def _run(variant, script, script_args, timeout):
    env = {**os.environ, **variant["env"], "PYTHONPATH": variant["path"]}
    command = [sys.executable, str(Path(variant["path"]) / "benchmarks" / script), *script_args]
    start = time.perf_counter()
    out = subprocess.run(command, cwd=variant["path"], env=env, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise SystemExit(f"{variant['label']}: {' '.join(command)} failed:\n{out.stderr[-3000:]}")
    text = out.stdout
    result = json.loads(text[text.index("{") :])  # the JSON object the script printed last
    return result, time.perf_counter() - start


def main():
    argv = sys.argv[1:]
    script_args = []
    if "--" in argv:
        at = argv.index("--")
        argv, script_args = argv[:at], argv[at + 1 :]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--variant",
        nargs="+",
        action="append",
        required=True,
        metavar="LABEL PATH [KEY=VALUE]",
        help="a label, a source tree (a git worktree), and environment settings; repeat for each variant",
    )
    parser.add_argument("--repeats", type=int, default=5, help="runs of each variant")
    parser.add_argument("--script", default="train_volume_ign.py", help="the benchmark, in <PATH>/benchmarks/")
    parser.add_argument(
        "--metric",
        action="append",
        default=None,
        help="dotted path into the script's JSON (repeatable; default fp32.samples_per_s, fp32.step_s, "
        "fp32.utilisation)",
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per run")
    args = parser.parse_args(argv)
    variants = [_parse_variant(v) for v in args.variant]
    if len(variants) < 2 or any(len(v) < 2 for v in args.variant):
        parser.error("give at least two --variant LABEL PATH [KEY=VALUE ...]")
    metrics = args.metric or ["fp32.samples_per_s", "fp32.step_s", "fp32.utilisation"]

    runs = {v["label"]: [] for v in variants}
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    for repeat in range(args.repeats):
        for variant in variants:
            result, seconds = _run(variant, args.script, script_args, args.timeout)
            runs[variant["label"]].append({m: _get(result, m) for m in metrics})
            print(
                f"[{repeat + 1}/{args.repeats}] {variant['label']}: "
                + ", ".join(f"{m}={_get(result, m):.4g}" for m in metrics)
                + f" ({seconds:.0f} s)",
                file=sys.stderr,
                flush=True,
            )

    first = variants[0]["label"]
    medians = {label: {m: statistics.median(r[m] for r in rs) for m in metrics} for label, rs in runs.items()}
    report = {
        "benchmark": "compare_revisions",
        "script": args.script,
        "script_args": script_args,
        "repeats": args.repeats,
        "started": started,
        "finished": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "variants": [
            {
                **v,
                "runs": {m: [round(r[m], 4) for r in runs[v["label"]]] for m in metrics},
                "median": {m: round(medians[v["label"]][m], 4) for m in metrics},
                f"median_ratio_to_{first}": {
                    m: round(medians[v["label"]][m] / medians[first][m], 4) for m in metrics if medians[first][m]
                },
                # Ratio to the first variant's run of the same repeat (next to it in time), then the median.
                f"median_paired_ratio_to_{first}": {
                    m: round(statistics.median(r[m] / f[m] for r, f in zip(runs[v["label"]], runs[first])), 4)
                    for m in metrics
                    if all(f[m] for f in runs[first])
                },
            }
            for v in variants
        ],
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
