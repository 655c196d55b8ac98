"""Grant et al. 2016, 4.4 (Fig 4) and 4.5 (Fig 5a): per-layer sensitivity to shape, pose and lighting.

For each condition, `num_batches` batches in which only that condition changes are passed through
the network; each layer's relative mean SD of activations is plotted (Fig 4a / 5a). The paper
re-trained without batch normalisation for 4.4; our BN layers run in inference mode (fixed
statistics), which makes them per-unit affine maps that scale but do not mix the SDs.

Layers, volume-only model (4.4): Image, encoder stages E1.., code Z, volume decoder stages D1..,
Volume. Disentangled model (4.5): Image, E1.., shape code Z1, transformation code Z2, image decoder
stages D1.., output Image.
"""

import weakref

import numpy as np

from tf_ivg.evaluation import figures
from tf_ivg.evaluation.experiments import common
from tf_ivg.evaluation.invariance import invariance_profile
from tf_ivg.evaluation.probes import layer_names, make_probe
from tf_ivg.evaluation.report import Report

CONDITIONS = ("shape", "pose", "lighting")


def _stage_names(model, prefix="rrelu"):
    return [n for n in layer_names(model, prefix) if n[len(prefix) :].isdigit()]


_PROBES = weakref.WeakKeyDictionary()


def _probes(model, decoder):
    """Probe functions for (encoder, decoder), built once per model."""
    cache = _PROBES.setdefault(model, {})
    if decoder not in cache:
        encoder_layers = _stage_names(model.encoder) + (["rrelu_fc"] if model.fc_units else [])
        encoder_probe = make_probe(model.encoder, encoder_layers + ["shape_code", "transformation_code"])
        network = model.volume_decoder if decoder == "volume" else model.image_decoder
        stages = _stage_names(network)
        decoder_probe = make_probe(network, stages + ["volume" if decoder == "volume" else "image"])
        cache[decoder] = (encoder_layers, encoder_probe, stages, decoder_probe)
    return cache[decoder]


def network_activations(model, images, decoder="volume"):
    """All probed layers for one batch -> `{label: [B, ...]}` in network order.

    Args:
        model: VolumeIGN. images: `[B, S, S, C]` (or clips).
        decoder: "volume" (4.4: code Z then the volume decoder) or "image" (4.5: Z1, Z2 then the image decoder).
    """
    if decoder not in ("volume", "image"):
        raise ValueError(f"decoder must be 'volume' or 'image', got {decoder!r}")
    encoder_layers, encoder_probe, stages, decoder_probe = _probes(model, decoder)
    acts = encoder_probe(np.asarray(images, np.float32))
    out = {"Image": np.asarray(images)}
    for i, layer in enumerate(encoder_layers, start=1):
        out[f"E{i}" if layer != "rrelu_fc" else "FC"] = acts[layer]
    shape, transformation = acts["shape_code"], acts["transformation_code"]
    if decoder == "volume":
        out["Z"] = shape  # the volume decoder sees the shape code only
        dec = decoder_probe(shape)
        for i, layer in enumerate(stages, start=1):
            out[f"D{i}"] = dec[layer]
        out["Volume"] = dec["volume"]
    else:
        out["Z1 shape"] = shape
        out["Z2 transformation"] = transformation
        dec = decoder_probe([shape, transformation])
        for i, layer in enumerate(stages, start=1):
            out[f"D{i}"] = dec[layer]
        out["Output"] = dec["image"]
    return out


def _profile(model, scenes, num_batches, batch_size, decoder, seed):
    from tqdm import tqdm

    batches = {}
    for k, condition in enumerate(CONDITIONS):
        batches[condition] = [
            network_activations(model, scenes.vary(condition, batch_size, seed=seed + 10000 * k + b)[0], decoder)
            for b in tqdm(range(num_batches), desc=f"{condition} batches", disable=None, leave=False)
        ]
    return invariance_profile(batches)


def _code_metrics(profile):
    metrics = {}
    for layer in profile.layers:
        if layer.startswith("Z"):
            key = layer.split()[0]
            for k, condition in enumerate(profile.conditions):
                metrics[f"{key}_{condition}"] = float(profile.relative[k, profile.layers.index(layer)])
    return metrics


