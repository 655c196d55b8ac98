"""Intermediate activations of functional Keras models (for the invariance analyses, Figs 4 and 5).

Shape key: B batch; each probed layer gives its own output shape `[B, ...]`.
"""

import keras
import numpy as np


def layer_names(model, prefix):
    """Names of `model`'s layers starting with `prefix`, in graph order (e.g. "rrelu" -> rrelu1, rrelu2, ...)."""
    return [layer.name for layer in model.layers if layer.name.startswith(prefix)]


def make_probe(model, names):
    """A function `inputs -> {name: np.ndarray [B, ...]}` returning the outputs of the named layers.

    Args:
        model: a functional `keras.Model` (e.g. `VolumeIGN.encoder` or one of its decoders).
        names: layer names inside `model`.
    """
    missing = [n for n in names if n not in {layer.name for layer in model.layers}]
    if missing:
        raise ValueError(
            f"model {model.name!r} has no layers {missing}; it has {[layer.name for layer in model.layers]}"
        )
    inputs = model.inputs if len(model.inputs) > 1 else model.inputs[0]
    probe = keras.Model(inputs, [model.get_layer(n).output for n in names])

    def run(inputs):
        outputs = probe(inputs, training=False)
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        return {n: np.asarray(o) for n, o in zip(names, outputs)}

    return run


def batched(fn, inputs, batch_size=32):
    """Applies `fn` to `inputs [N, ...]` in batches and concatenates the numpy results along axis 0.

    `fn` may return an array or a tuple of arrays (then a tuple is returned).
    """
    inputs = np.asarray(inputs)
    outputs = None
    for start in range(0, len(inputs), batch_size):
        result = fn(inputs[start : start + batch_size])
        parts = result if isinstance(result, (list, tuple)) else (result,)
        parts = [np.asarray(p) for p in parts]
        if outputs is None:
            outputs = [[] for _ in parts]
        for bucket, part in zip(outputs, parts):
            bucket.append(part)
    if outputs is None:
        raise ValueError("batched() got no inputs")
    joined = [np.concatenate(b, axis=0) for b in outputs]
    return tuple(joined) if len(joined) > 1 else joined[0]
