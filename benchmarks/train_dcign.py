"""DC-IGN training throughput (samples/s) in fp32 and mixed bf16, beside a same-run matmul FLOP rate.

Usage: python benchmarks/train_dcign.py [--image-size 150] [--batch 20] [--steps 5]
Prints one JSON object. Model FLOPs per training sample are counted analytically (conv and dense
multiply-adds x 2, times 3 for forward + backward), so `utilisation` = achieved model FLOP/s over the
measured matmul FLOP/s of the same dtype.
"""

import argparse
import json
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tf_ivg.configs.dcign_faces import PAPER_OPTIMIZER  # noqa: E402
from tf_ivg.models.dcign import build_dcign  # noqa: E402
from tf_ivg.optimizers import make_optimizer  # noqa: E402


def forward_flops(model):
    """Multiply-add FLOPs (x2) of one forward pass of one image through encoder + decoder."""
    total = 0
    for network in (model.encoder, model.decoder):
        for layer in network.layers:
            if isinstance(layer, keras.layers.Conv2D):
                _, h, w, c_out = layer.output.shape
                c_in = layer.input.shape[-1]
                total += 2 * h * w * c_out * c_in * layer.kernel_size[0] * layer.kernel_size[1]
            elif isinstance(layer, keras.layers.Dense):
                total += 2 * layer.input.shape[-1] * layer.units
    return total


def matmul_rate(dtype, n=2048, repeats=10):
    a = tf.random.uniform((n, n), dtype=tf.float32)
    a = tf.cast(a, dtype)
    run = tf.function(lambda x: tf.reduce_sum(tf.cast(x @ x, tf.float32)))
    run(a).numpy()
    start = time.perf_counter()
    for _ in range(repeats):
        run(a).numpy()
    return 2 * n**3 * repeats / (time.perf_counter() - start)


def train_rate(policy, image_size, batch, steps, warmup):
    keras.mixed_precision.set_global_policy(policy)
    keras.utils.set_random_seed(0)
    model = build_dcign(image_size)
    model.compile(optimizer=make_optimizer(PAPER_OPTIMIZER), jit_compile=False)
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(batch, image_size, image_size, 1)).astype("float32")
    ids = np.zeros([batch], np.int32)
    for _ in range(warmup):
        model.train_on_batch(images, ids)
    start = time.perf_counter()
    for _ in range(steps):
        logs = model.train_on_batch(images, ids, return_dict=True)
    elapsed = time.perf_counter() - start
    keras.mixed_precision.set_global_policy("float32")
    compute_dtype = model.decoder.get_layer("conv2").compute_dtype
    return batch * steps / elapsed, forward_flops(model), float(logs["loss"]), compute_dtype


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=150)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args(argv)
    result = {
        "benchmark": "train_dcign",
        "image_size": args.image_size,
        "batch": args.batch,
        "steps": args.steps,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "jit_compile": False,
        "runs": {},
    }
    for policy, dtype in (("float32", tf.float32), ("mixed_bfloat16", tf.bfloat16)):
        samples_per_s, flops, loss, compute_dtype = train_rate(
            policy, args.image_size, args.batch, args.steps, args.warmup
        )
        matmul = matmul_rate(dtype)
        train_flops = 3 * flops
        result["runs"][policy] = {
            "conv_compute_dtype": compute_dtype,
            "samples_per_s": round(samples_per_s, 2),
            "train_gflop_per_sample": round(train_flops / 1e9, 3),
            "achieved_gflop_per_s": round(samples_per_s * train_flops / 1e9, 1),
            "matmul_gflop_per_s": round(matmul / 1e9, 1),
            "utilisation": round(samples_per_s * train_flops / matmul, 3),
            "final_loss": round(loss, 1),
        }
    result["bf16_speedup"] = round(
        result["runs"]["mixed_bfloat16"]["samples_per_s"] / result["runs"]["float32"]["samples_per_s"], 2
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
