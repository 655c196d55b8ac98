"""Serving endpoints: named-input, named-output functions over a Keras model, and the
ExportArchive that holds them.

Shape key: B batch (always free, `None`), S image side, C channels.

An `Endpoint` is a function `fn(inputs: dict[str, Tensor]) -> dict[str, Tensor]` plus the
`tf.TensorSpec` of each input. Exported through `keras.export.ExportArchive`, each becomes one
SignatureDef whose input and output names are exactly the dict keys (never `output_0`).

Images: every input listed in `image_inputs` is declared float32 in [0, 1]; `with_uint8_twins`
adds a twin signature `<name>_uint8` taking the same image as uint8 in [0, 255]. The conversion
(`image_to_unit_float`) is part of the graph, so clients send either dtype as-is.
"""

import numpy as np
import tensorflow as tf

UINT8_SUFFIX = "_uint8"


def image_to_unit_float(image):
    """uint8 [0, 255] -> float32 [0, 1]; float inputs are taken to be in [0, 1] already.

    Args:
        image: `[B, S, S, C]` uint8 or float.
    Returns:
        `[B, S, S, C]` float32.
    """
    if image.dtype == tf.uint8:
        return tf.cast(image, tf.float32) * (1.0 / 255.0)
    return tf.cast(image, tf.float32)


class Endpoint:
    """One serving signature.

    Args:
        name: the signature name (`serving_default`, `encode`, ...).
        fn: `fn(inputs: dict[str, Tensor]) -> dict[str, Tensor]`, built from the model's
            inference API (no training-time randomness). Image inputs reach `fn` already
            converted to float32 [0, 1] (see `run`).
        inputs: dict input name -> `tf.TensorSpec` (batch dim `None`).
        image_inputs: names of inputs that are images (float32 [0, 1]; get a uint8 twin).
        samplers: optional dict input name -> `sample(batch, rng) -> np.ndarray` used to make
            valid test inputs (e.g. an in-range factor index); default: uniform [0, 1) for
            images, standard normal for other floats, zeros for integers.
        doc: one line for the README / metadata listing.
    """

    def __init__(self, name, fn, inputs, image_inputs=(), samplers=None, doc=""):
        for key, spec in inputs.items():
            if not isinstance(spec, tf.TensorSpec):
                raise ValueError(f"endpoint {name!r}: input {key!r} must be a tf.TensorSpec, got {spec!r}")
            if spec.shape.rank is None or spec.shape.rank == 0 or spec.shape[0] is not None:
                raise ValueError(f"endpoint {name!r}: input {key!r} must have a free batch dim, got {spec.shape}")
        unknown = set(image_inputs) - set(inputs)
        if unknown:
            raise ValueError(f"endpoint {name!r}: image_inputs {sorted(unknown)} are not inputs {sorted(inputs)}")
        self.name = name
        self.fn = fn
        self.inputs = {key: tf.TensorSpec(spec.shape, spec.dtype, name=key) for key, spec in inputs.items()}
        self.image_inputs = tuple(image_inputs)
        self.samplers = dict(samplers or {})
        self.doc = doc

    def run(self, inputs):
        """Graph-side entry: converts image inputs to float32 [0, 1], calls `fn`, checks the outputs.

        Raises:
            ValueError: `fn` did not return a non-empty dict of named tensors.
        """
        inputs = {
            key: image_to_unit_float(value) if key in self.image_inputs else value for key, value in inputs.items()
        }
        outputs = self.fn(inputs)
        if not isinstance(outputs, dict) or not outputs or not all(isinstance(k, str) and k for k in outputs):
            raise ValueError(
                f"endpoint {self.name!r} must return a non-empty dict of named tensors, got {type(outputs).__name__}"
            )
        return outputs

    def uint8_twin(self):
        """The same endpoint named `<name>_uint8`, its image inputs declared uint8."""
        inputs = {
            key: tf.TensorSpec(spec.shape, tf.uint8, name=key) if key in self.image_inputs else spec
            for key, spec in self.inputs.items()
        }
        samplers = dict(self.samplers)
        for key in self.image_inputs:
            samplers[key] = _uint8_image_sampler(inputs[key].shape)
        return Endpoint(
            self.name + UINT8_SUFFIX,
            self.fn,
            inputs,
            self.image_inputs,
            samplers,
            (self.doc + " (images as uint8 [0, 255])").strip(),
        )

    def sample_inputs(self, batch, seed=0):
        """Random valid inputs: dict name -> np.ndarray with batch size `batch`."""
        rng = np.random.default_rng(seed)
        out = {}
        for key, spec in self.inputs.items():
            if key in self.samplers:
                out[key] = np.asarray(self.samplers[key](batch, rng))
                continue
            shape = [batch] + [int(d) for d in spec.shape[1:]]
            if spec.dtype == tf.uint8:
                out[key] = rng.integers(0, 256, size=shape, dtype=np.uint8)
            elif spec.dtype.is_floating:
                values = rng.random(shape) if key in self.image_inputs else rng.standard_normal(shape)
                out[key] = values.astype(spec.dtype.as_numpy_dtype)
            else:
                out[key] = np.zeros(shape, spec.dtype.as_numpy_dtype)
        return out

    def __call__(self, **inputs):
        """Runs the endpoint eagerly (the in-process reference for export checks)."""
        tensors = {key: tf.convert_to_tensor(inputs[key], spec.dtype) for key, spec in self.inputs.items()}
        return {key: np.asarray(value) for key, value in self.run(tensors).items()}


def _uint8_image_sampler(shape):
    def sample(batch, rng):
        return rng.integers(0, 256, size=[batch] + [int(d) for d in shape[1:]], dtype=np.uint8)

    return sample


def with_uint8_twins(endpoints):
    """`endpoints` followed by a `_uint8` twin of each one that takes images."""
    return list(endpoints) + [e.uint8_twin() for e in endpoints if e.image_inputs]


def build_archive(model, endpoints):
    """A `keras.export.ExportArchive` tracking `model` with one signature per endpoint.

    Raises:
        ValueError: duplicate names, no `serving_default`, or an endpoint whose outputs are
            not a non-empty dict of named tensors.
    """
    import keras

    names = [e.name for e in endpoints]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate endpoint names in {names}")
    if "serving_default" not in names:
        raise ValueError(f"endpoints {names} need one named 'serving_default' (TF Serving's default)")
    archive = keras.export.ExportArchive()
    archive.track(model)
    for endpoint in endpoints:
        traced = archive.add_endpoint(endpoint.name, endpoint.run, input_signature=[dict(endpoint.inputs)])
        traced.get_concrete_function()  # trace now, so a broken endpoint fails here, not at write-out
    return archive


def functional_endpoints(model):
    """Endpoints for a plain functional Keras model: `serving_default` maps its named inputs to
    its named outputs (input names from `model.inputs`, output names from `model.output_names`).
    Inputs of rank 4 are treated as images."""
    specs = {}
    for tensor in model.inputs:
        name = tensor.name.split(":")[0]
        specs[name] = tf.TensorSpec([None] + list(tensor.shape[1:]), tensor.dtype, name=name)
    output_names = list(model.output_names)

    def serve(inputs):
        args = [inputs[name] for name in specs]
        outputs = model(args[0] if len(args) == 1 else args, training=False)
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        return dict(zip(output_names, outputs))

    image_inputs = [n for n, s in specs.items() if s.shape.rank == 4]
    return [Endpoint("serving_default", serve, specs, image_inputs, doc="the model's forward pass")]
