"""DC-IGN against its entangled baseline at a scale this machine allows; prints JSON.

Trains `dcign_faces` (factor clamping) and `dcign_faces_baseline` (plain SGVB) with the paper's networks
(96/48/24 encoder maps, 7x7 decoder convs, 200 latents, the authors' optimizer: Adam lr 5e-4) at `--image-size` (32 by default,
'same' encoder padding) on `--groups` in-memory single-factor groups of 20, then runs the paper's
evaluations from `tf_ivg.evaluation.experiments` on unseen groups: each of z[0], z[1], z[2] against its
true factor (Fig 6) and novel-view re-rendering MSE against the baseline (4.1.1; the baseline's azimuth
latent is its highest-variance latent over an azimuth group), plus traversal grids.

Usage: nice -n 10 python benchmarks/dcign_results.py --steps 800 --groups 800 --eval-groups 10
(the defaults are a quick check of the whole pipeline; most of its time is generating groups).
"""

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tf_ivg.configs import get_config  # noqa: E402
from tf_ivg.configs.dcign_faces import PAPER_OPTIMIZER, paper_model  # noqa: E402


def results_config(name, clamp, image_size, steps, groups, seed):
    config = get_config(name, "smoke")
    grid = image_size // 4
    config.update(
        {
            "name": f"{name}_results",
            "batch_size": 20,
            "steps": steps,
            "steps_per_epoch": max(1, steps // 4),
            "validation_steps": 4,
            "num_groups": groups,
            "validation_groups": 8,
            "seed": seed,
            "optimizer": dict(PAPER_OPTIMIZER),
            "model_config": dict(
                paper_model(clamp=clamp),
                image_size=image_size,
                encoder_padding="same",
                decoder_grid=grid,
                up_factors=[2, 2],
            ),
        }
    )
    return config


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default=os.path.join("runs", "dcign_results"))
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--groups", type=int, default=40, help="distinct training groups (cycled)")
    parser.add_argument("--eval-groups", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from tf_ivg.evaluation.experiments import dcign_baseline, dcign_factors, dcign_traversals
    from tf_ivg.training import loop

    out = {
        "benchmark": "dcign_results",
        "image_size": args.image_size,
        "steps": args.steps,
        "groups": args.groups,
        "group_size": 20,
        "models": {},
    }
    models = {}
    for name, clamp in (("dcign_faces", True), ("dcign_faces_baseline", False)):
        config = results_config(name, clamp, args.image_size, args.steps, args.groups, args.seed)
        start = time.perf_counter()
        model, history = loop.train(config, os.path.join(args.workdir, name), verbose=2)
        models[name] = model
        out["models"][name] = {
            "train_seconds": round(time.perf_counter() - start, 1),
            **{k: round(float(v[-1]), 3) for k, v in history.history.items()},
            "first_epoch_loss": round(float(history.history["loss"][0]), 3),
        }
    evaluation = os.path.join(args.workdir, "evaluation")
    dcign, baseline = models["dcign_faces"], models["dcign_faces_baseline"]
    out["dcign_factors"] = dcign_factors.run(dcign, evaluation, num_groups=args.eval_groups, group_size=20).metrics
    out["baseline_factors"] = dcign_factors.run(
        baseline, os.path.join(evaluation, "baseline"), num_groups=args.eval_groups, group_size=20
    ).metrics
    out["novel_view"] = dcign_baseline.run(
        dcign, evaluation, baseline, num_groups=args.eval_groups, group_size=20
    ).metrics
    dcign_traversals.run(dcign, evaluation, num_images=4)
    print(json.dumps(out, indent=2, default=float))


if __name__ == "__main__":
    main()
