"""Training: `tf-ivg train` loop and per-model tasks."""
