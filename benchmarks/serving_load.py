"""Serving under load with a version swap: N clients x M Predict requests against `tf-ivg serve`,
and a new version moved into the model folder mid-run.

Exports version 1 of a model (default: the VolumeIGN smoke config, 32x32 in, 32^3 out, untrained
weights; `--model tiny`: a 2-layer functional model) into the served folder and version 2 (other
weights) into a staging folder beside it, starts `tf-ivg serve` in a subprocess on 127.0.0.1,
runs `--clients` threads each sending `--requests` Predicts (one at a time, each thread its own
channel), and once `--swap-at` of all requests are done renames staging/NAME/2 into the served
folder, as a deployment would. Prints JSON: errors, p50/p99/max latency, how long until the first
answer from version 2, the slowest request overlapping the swap, and whether any answer came
from version 1 after version 2 had answered (it must not).

    nice -n 10 .venv/bin/python benchmarks/serving_load.py --clients 4 --requests 800 --swap-at 0.2
"""

import argparse
import json
import os
import platform
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

NAME = "model"


def _bounded(low, high, kind=int):
    def parse(text):
        value = kind(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be in {low}..{high}, got {text}")
        return value

    return parse


def _models(kind):
    """(v1, v2, input shape): two models of the same architecture with different weights."""
    import keras

    if kind == "tiny":

        def tiny(seed):
            keras.utils.set_random_seed(seed)
            image = keras.Input((8, 8, 3), name="image")
            x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(image)
            return keras.Model(image, keras.layers.Dense(5, name="logits")(keras.layers.GlobalAveragePooling2D()(x)))

        return tiny(1), tiny(2), (8, 8, 3)
    import tf_ivg

    config = tf_ivg.configs.get_config("faces_volume", "smoke")
    keras.utils.set_random_seed(1)
    first = tf_ivg.build(config)
    keras.utils.set_random_seed(2)
    second = tf_ivg.build(config)
    return first, second, tuple(first.image_shape)


def _start_server(base_dir, poll_seconds):
    command = [sys.executable, "-m", "tf_ivg.cli", "serve", "--model-base-path", base_dir, "--port", "0"]
    command += ["--host", "127.0.0.1", "--poll-seconds", str(poll_seconds)]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=dict(os.environ, CUDA_VISIBLE_DEVICES=""),
    )
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    return process, json.loads(lines.get(timeout=300))["port"]


