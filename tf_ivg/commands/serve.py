"""`tf-ivg serve`: a local TF-Serving-compatible gRPC server over exported SavedModels."""


def register(subparsers):
    parser = subparsers.add_parser(
        "serve",
        help="serve exported SavedModels over TF Serving's gRPC API (no container needed)",
        description="Serves the highest version of each model under --model-base-path over "
        "tensorflow.serving.PredictionService (Predict, GetModelMetadata) and ModelService "
        "(GetModelStatus), picking up new versions while running; a version that fails to load is reported "
        "END with the reason and tried again once its files change. Export staging folders (NAME/.tmp-N-*) "
        "left by an export that died are removed at start. Stops cleanly on SIGTERM/SIGINT. "
        'Prints one JSON line {"port": P, "host": H, "tls": bool, "models": [...]} once it is listening. '
        "Binds 127.0.0.1 unless --host says otherwise (--host 0.0.0.0 inside a container).",
    )
    parser.add_argument(
        "--model-base-path", required=True, help="DIR/<model>/<version>/ (as `tf-ivg export` writes) or DIR/<version>/"
    )
    parser.add_argument(
        "--model-name", default=None, help="model name when DIR itself holds versions (default: DIR's folder name)"
    )
    parser.add_argument("--port", type=int, default=8500, help="gRPC port (default 8500, as TF Serving; 0 = any free)")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to bind (default 127.0.0.1: this machine only; 0.0.0.0: every interface, e.g. in a container)",
    )
    parser.add_argument(
        "--poll-seconds", type=float, default=1.0, help="how often to look for new versions (default 1; 0 = never)"
    )
    parser.add_argument("--workers", type=int, default=8, help="gRPC handler threads (default 8)")
    parser.add_argument(
        "--max-message-mb", type=int, default=512, help="gRPC send/receive size limit in MiB (default 512, max 2047)"
    )
    parser.add_argument(
        "--max-batch",
        type=int,
        default=64,
        help="largest batch one Predict may send (default 64); more: INVALID_ARGUMENT",
    )
    parser.add_argument(
        "--allow-non-finite",
        action="store_true",
        help="pass NaN/Inf float inputs to the model (default: INVALID_ARGUMENT)",
    )
    parser.add_argument("--tls-cert", default=None, help="PEM certificate chain: serve TLS (needs --tls-key)")
    parser.add_argument("--tls-key", default=None, help="PEM private key of --tls-cert")
    parser.add_argument(
        "--tls-client-ca", default=None, help="PEM CA: require client certificates signed by it (mutual TLS)"
    )
    parser.set_defaults(func=run)


def check_args(args):
    """One-line ValueError (exit 2) for a flag out of range, before anything is loaded."""
    import math

    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be in 0..65535, got {args.port}")
    if not (math.isfinite(args.poll_seconds) and 0 <= args.poll_seconds <= 86400):
        raise ValueError(f"--poll-seconds must be in 0..86400 (0 = never), got {args.poll_seconds}")
    if not 1 <= args.workers <= 1024:
        raise ValueError(f"--workers must be in 1..1024, got {args.workers}")
    if not 1 <= args.max_message_mb <= 2047:
        raise ValueError(f"--max-message-mb must be in 1..2047 (gRPC's limit is 2 GiB), got {args.max_message_mb}")
    if not 1 <= args.max_batch <= 1 << 20:
        raise ValueError(f"--max-batch must be in 1..{1 << 20}, got {args.max_batch}")
    if not args.host:
        raise ValueError("--host is empty: pass e.g. 127.0.0.1 or 0.0.0.0")
    if (args.tls_cert is None) != (args.tls_key is None):
        raise ValueError("--tls-cert and --tls-key go together")
    if args.tls_client_ca is not None and args.tls_cert is None:
        raise ValueError("--tls-client-ca (mutual TLS) needs --tls-cert and --tls-key")


def run(args):
    import json
    import signal
    import threading

    check_args(args)
    from tf_ivg.serving.server import LocalServer

    try:
        server = LocalServer(
            args.model_base_path,
            port=args.port,
            host=args.host,
            model_name=args.model_name,
            poll_seconds=args.poll_seconds,
            max_workers=args.workers,
            max_message_bytes=min(args.max_message_mb * 1024 * 1024, 2**31 - 1),
            max_batch=args.max_batch,
            allow_non_finite=args.allow_non_finite,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            tls_client_ca=args.tls_client_ca,
        )
    except ValueError as error:
        message = str(error)
        if message.startswith("host "):
            message = "--" + message
        raise ValueError(message) from None
    server.start()
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    ready = {"port": server.port, "host": server.host, "tls": server.tls, "models": server.repository.model_names()}
    print(json.dumps(ready), flush=True)
    while not stop.wait(0.5):
        pass
    server.stop(grace=5.0)
    print(json.dumps({"stopped": True}), flush=True)
    return 0
