"""Data generation speed and on-disk size; prints JSON.

    nice -n 10 .venv/bin/python benchmarks/data_generation.py [--quick] [--only speed|sizes]
        [--configs ivg_chairs/dcign_150 ...] [--size-sample N]
    nice -n 10 .venv/bin/python benchmarks/data_generation.py --only iou

Measures (after one warm-up call that pays XLA's compile time):
- images/s: sphere-traced 80x80 RGB faces, batch 32, XLA;
- volumes/s: 80^3 face volumes, batch 8, XLA;
- the volumes_80 train split (16,000 pairs): an ESTIMATE from timing the real example generator
  (tf_ivg.data.examples.iter_examples, which renders, voxelizes once per identity and quantizes) on
  its first `--sample` examples, plus tfds's encoding measured on the same examples;
- bytes per example of every full config (or --configs), measured by generating the first
  --size-sample examples of its train split (a partial build) and encoding them with the config's
  tfds features (PNG images, zlib tensors): the bytes tfds writes per record, plus 16 bytes of TFRecord
  framing. The total is EXTRAPOLATED: mean bytes per example times the example count of all splits.
- silhouette consistency (--only iou): IoU between 64x64 image silhouettes and the volume rendered in
  the same pose, per example, for held-out ids (1000+): 60 chairs (10 per style) at 128^3 and 30^3,
  30 faces at 64^3, with the trilinear and nearest-voxel readings of the volume.
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


def _speed(args):
    from tf_ivg.data import examples, factors, specs
    from tf_ivg.data.examples import features_for
    from tf_ivg.graphics import sphere_tracing, voxelize

    repeats = 1 if args.quick else 3
    _, params = factors.identity_coefficients("faces", np.arange(32))
    rng = np.random.default_rng(0)
    az, light = rng.uniform(-1.5, 1.5, 32), rng.uniform(-1, 1, 32)
    out = {}
    out["images_per_s_80"] = round(
        _rate(
            lambda: sphere_tracing.render("faces", params, az, np.zeros(32), light, np.full(32, 0.4), 80, mode="xla"),
            32,
            repeats,
        ),
        1,
    )
    out["volumes_per_s_80"] = round(
        _rate(lambda: voxelize.voxelize("faces", params[:8], 80, mode="xla"), 8, repeats), 1
    )

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
    out["volumes_80_bytes_per_example"] = int(np.mean(sizes)) + 16
    per_example = (gen_s + enc_s) / sample
    n = spec.num_examples("train")
    out["volumes_80_train"] = {
        "examples": n,
        "kind": "estimate",
        "sampled_examples": sample,
        "generate_s_per_example": round(gen_s / sample, 4),
        "encode_s_per_example": round(enc_s / sample, 4),
        "estimated_minutes": round(per_example * n / 60, 1),
        "note": "extrapolated from the sample; tfds's shuffle/write pass is not included",
    }
    return out


def _sizes(args):
    from tf_ivg.data import examples, specs
    from tf_ivg.data.examples import features_for

    names = args.configs or [n for n in specs.SPECS if "small" not in n]
    out = {}
    for name in names:
        s = specs.get_spec(name)
        k = args.size_sample or {"dcign": 2, "video": 3, "poses": 2}.get(s.kind, 8)
        if args.quick:
            k = 1
        f = features_for(s)
        t = time.perf_counter()
        b = [len(f.serialize_example(ex)) + 16 for _, ex in examples.iter_examples(s, "train", 0, k)]
        total = sum(s.splits)
        out[name] = {
            "sampled_examples": k,
            "bytes_per_example": int(np.mean(b)),
            "bytes_min_max": [min(b), max(b)],
            "examples_all_splits": total,
            "extrapolated_total_mib": round(float(np.mean(b)) * total / 2**20, 1),
            "sample_seconds": round(time.perf_counter() - t, 1),
        }
        print(name, out[name], flush=True)
    return out


def _iou(args):
    from tf_ivg.graphics import consistency

    out = {}
    per = 2 if args.quick else 10
    for family, volume_size in (("chairs", 128), ("faces", 64), ("chairs", 30)):
        if family == "chairs":
            ids = consistency.ids_per_style(per, start=1000, pool=300)
        else:
            ids = np.arange(1000, 1000 + 3 * per)
        n = len(ids)
        check = consistency.silhouette_check(
            family, ids, volume_size, image_size=64, seed=1, interpolations=("trilinear", "nearest")
        )
        for interpolation, iou in check["iou"].items():
            key = f"{family} x{n}, 64x64 image, {volume_size}^3 volume, {interpolation}"
            out[key] = {
                "min": round(float(iou.min()), 3),
                "mean": round(float(iou.mean()), 3),
                "max": round(float(iou.max()), 3),
                "below_0.95": int((iou < 0.95).sum()),
            }
            print(key, out[key], flush=True)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", type=int, default=240, help="volumes_80 examples to time (16 identities)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats and smaller samples")
    parser.add_argument("--only", choices=("speed", "sizes", "iou"), default=None, help="run one part")
    parser.add_argument("--configs", nargs="*", default=None, help="full configs to size (default: all)")
    parser.add_argument(
        "--size-sample",
        type=int,
        default=None,
        help="examples generated per config for the size estimate (default 8, 3 video, 2 groups)",
    )
    args = parser.parse_args(argv)

    out = {"machine_cpus": os.cpu_count()}
    if args.only in (None, "speed"):
        out.update(_speed(args))
    if args.only in (None, "sizes"):
        out["on_disk"] = _sizes(args)
    if args.only in (None, "iou"):
        out["silhouette_iou"] = _iou(args)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