def _ms(seconds):
    return round(float(seconds) * 1e3, 3)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=_bounded(1, 64), default=4, help="concurrent clients (1..64, default 4)")
    parser.add_argument("--requests", type=_bounded(1, 10_000), default=200, help="requests per client (default 200)")
    parser.add_argument("--batch", type=_bounded(1, 64), default=1, help="images per request (default 1)")
    parser.add_argument(
        "--swap-at", type=_bounded(0.0, 1.0, float), default=0.25, help="fraction done when v2 lands (default 0.25)"
    )
    parser.add_argument("--model", choices=["volume_ign", "tiny"], default="volume_ign")
    parser.add_argument("--poll-seconds", type=_bounded(0.05, 10.0, float), default=0.5)
    args = parser.parse_args(argv)

    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

    from tf_ivg.serving.client import ServingClient
    from tf_ivg.serving.export import export_model
    from tf_ivg.serving.tensors import to_tensor_proto

    tf.config.set_visible_devices([], "GPU")
    first, second, image_shape = _models(args.model)
    total = args.clients * args.requests
    with tempfile.TemporaryDirectory() as root:
        served, staging = os.path.join(root, "served"), os.path.join(root, "staging")
        export_model(first, served, NAME, version=1)
        export_model(second, staging, NAME, version=2)
        process, port = _start_server(served, args.poll_seconds)
        target = f"127.0.0.1:{port}"
        done, lock, records = [0], threading.Lock(), []  # (start, end, version or None, error)
        x = np.random.default_rng(0).random((args.batch, *image_shape)).astype(np.float32)
        request = predict_pb2.PredictRequest()
        request.model_spec.name = NAME
        request.inputs["image"].CopyFrom(to_tensor_proto(x))

        def client(_):
            own = []
            with ServingClient(target, timeout=60) as connection:
                stub = prediction_service_pb2_grpc.PredictionServiceStub(connection._channel)
                stub.Predict(request, timeout=60)  # connect and warm this channel
                for _ in range(args.requests):
                    start = time.perf_counter()
                    try:
                        version, error = stub.Predict(request, timeout=60).model_spec.version.value, None
                    except Exception as failure:  # grpc.RpcError: counted, the run goes on
                        version, error = None, f"{getattr(failure, 'code', lambda: '?')()}: {failure}"[:300]
                    own.append((start, time.perf_counter(), version, error))
                    with lock:
                        done[0] += 1
            with lock:
                records.extend(own)

        try:
            with ServingClient(target, timeout=60) as probe:
                probe.wait_until_available(NAME, version=1, timeout=300)
            threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
            run_start = time.perf_counter()
            for thread in threads:
                thread.start()
            swap = None
            while any(t.is_alive() for t in threads):
                if swap is None and done[0] >= args.swap_at * total:
                    os.rename(os.path.join(staging, NAME, "2"), os.path.join(served, NAME, "2"))
                    swap = time.perf_counter()
                time.sleep(0.002)
            for thread in threads:
                thread.join()
            run_seconds = time.perf_counter() - run_start
            if swap is None:  # --swap-at 1.0
                os.rename(os.path.join(staging, NAME, "2"), os.path.join(served, NAME, "2"))
                swap = time.perf_counter()
            with ServingClient(target, timeout=60) as probe:  # when v2 went live, if not during the run
                try:
                    probe.wait_until_available(NAME, version=2, timeout=180)
                    live_after = round(time.perf_counter() - swap, 3)
                except Exception as failure:
                    live_after = f"not live: {failure}"[:300]
                status = probe.status(NAME)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)

    records.sort()
    latency = np.array([end - start for start, end, _, _ in records])
    errors = [r for r in records if r[3] is not None]
    v2_ends = [end for _, end, version, _ in records if version == 2]
    first_v2 = min(v2_ends) if v2_ends else None
    window_end = (first_v2 if first_v2 is not None else swap) + 1.0
    around = [r for r in records if r[1] >= swap and r[0] <= window_end]
    slowest = max(around, key=lambda r: r[1] - r[0]) if around else None
    stale = sum(1 for start, _, version, _ in records if first_v2 is not None and start > first_v2 and version == 1)
    before = latency[[r[1] < swap for r in records]]
    report = {
        "benchmark": "serving_load",
        "model": args.model + (" (faces_volume smoke, untrained)" if args.model == "volume_ign" else ""),
        "clients": args.clients,
        "requests_per_client": args.requests,
        "batch": args.batch,
        "requests": len(records),
        "errors": len(errors),
        "error_samples": sorted({e[3] for e in errors})[:3],
        "seconds": round(run_seconds, 2),
        "requests_per_s": round(len(records) / run_seconds, 1),
        "latency": {
            "p50_ms": _ms(np.percentile(latency, 50)),
            "p99_ms": _ms(np.percentile(latency, 99)),
            "max_ms": _ms(latency.max()),
            "p99_before_swap_ms": _ms(np.percentile(before, 99)) if before.size else None,
        },
        "swap": {
            "v2_moved_in_after_requests": sum(1 for r in records if r[1] < swap),
            "v2_available_by_s": live_after,  # checked after the run
            "first_v2_answer_after_s": round(first_v2 - swap, 3) if first_v2 is not None else None,
            "answers_v1": sum(1 for r in records if r[2] == 1),
            "answers_v2": len(v2_ends),
            "v1_answers_after_first_v2": stale,
            "requests_in_window": len(around),
            "slowest_in_window_ms": _ms(slowest[1] - slowest[0]) if slowest else None,
            "slowest_started_s_after_swap": round(slowest[0] - swap, 3) if slowest else None,
            "slowest_version": slowest[2] if slowest else None,
            "final_status": status,
        },
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "tensorflow": tf.__version__},
    }
    print(json.dumps(report, indent=2))
    return 1 if errors or stale or first_v2 is None else 0


if __name__ == "__main__":
    sys.exit(main())
