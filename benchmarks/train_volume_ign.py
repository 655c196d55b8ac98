"""Training speed of VolumeIGN at paper scale (80x80 in, 80^3 out, batch 10), fp32 and mixed bf16,
beside the same run's large-matmul FLOP rate, so the model's FLOP utilisation is printed as JSON.

This machine's speed drifts by 10-30% within minutes (a shared 2-core VM), so the matmul reference is
taken inside the same `fit`, interleaved with the timed steps: `--rounds` rounds, each measuring the
matmul rate (best of 3 timings of 5 products of 2048x2048 matrices) and then timing `--steps` training
steps (median step). Each round gives a utilisation (model FLOP rate / that round's matmul rate); the
JSON reports their median and range, the median step time and the median matmul rate. 3 warm-up steps
come first.

Model FLOPs are counted analytically from the layers' shapes (2 per multiply-add of the Conv2D, Conv3D
and Dense layers, the STN localisation nets' included; the bilinear samplers and element-wise layers
are not counted) and a training step is taken as 3x the forward pass (forward, input gradient,
weight gradient).

Usage:
  python benchmarks/train_volume_ign.py [--config faces_volume] [--variant full] [--rounds 5] [--steps 8]
      [--batch 10] [--jit] [--output-upsampling depth_to_space|repeat]
      [--stage-upsampling depth_to_space|repeat] [--fast SPEC] [--only fp32]
      [--set KEY=JSON ...]   (model_config overrides, e.g. --set 'volume_filters=[64,32,16,8]')

`--fast` sets the CPU fast paths (`tf_ivg.fast`; the `TF_IVG_FAST` syntax: 0, 1 or a comma list such as
`conv`; default: the environment variable, else 0). `benchmarks/compare_revisions.py` runs
this script for several revisions or switch settings, interleaved.
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

from tf_ivg import fast  # noqa: E402
from tf_ivg.configs import get_config  # noqa: E402
from tf_ivg.training import volume_task  # noqa: E402


def layer_flops(layer):
    """Forward FLOPs per example of one layer (recursing into nested models / STNs)."""
    total = 0
    sublayers = layer.layers if isinstance(layer, keras.Model) else []
    if hasattr(layer, "localization"):
        sublayers = [layer.localization, layer.theta_head]
    for sub in sublayers:
        total += layer_flops(sub)
    if isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv3D)):
        out = layer._last_output_shape
        kernel = np.prod(layer.kernel.shape)  # k..k * Cin * Cout
        total += 2 * int(np.prod(out[1:-1])) * int(kernel)
    elif isinstance(layer, keras.layers.Dense):
        total += 2 * int(np.prod(layer.kernel.shape))
    return total


def record_shapes(model):
    """Runs the model once, recording each Conv's output shape (needed for FLOP counting)."""
    originals = {}
    for conv_cls in (keras.layers.Conv2D, keras.layers.Conv3D):
        originals[conv_cls] = conv_cls.call

        def wrapped(self, inputs, _orig=conv_cls.call):
            out = _orig(self, inputs)
            self._last_output_shape = tuple(out.shape)
            return out

        conv_cls.call = wrapped
    try:
        model.reconstruct(np.zeros((1, *model.image_shape), "float32"))
        model.render(*model.encode(np.zeros((1, *model.image_shape), "float32")))
    finally:
        for conv_cls, call in originals.items():
            conv_cls.call = call


class MatmulRate:
    """FLOP rate of large `dtype` matrix products: the best of `timings` timings of `products`
    products of two n x n matrices (the best, because interruptions only ever slow a timing down)."""

    def __init__(self, dtype, n=2048, products=5, timings=3):
        self.n, self.products, self.timings = n, products, timings
        self.a = tf.cast(tf.random.uniform([n, n]), dtype)
        self.b = tf.cast(tf.random.uniform([n, n]), dtype)
        self.matmul = tf.function(tf.matmul)
        self.matmul(self.a, self.b).numpy()

    def __call__(self):
        best = float("inf")
        for _ in range(self.timings):
            start = time.perf_counter()
            for _ in range(self.products):
                out = self.matmul(self.a, self.b)
            out.numpy()
            best = min(best, time.perf_counter() - start)
        return 2 * self.n**3 * self.products / best


def one_batch_repeated(model, batch):
    """A dataset repeating one random batch `(images, volumes)` of the model's shapes (no input
    pipeline cost in the timings)."""
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(batch, *model.image_shape)).astype("float32")
    d = model.volume_size
    volumes = (rng.uniform(size=(batch, d, d, d)) > 0.8).astype("float32")
    return tf.data.Dataset.from_tensors((images, volumes)).repeat()


WARMUP_STEPS = 3  # the first step traces; the next ones still run slower on a fresh model


class _RoundTimer(keras.callbacks.Callback):
    """Inside one `fit`: after the warm-up steps, rounds of (matmul rate, `steps` timed steps). The matmul
    measurement runs between steps, outside the timed window."""

    def __init__(self, matmul_rate, steps):
        super().__init__()
        self.matmul_rate, self.steps = matmul_rate, steps
        self.rounds = []  # [(matmul FLOP/s, [step seconds])]

    def on_train_batch_begin(self, batch, logs=None):
        if batch >= WARMUP_STEPS and (batch - WARMUP_STEPS) % self.steps == 0:
            self.rounds.append((self.matmul_rate(), []))
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if batch >= WARMUP_STEPS:
            self.rounds[-1][1].append(time.perf_counter() - self._start)


