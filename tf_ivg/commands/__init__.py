"""One module per `tf-ivg` subcommand; each exposes `register(subparsers)`."""
