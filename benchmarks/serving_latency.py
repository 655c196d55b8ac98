"""gRPC serving latency vs the in-process SavedModel call, image -> volume (`serving_default`).

Exports a VolumeIGN (default: the smoke config, 32x32 in, 32^3 out, untrained weights; or
`--checkpoint`), starts `tf-ivg serve` in a subprocess on 127.0.0.1, and for each batch size times
alternately (so background load hits both alike) one in-process call of the reloaded SavedModel
signature (numpy in, numpy out) and one gRPC Predict through `ServingClient`. Prints JSON:
p50/p99 latency in ms, throughput in images/s (batch / mean latency, one request at a time), and
the gRPC overhead `p50_grpc / p50_in_process - 1` (target at batch 1: <= 0.20), and two floors,
each the same request against a stub PredictionService in a process of its own that returns a fixed
volume of the same size: one that answers at once, and one whose handler first sleeps as long as the
in-process call takes (`stub_overhead_p50`: what gRPC's Python transport alone adds to a request of
the model's duration, with none of our server code).

`--reference process` times the in-process call in a third process (same SavedModel, same inputs,
still alternating with the gRPC requests, one call per request over a pipe) instead of in the client:
TensorFlow's worker threads keep spinning for a moment after a call, and on a 2-core machine the
client's spinning threads slow the server's next call, which a real client (no TensorFlow running
beside it) does not do. Both are reported as measured.

    nice -n 10 .venv/bin/python benchmarks/serving_latency.py --requests 200
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


def _stats(seconds, batch):
    ms = np.asarray(seconds) * 1e3
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
        "mean_ms": round(float(ms.mean()), 3),
        "images_per_s": round(float(batch * 1e3 / ms.mean()), 1),
    }


def _python(args, **kwargs):
    """A CPU-only Python subprocess (`sys.executable` + `args`) whose stdout we read as text."""
    return subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=dict(os.environ, CUDA_VISIBLE_DEVICES=""),
        **kwargs,
    )


def _start_server(base_dir):
    process = _python(
        ["-m", "tf_ivg.cli", "serve", "--model-base-path", base_dir, "--port", "0", "--host", "127.0.0.1",
         "--poll-seconds", "0"]
    )  # fmt: skip
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    return process, json.loads(lines.get(timeout=300))["port"]


_REFERENCE = """
import sys, time
import numpy as np, tensorflow as tf
signature = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
shape = tuple(int(d) for d in sys.argv[2:])
for line in sys.stdin:
    batch = int(line)
    images = np.random.default_rng(batch).random((batch, *shape)).astype(np.float32)  # as the client's
    start = time.perf_counter()
    signature(image=tf.constant(images))["volume"].numpy()
    print(time.perf_counter() - start, flush=True)
"""


class _ReferenceProcess:
    """The in-process SavedModel call, timed in a process of its own (see the module docstring)."""

    def __init__(self, saved_model, image_shape):
        self.process = _python(["-c", _REFERENCE, saved_model, *map(str, image_shape)], stdin=subprocess.PIPE)

    def time(self, batch):
        self.process.stdin.write(f"{batch}\n")
        self.process.stdin.flush()
        return float(self.process.stdout.readline())

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=60)


_STUB = """
import sys, time
import grpc
import numpy as np
from concurrent import futures
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc
from tf_ivg.serving.tensors import to_tensor_proto
reply = predict_pb2.PredictResponse()
reply.outputs["volume"].CopyFrom(to_tensor_proto(np.zeros(tuple(int(d) for d in sys.argv[2:]), np.float32)))
seconds = float(sys.argv[1])
class Stub(prediction_service_pb2_grpc.PredictionServiceServicer):
    def Predict(self, request, context):
        if seconds:
            time.sleep(seconds)  # releases the GIL, as a TensorFlow call does
        return reply
