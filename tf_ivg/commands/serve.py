"""`tf-ivg serve`: a local TF-Serving-compatible gRPC server over exported SavedModels."""


def register(subparsers):
    parser = subparsers.add_parser(
        "serve",
        help="serve exported SavedModels over TF Serving's gRPC API (no container needed)",
        description="Serves the highest version of each model under --model-base-path over "
        "tensorflow.serving.PredictionService (Predict, GetModelMetadata) and ModelService "
        "(GetModelStatus), picking up new versions while running. Stops cleanly on SIGTERM/SIGINT. "
        'Prints one JSON line {"port": P, "models": [...]} once it is listening.',
    )
    parser.add_argument(
        "--model-base-path", required=True, help="DIR/<model>/<version>/ (as `tf-ivg export` writes) or DIR/<version>/"
    )
    parser.add_argument(
        "--model-name", default=None, help="model name when DIR itself holds versions (default: DIR's folder name)"
    )
    parser.add_argument("--port", type=int, default=8500, help="gRPC port (default 8500, as TF Serving; 0 = any free)")
    parser.add_argument("--host", default="0.0.0.0", help="interface to bind (default 0.0.0.0)")
    parser.add_argument(
        "--poll-seconds", type=float, default=1.0, help="how often to look for new versions (default 1; 0 = never)"
    )
    parser.add_argument("--workers", type=int, default=8, help="gRPC handler threads (default 8)")
    parser.add_argument(
        "--max-message-mb", type=int, default=512, help="gRPC send/receive size limit in MiB (default 512)"
    )
    parser.set_defaults(func=run)


def run(args):
    import json
    import signal
    import threading

    from tf_ivg.serving.server import LocalServer

    if args.port < 0 or args.port > 65535:
        raise ValueError(f"--port must be in 0..65535, got {args.port}")
    server = LocalServer(
        args.model_base_path,
        port=args.port,
        host=args.host,
        model_name=args.model_name,
        poll_seconds=args.poll_seconds,
        max_workers=args.workers,
        max_message_bytes=args.max_message_mb * 1024 * 1024,
    ).start()
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(json.dumps({"port": server.port, "models": server.repository.model_names()}), flush=True)
    while not stop.wait(0.5):
        pass
    server.stop(grace=5.0)
    print(json.dumps({"stopped": True}), flush=True)
    return 0