def run(model, workdir, family="faces", num_batches=100, batch_size=10, seed=0, disentangled=None, config=None):
    """Writes `workdir/invariance/` (4.4) or `workdir/disentanglement/` (4.5) figures and report.

    Args:
        model: a single-image VolumeIGN with `config`, or a `tf-ivg train` workdir / pretrained name.
        disentangled: probe the image decoder with split codes (4.5); None: True when the model
            was trained with the image decoder (`schedule="alternate"`).
        config: the model's training config: the batches follow its training data (`common.training_conditions`).
    Returns:
        ExperimentResult with the relative mean SD per condition at the code layer(s), `conditions`, and
        `generalisation` (the same on the full factor ranges) for a grid-trained model.
    """
    model, config = common.as_model_and_config(model, config)
    common.require_kind(model, "volume_ign", "invariance")
    if model.frames != 1:
        raise ValueError("the invariance analysis needs a single-image model (frames == 1)")
    disentangled = model.uses_image_decoder if disentangled is None else bool(disentangled)
    name = "disentanglement_profile" if disentangled else "invariance"
    out = common.start(workdir, name)
    scenes, description, wider = common.training_conditions(model, config, family)
    decoder = "image" if disentangled else "volume"
    profile = _profile(model, scenes, num_batches, batch_size, decoder, seed)
    wider_profile = None if wider is None else _profile(model, wider, num_batches, batch_size, decoder, seed)
    fig = figures.layer_profile_plot(
        out / "relative_sd.png",
        profile.layers,
        profile.conditions,
        profile.relative,
        profile.relative_error,
        title="Fig 5a" if disentangled else "Fig 4a",
    )
    figs = [fig]
    if not disentangled:
        batch, factors = scenes.vary("pose", 5, seed=seed + 999)
        batch = batch[np.argsort(factors["azimuth"])]
        acts = network_activations(model, batch, "volume")
        stage_labels = [k for k in acts if k.startswith("E")][:3]
        rows = [list(batch)] + [[figures.activation_maps(a, max_maps=2) for a in acts[label]] for label in stage_labels]
        rows.append([figures.activation_maps(z) for z in acts["Z"]])
        figs.append(
            figures.image_grid(
                out / "activations.png", rows, row_labels=["input"] + stage_labels + ["Z"], cell_inches=1.4
            )
        )

    report = Report(
        "Disentangled representations (Grant et al. 2016, 4.5, Fig 5a)"
        if disentangled
        else "Invariance to pose and lighting (Grant et al. 2016, 4.4, Fig 4)"
    )
    report.paragraph(
        f"{num_batches} batches of {batch_size} per condition; in each, only shape, only pose (azimuth and elevation) "
        "or only lighting (light direction and ambient level) changes. Values: the set-wise mean over batches of "
        "the mean SD of each layer's units across the batch, divided by the layer's sum over the three conditions "
        "(so each column sums to 1); error: SD over batches, scaled alike."
    )
    report.paragraph(f"Viewing conditions: {description}.")
    report.table(["layer"] + list(profile.conditions), profile.table_rows())
    if wider_profile is not None:
        report.paragraph(
            "Generalisation (not the paper's conditions): the same batches with pose and lighting drawn from "
            "the full factor ranges, most of which this model never saw in training."
        )
        report.table(["layer"] + list(wider_profile.conditions), wider_profile.table_rows())
    report.image(fig, "relative mean SD of activations per layer", relative_to=out)
    if len(figs) > 1:
        report.image(
            figs[1],
            "Fig 4b: the same face in five poses; encoder activations (2 maps per layer) and the code",
            relative_to=out,
        )
    report.paragraph(
        "Paper (qualitative): the code is much more sensitive to shape than to pose or lighting, from the second "
        "convolutional layer on; in 4.5 the shape code follows shape and the transformation code follows pose and lighting."
    )
    path = report.write(out / "report.md")
    metrics = _code_metrics(profile)
    metrics["layers"] = list(profile.layers)
    metrics["conditions"] = description
    if wider_profile is not None:
        metrics["generalisation"] = _code_metrics(wider_profile)
    return common.ExperimentResult(name, path, metrics, figs)