def training_rate(
    config_name,
    variant,
    batch,
    rounds,
    steps,
    mixed,
    jit,
    output_upsampling=None,
    stage_upsampling=None,
    overrides=None,
):
    keras.mixed_precision.set_dtype_policy("mixed_bfloat16" if mixed else "float32")
    try:
        config = get_config(config_name, variant)
        config["jit_compile"] = jit
        if output_upsampling:
            config["model_config"]["volume_output_upsampling"] = output_upsampling
        if stage_upsampling:
            config["model_config"]["volume_stage_upsampling"] = stage_upsampling
        config["model_config"].update(overrides or {})
        model = volume_task.build_model(config)
        record_shapes(model)
        data = one_batch_repeated(model, batch)
        forward = layer_flops(model.encoder) + layer_flops(model.volume_decoder)
        if model.uses_image_decoder:  # alternating: half the steps use each decoder
            forward = layer_flops(model.encoder) + 0.5 * (
                layer_flops(model.volume_decoder) + layer_flops(model.image_decoder)
            )
        flop_per_step = 3 * forward * batch
        timer = _RoundTimer(MatmulRate("bfloat16" if mixed else "float32"), steps)
        model.fit(data, steps_per_epoch=WARMUP_STEPS + rounds * steps, epochs=1, verbose=0, callbacks=[timer])
        step_s = float(np.median([t for _, times in timer.rounds for t in times]))
        utilisation = [flop_per_step / float(np.median(times)) / rate for rate, times in timer.rounds]
        model_rate = flop_per_step / step_s
        return {
            "samples_per_s": batch / step_s,
            "step_s": step_s,
            "train_gflop_per_sample": flop_per_step / batch / 1e9,
            "model_gflop_per_s": model_rate / 1e9,
            "matmul_gflop_per_s": float(np.median([rate for rate, _ in timer.rounds])) / 1e9,
            "utilisation": float(np.median(utilisation)),
            "utilisation_min": min(utilisation),
            "utilisation_max": max(utilisation),
            "rounds": [
                {"matmul_gflop_per_s": round(rate / 1e9, 1), "step_s": round(float(np.median(times)), 4)}
                for rate, times in timer.rounds
            ],
        }
    finally:
        keras.mixed_precision.set_dtype_policy("float32")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="faces_volume")
    parser.add_argument(
        "--variant", default="full", help="config variant (full = paper scale; smoke to try the script)"
    )
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of (matmul reference, timed steps)")
    parser.add_argument("--steps", type=int, default=8, help="timed steps per round")
    parser.add_argument("--jit", action="store_true", help="compile the train step with XLA")
    parser.add_argument(
        "--output-upsampling",
        choices=("depth_to_space", "repeat"),
        default=None,
        help="the volume decoder's last up-sampling (default: the config's)",
    )
    parser.add_argument(
        "--stage-upsampling",
        choices=("depth_to_space", "repeat"),
        default=None,
        help="the volume decoder's hidden-stage up-sampling (default: the config's)",
    )
    parser.add_argument(
        "--fast",
        default=None,
        metavar="SPEC",
        help="CPU fast paths (TF_IVG_FAST syntax: 0, 1 or a comma list of tf_ivg.fast.PATHS)",
    )
    parser.add_argument("--only", choices=("fp32", "mixed_bf16"), default=None, help="run one precision only")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="override a model_config entry, e.g. --set 'volume_filters=[64,32,16,8]' (repeatable)",
    )
    args = parser.parse_args()
    overrides = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--set expects KEY=JSON; got {item!r}")
        try:
            overrides[key] = json.loads(value)
        except json.JSONDecodeError:
            parser.error(f"--set {key}: {value!r} is not JSON")
    if args.fast is not None:
        fast.configure(args.fast)
    gpus = tf.config.list_physical_devices("GPU")
    result = {
        "benchmark": "train_volume_ign",
        "config": args.config,
        "variant": args.variant,
        "batch": args.batch,
        "rounds": args.rounds,
        "steps": args.steps,
        "jit_compile": args.jit,
        "output_upsampling": args.output_upsampling or "config default",
        "stage_upsampling": args.stage_upsampling or "config default",
        "fast_paths": sorted(fast.enabled_paths()),
        "model_overrides": overrides,
        "device": "GPU" if gpus else f"CPU ({os.cpu_count()} cores)",
        "machine": platform.machine(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }
    for name, mixed in (("fp32", False), ("mixed_bf16", True)):
        if args.only and name != args.only:
            continue
        rate = training_rate(
            args.config,
            args.variant,
            args.batch,
            args.rounds,
            args.steps,
            mixed,
            args.jit,
            args.output_upsampling,
            args.stage_upsampling,
            overrides,
        )
        result[name] = {k: round(v, 4) if isinstance(v, float) else v for k, v in rate.items()}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
