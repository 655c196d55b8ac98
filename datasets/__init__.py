"""tfds builders for tf_ivg's procedural data; `import tf_ivg_datasets` registers them."""
