"""Data generation speed and on-disk size; prints JSON.

    nice -n 10 .venv/bin/python benchmarks/data_generation.py [--quick]

Measures (after one warm-up call that pays XLA's compile time):
- images/s: sphere-traced 80x80 RGB faces, batch 32, XLA;
- volumes/s: 80^3 face volumes, batch 8, XLA;
- the volumes_80 train split (16,000 pairs): an ESTIMATE from timing the real example generator
  (tf_ivg.data.examples.iter_examples, which renders, voxelizes once per identity and quantizes) on
  its first `--sample` examples, plus tfds's encoding measured on the same examples;
- bytes per example of every full config, measured by encoding a few real examples with the
  config's tfds features (PNG images, zlib volumes), times the config's example count.
"""
import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def _rate(fn, n, repeats):
    fn()  # compile
    t = time.perf_counter()
    for _ in range(repeats):
        fn()
    return n * repeats / (time.perf_counter() - t)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", type=int, default=240, help="volumes_80 examples to time (16 identities)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats and smaller samples")
    args = parser.parse_args(argv)

    from tf_ivg.data import examples, factors, specs
    from tf_ivg.data.tfds_builder import features_for
    from tf_ivg.graphics import render, voxelize

    repeats = 1 if args.quick else 3
    _, params = factors.identity_coefficients("faces", np.arange(32))
    rng = np.random.default_rng(0)
    az, light = rng.uniform(-1.5, 1.5, 32), rng.uniform(-1, 1, 32)
    out = {"machine_cpus": os.cpu_count()}
    out["images_per_s_80"] = round(_rate(lambda: render.render(
        "faces", params, az, np.zeros(32), light, np.full(32, 0.4), 80, mode="xla"), 32, repeats), 1)
    out["volumes_per_s_80"] = round(_rate(lambda: voxelize.voxelize(
        "faces", params[:8], 80, mode="xla"), 8, repeats), 1)

    spec = specs.get_spec("ivg_faces/volumes_80")
    feats = features_for(spec)
    sample = 60 if args.quick else args.sample
    list(examples.iter_examples(spec, "train", 0, 15))  # warm-up (compiles)
    t = time.perf_counter()
    exs = [ex for _, ex in examples.iter_examples(spec, "train", 15, 15 + sample)]
    gen_s = time.perf_counter() - t
    t = time.perf_counter()
    sizes = [len(feats.serialize_example(ex)) for ex in exs]
    enc_s = time.perf_counter() - t
    per_example = (gen_s + enc_s) / sample
    n = spec.num_examples("train")
    out["volumes_80_train"] = {
        "examples": n, "kind": "estimate", "sampled_examples": sample,
        "generate_s_per_example": round(gen_s / sample, 4), "encode_s_per_example": round(enc_s / sample, 4),
        "estimated_minutes": round(per_example * n / 60, 1),
        "note": "extrapolated from the sample; tfds's shuffle/write pass is not included",
    }
    sizes_out = {"ivg_faces/volumes_80": {"bytes_per_example": int(np.mean(sizes))}}
    for name, s in specs.SPECS.items():
        if name in sizes_out or "small" in name:
            continue
        k = 2 if s.kind == "dcign" else (3 if s.kind == "video" else 8)
        if args.quick:
            k = 1
        f = features_for(s)
        b = [len(f.serialize_example(ex)) for _, ex in examples.iter_examples(s, "train", 0, k)]
        sizes_out[name] = {"bytes_per_example": int(np.mean(b))}
    for name, v in sizes_out.items():
        total = sum(specs.get_spec(name).splits)
        v["examples_all_splits"] = total
        v["estimated_total_mb"] = round(v["bytes_per_example"] * total / 2**20, 1)
    out["on_disk"] = sizes_out
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
