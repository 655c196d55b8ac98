"""Small generic helpers shared by every part of tf_ivg (files.py: atomic writes)."""