server = grpc.server(futures.ThreadPoolExecutor(8))
prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(Stub(), server)
print(server.add_insecure_port("127.0.0.1:0"), flush=True)
server.start()
server.wait_for_termination()
"""


def _grpc_floor(images, volume_shape, requests, warmup, handler_seconds=0.0):
    """Round-trip latency of Predict against a stub server in its own process that sleeps `handler_seconds`
    (0: nothing) and returns a fixed volume: what gRPC's Python transport costs, with no model and none of our
    server code, for requests of that duration. Returns `(times, slept)`, slept = the sleep's own p50."""
    from tf_ivg.serving.client import ServingClient

    process = _python(["-c", _STUB, str(handler_seconds), *map(str, volume_shape)])
    times = []
    try:
        port = int(process.stdout.readline())
        with ServingClient(f"127.0.0.1:{port}") as client:
            for i in range(warmup + requests):
                start = time.perf_counter()
                client.predict("stub", image=images)
                if i >= warmup:
                    times.append(time.perf_counter() - start)
    finally:
        process.kill()
        process.wait(timeout=60)
    slept = []
    for _ in range(requests):
        start = time.perf_counter()
        time.sleep(handler_seconds)
        slept.append(time.perf_counter() - start)
    return times, float(np.median(slept)) if handler_seconds else 0.0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="a trained VolumeIGN .keras file or workdir (default: smoke config)")
    parser.add_argument("--config", default="faces_volume")
    parser.add_argument("--variant", default="smoke")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per batch size and path")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--reference",
        choices=["client", "process"],
        default="client",
        help="where the in-process call is timed: in the client process, or in a process of its own",
    )
    args = parser.parse_args(argv)

    import tensorflow as tf

    import tf_ivg
    from tf_ivg.serving.client import ServingClient
    from tf_ivg.serving.export import export_model

    tf.config.set_visible_devices([], "GPU")  # compare like with like: the server runs on CPU too
    if args.checkpoint:
        model = tf_ivg.load(args.checkpoint)
    else:
        model = tf_ivg.build(tf_ivg.configs.get_config(args.config, args.variant))
    with tempfile.TemporaryDirectory() as base_dir:
        export_model(model, base_dir, "volume_ign", version=1)
        saved_model = os.path.join(base_dir, "volume_ign", "1")
        signature = tf.saved_model.load(saved_model).signatures["serving_default"]
        process, port = _start_server(base_dir)
        reference = _ReferenceProcess(saved_model, model.image_shape) if args.reference == "process" else None
        results = {}
        try:
            with ServingClient(f"127.0.0.1:{port}", timeout=60) as client:
                client.wait_until_available("volume_ign", timeout=120)
                for batch in args.batches:
                    images = np.random.default_rng(batch).random((batch, *model.image_shape)).astype(np.float32)
                    local, remote = [], []
                    expected = signature(image=tf.constant(images))["volume"].numpy()
                    for i in range(args.warmup + args.requests):
                        if reference is None:
                            start = time.perf_counter()
                            signature(image=tf.constant(images))["volume"].numpy()
                            seconds = time.perf_counter() - start
                        else:
                            seconds = reference.time(batch)
                        start = time.perf_counter()
                        got = client.predict("volume_ign", "serving_default", image=images)["volume"]
                        end = time.perf_counter()
                        if i >= args.warmup:
                            local.append(seconds)
                            remote.append(end - start)
                    np.testing.assert_allclose(got, expected, atol=1e-5)
                    in_process, grpc_stats = _stats(local, batch), _stats(remote, batch)
                    floor = _stats(_grpc_floor(images, got.shape, args.requests, args.warmup)[0], batch)
                    stub_times, slept = _grpc_floor(
                        images, got.shape, args.requests, args.warmup, in_process["p50_ms"] / 1e3
                    )
                    stub = _stats(stub_times, batch)
                    results[f"batch_{batch}"] = {
                        "in_process": in_process,
                        "grpc": grpc_stats,
                        "grpc_floor_no_model": floor,
                        "grpc_stub_sleeping_like_the_model": dict(stub, handler_sleep_p50_ms=round(slept * 1e3, 3)),
                        "grpc_overhead_p50": round(grpc_stats["p50_ms"] / in_process["p50_ms"] - 1, 3),
                        "stub_overhead_p50": round(stub["p50_ms"] / (slept * 1e3) - 1, 3),
                        "response_bytes": int(got.nbytes),
                    }
        finally:
            if reference is not None:
                reference.close()
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
    report = {
        "benchmark": "serving_latency",
        "model": {
            "source": args.checkpoint or f"{args.config}/{args.variant} (untrained weights)",
            "image_shape": list(model.image_shape),
            "volume_side": model.volume_size,
            "params": int(model.count_params()),
        },
        "requests_per_point": args.requests,
        "reference": args.reference,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "tensorflow": tf.__version__},
        "results": results,
    }
    if "batch_1" in results:
        report["target_grpc_overhead_p50_batch_1"] = 0.2
        report["target_met"] = results["batch_1"]["grpc_overhead_p50"] <= 0.2
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
