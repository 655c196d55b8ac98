"""Convolution gradient kernels on this machine: TensorFlow's own vs `tf_ivg.fast.conv.fast_convolution`'s
(gradients as forward convolutions), at VolumeIGN's shapes, batch 10. Prints JSON: milliseconds per call
(median of `--repeats`) of the forward pass alone (and its GFLOP/s), and of the forward pass plus both
gradients (input and kernel) with each implementation.

Usage: python benchmarks/conv_gradients.py [--repeats 5]
"""

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tf_ivg.fast.conv import fast_convolution  # noqa: E402

BATCH = 10
# (name, spatial sides, kernel side, input maps, output maps)
SHAPES = [
    ("decoder 10^3 32->128", (10, 10, 10), 3, 32, 128),
    ("decoder 20^3 16->64 (output)", (20, 20, 20), 3, 16, 64),
    ("session 2 decoder 40^3 16->8", (40, 40, 40), 3, 16, 8),
    ("STN1 localisation 76^2 32->20 5x5", (76, 76), 5, 32, 20),
    ("encoder conv2 34^2 32->64 5x5 valid", (38, 38), 5, 32, 64),
]


def _median_ms(fn, *args, repeats):
    fn(*args)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        tf.nest.map_structure(np.asarray, fn(*args))
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def measure(sides, k, cin, cout, padding, repeats):
    rank = len(sides)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(BATCH, *sides, cin)), tf.float32)
    w = tf.constant(rng.normal(size=(k,) * rank + (cin, cout)), tf.float32)
    y_shape = tf.nn.convolution(x, w, padding=padding).shape
    dy = tf.constant(rng.normal(size=y_shape), tf.float32)

    def forward_and_gradients(conv):
        @tf.function
        def run(x, w, dy):
            with tf.GradientTape() as tape:
                tape.watch([x, w])
                y = conv(x, w)
            return tape.gradient(y, [x, w], output_gradients=dy)

        return run

    plain = lambda a, b: tf.nn.convolution(a, b, padding=padding)  # noqa: E731
    fast = lambda a, b: fast_convolution(a, b, padding)  # noqa: E731
    gflop = 2 * BATCH * int(np.prod(y_shape[1:-1])) * k**rank * cin * cout / 1e9
    forward = _median_ms(tf.function(plain), x, w, repeats=repeats)
    tensorflow = _median_ms(forward_and_gradients(plain), x, w, dy, repeats=repeats)
    ours = _median_ms(forward_and_gradients(fast), x, w, dy, repeats=repeats)
    return {
        "forward_ms": round(forward, 1),
        "forward_gflop_per_s": round(gflop / forward * 1000, 1),
        "tensorflow_forward_and_gradients_ms": round(tensorflow, 1),
        "fast_forward_and_gradients_ms": round(ours, 1),
        "speedup": round(tensorflow / ours, 2),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    results = {}
    for name, sides, k, cin, cout in SHAPES:
        padding = "VALID" if "valid" in name else "SAME"
        results[name] = measure(sides, k, cin, cout, padding, args.repeats)
    print(
        json.dumps(
            {
                "benchmark": "conv_gradients",
                "batch": BATCH,
                "device": f"CPU ({os.cpu_count()} cores)",
                "tensorflow": tf.__version__,
                "results": results,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
