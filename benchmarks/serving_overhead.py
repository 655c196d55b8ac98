"""Where a batch-1 gRPC Predict spends its time, stage by stage, against the bare model call.

Exports a VolumeIGN (default: the smoke config, 32x32 in, 32^3 out, untrained weights; or
`--checkpoint`), serves it with a `LocalServer` in this process, and times, interleaved
round by round so background load hits every stage alike:

- `model_call`: the signature alone (`servable.signatures[...].fn`, numpy in, numpy out): what
  `serving_latency.py` calls "in process";
- the server's work around it: parsing the request bytes, checking and decoding the inputs
  (`_validated_inputs`), building and serialising the response;
- the client's work: building and serialising the request, parsing the response, decoding the volume;
- `servicer_total`: `PredictionServicer._predict` on a parsed request (everything the server does
  but transport);
- `grpc_in_process_server`: a full Predict through `ServingClient` to a `LocalServer` started in
  this process, and `grpc_floor`: the same Predict against a servicer that returns a fixed response.

Prints JSON: p50 per stage in ms, and the overhead over the model call split into the
server's and the client's Python work and the rest (transport, thread hand-off).

    nice -n 10 .venv/bin/python benchmarks/serving_overhead.py --rounds 300
"""

import argparse
import json
import os
import platform
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402


class _Clock:
    """Records the seconds between consecutive `lap(name)` calls."""

    def __init__(self):
        self.times = {}
        self.last = time.perf_counter()

    def lap(self, name):
        now = time.perf_counter()
        self.times[name] = now - self.last
        self.last = now


def _round(args, images, servable, servicer, client, floor_client):
    """Every stage once; returns ({stage: seconds}, model outputs, servicer reply, gRPC outputs)."""
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2

    from tf_ivg.serving import server as server_module
    from tf_ivg.serving.tensors import decode_tensor, to_tensor_proto

    signature = servable.signatures[args.signature]
    clock = _Clock()
    outputs = {k: np.asarray(v) for k, v in signature.fn(image=tf.constant(images)).items()}
    clock.lap("model_call")
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "volume_ign"
    request.model_spec.signature_name = args.signature
    request.inputs["image"].CopyFrom(to_tensor_proto(images))
    raw = request.SerializeToString()
    clock.lap("client_build_and_serialise_request")
    request = predict_pb2.PredictRequest.FromString(raw)
    clock.lap("server_parse_request")
    server_module._validated_inputs(servable, args.signature, signature, request.inputs, servicer.limits)
    clock.lap("server_check_and_decode_inputs")
    response = predict_pb2.PredictResponse(model_spec=server_module._model_spec(servable, args.signature))
    for key, value in outputs.items():
        response.outputs[key].CopyFrom(to_tensor_proto(value))
    raw_response = response.SerializeToString()
    clock.lap("server_build_and_serialise_response")
    {k: decode_tensor(v) for k, v in predict_pb2.PredictResponse.FromString(raw_response).outputs.items()}
    clock.lap("client_parse_and_decode_response")
    reply = servicer._predict(request)
    clock.lap("servicer_total")
    got = client.predict("volume_ign", args.signature, image=images)
    clock.lap("grpc_in_process_server")
    floor_client.predict("fixed", args.signature, image=images)
    clock.lap("grpc_floor")
    return clock.times, outputs, reply, got


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="a trained VolumeIGN .keras file or workdir (default: smoke config)")
    parser.add_argument("--config", default="faces_volume")
    parser.add_argument("--variant", default="smoke")
    parser.add_argument("--signature", default="serving_default")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=300, help="timed rounds (every stage once per round)")
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args(argv)

    from concurrent import futures

    import grpc
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

    import tf_ivg
    from tf_ivg.serving import server as server_module
    from tf_ivg.serving.client import ServingClient
    from tf_ivg.serving.export import export_model
    from tf_ivg.serving.tensors import to_tensor_proto

    tf.config.set_visible_devices([], "GPU")
    model = (
        tf_ivg.load(args.checkpoint)
        if args.checkpoint
        else tf_ivg.build(tf_ivg.configs.get_config(args.config, args.variant))
    )
    images = np.random.default_rng(0).random((args.batch, *model.image_shape)).astype(np.float32)
    stages = {}

    with tempfile.TemporaryDirectory() as base_dir:
        export_model(model, base_dir, "volume_ign", version=1)
        local = server_module.LocalServer(base_dir, port=0, host="127.0.0.1", poll_seconds=0).start()
        servable = local.repository.get("volume_ign")  # the version the server itself answers from
        servicer = server_module.PredictionServicer(local.repository, local.limits)
        first = predict_pb2.PredictRequest()
        first.model_spec.name = "volume_ign"
        first.model_spec.signature_name = args.signature
        first.inputs["image"].CopyFrom(to_tensor_proto(images))
        fixed_reply = servicer._predict(first)

        class Fixed(prediction_service_pb2_grpc.PredictionServiceServicer):
            def Predict(self, request, context):
                return fixed_reply

        floor_server = grpc.server(futures.ThreadPoolExecutor(8))
        prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(Fixed(), floor_server)
        floor_port = floor_server.add_insecure_port("127.0.0.1:0")
        floor_server.start()
        try:
            with (
                ServingClient(f"127.0.0.1:{local.port}", timeout=60) as client,
                ServingClient(f"127.0.0.1:{floor_port}", timeout=60) as floor_client,
            ):
                client.wait_until_available("volume_ign", timeout=120)
                for i in range(args.warmup + args.rounds):
                    times, outputs, _, got = _round(args, images, servable, servicer, client, floor_client)
                    if i >= args.warmup:
                        for name, seconds in times.items():
                            stages.setdefault(name, []).append(seconds)
                for key, value in outputs.items():  # the server answers what the model computes
                    np.testing.assert_allclose(got[key], value, atol=1e-5)
        finally:
            local.stop(grace=1.0)
            floor_server.stop(0)

    p50 = {name: round(float(np.median(values)) * 1e3, 4) for name, values in stages.items()}
    server_python = (
        p50["server_parse_request"] + p50["server_check_and_decode_inputs"] + p50["server_build_and_serialise_response"]
    )
    client_python = p50["client_build_and_serialise_request"] + p50["client_parse_and_decode_response"]
    overhead = p50["grpc_in_process_server"] - p50["model_call"]
    report = {
        "benchmark": "serving_overhead",
        "model": {
            "source": args.checkpoint or f"{args.config}/{args.variant} (untrained weights)",
            "signature": args.signature,
            "batch": args.batch,
            "params": int(model.count_params()),
        },
        "rounds": args.rounds,
        "p50_ms": p50,
        "overhead_ms": round(overhead, 4),
        "overhead_fraction": round(overhead / p50["model_call"], 3),
        "overhead_split_ms": {
            "server_python_around_the_model": round(server_python, 4),
            "servicer_total_minus_model_call": round(p50["servicer_total"] - p50["model_call"], 4),
            "client_python": round(client_python, 4),
            "transport_and_threads (rest)": round(overhead - server_python - client_python, 4),
        },
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "tensorflow": tf.__version__},
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
