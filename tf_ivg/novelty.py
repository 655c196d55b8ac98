"""In-distribution checks: fitting a VolumeIGN's `InputNovelty` statistics and measuring how well they work.

Shape key: N images, S image side, C channels, K shape-code units.

A VolumeIGN trained on procedural faces returns a head for any input: a photograph, a cat or noise. The
novelty score (`tf_ivg.layers.input_novelty`: the Mahalanobis distance of the input's shape code from
the training images' codes) says how unlike the training images an input is, so `tf-ivg reconstruct`,
the Python API and the serving signature can warn.

- `fit_statistics(training_codes, held_out_codes, quantile)` -> a Gaussian of the training codes
  (scikit-learn's Ledoit-Wolf shrunk covariance) and the threshold: the `quantile` of the held-out
  codes' novelty, so about `1 - quantile` of training-distribution inputs are flagged.
- `with_novelty(model, training_images, held_out_images, quantile)` -> a copy of a VolumeIGN carrying them.
- `reference_outliers(image_size, channels)` -> named images that are not procedural faces (scikit-image's
  sample photographs, uniform noise, constant images) for measuring the detection rate.
- `evaluate(model, in_distribution_images, outliers)` -> false-alarm and detection rates.
"""

import numpy as np

DEFAULT_QUANTILE = 0.99
# scikit-image's bundled sample images (no download): people, animals, objects, scenes, textures, text.
PHOTOGRAPHS = (
    "astronaut",
    "camera",
    "chelsea",
    "coffee",
    "rocket",
    "immunohistochemistry",
    "hubble_deep_field",
    "retina",
    "moon",
    "page",
    "brick",
    "grass",
)


def _codes(codes, name):
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2 or len(codes) < 2:
        raise ValueError(f"{name} must be [N >= 2, K] codes, got shape {codes.shape}")
    return codes


def fit_statistics(training_codes, held_out_codes, quantile=DEFAULT_QUANTILE):
    """A Gaussian of `training_codes [N, K]` and a novelty threshold from `held_out_codes [M, K]`.

    Args:
      training_codes: shape codes of the images the model trained on (or a large sample of them).
      held_out_codes: codes of other images of the same distribution, not used for the Gaussian.
      quantile: in (0, 1); the expected false-alarm rate on the training distribution is `1 - quantile`.
    Returns:
      dict of `mean [K]`, `precision [K, K]`, `threshold` (the arguments of
      `InputNovelty.set_statistics`) and `held_out_novelty [M]`.
    """
    from sklearn.covariance import LedoitWolf

    train = _codes(training_codes, "training_codes")
    held_out = _codes(held_out_codes, "held_out_codes")
    if held_out.shape[1] != train.shape[1]:
        raise ValueError(f"held_out_codes have {held_out.shape[1]} units, training_codes {train.shape[1]}")
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile must be in (0, 1); got {quantile!r}")
    gaussian = LedoitWolf().fit(train)
    scores = gaussian.mahalanobis(held_out) / train.shape[1]
    return {
        "mean": gaussian.location_,
        "precision": gaussian.precision_,
        "threshold": float(np.quantile(scores, quantile)),
        "held_out_novelty": scores,
    }


def score_images(model, images, batch_size=256):
    """`model.novelty` of `images [N, ...]`, in batches -> `[N]` numpy."""
    images = np.asarray(images, dtype=np.float32)
    return np.concatenate(
        [np.asarray(model.novelty(images[i : i + batch_size])) for i in range(0, len(images), batch_size)]
    )


def _shape_codes(model, images, batch_size=256):
    images = np.asarray(images, dtype=np.float32)
    return np.concatenate(
        [np.asarray(model.encode(images[i : i + batch_size])[0], np.float64) for i in range(0, len(images), batch_size)]
    )


def with_novelty(model, training_images, held_out_images, quantile=DEFAULT_QUANTILE):
    """A copy of VolumeIGN `model` (same weights) whose `novelty` is fitted on its training images.

    Args:
      training_images: `[N, S, S, C]` (`[N, T, S, S, C]`), the images it trained on (N well above K).
      held_out_images: `[M, ...]` other images of the training distribution; they set the threshold.
    Returns:
      `(model, fit)`: the new model (config `novelty=True`) and `fit_statistics`' dict.
    """
    if not hasattr(model, "volume_decoder"):
        raise ValueError(f"with_novelty takes a VolumeIGN, got {type(model).__name__}")
    expected = tuple(model.image_shape)
    for name, images in (("training_images", training_images), ("held_out_images", held_out_images)):
        if tuple(np.shape(images)[1:]) != expected:
            raise ValueError(f"{name} must be [N, {', '.join(map(str, expected))}]; got {np.shape(images)}")
    fit = fit_statistics(_shape_codes(model, training_images), _shape_codes(model, held_out_images), quantile)
    new = type(model).from_config({**model.get_config(), "novelty": True})
    for name in ("encoder", "volume_decoder", "image_decoder"):
        getattr(new, name).set_weights(getattr(model, name).get_weights())
    new.input_novelty.set_statistics(fit["mean"], fit["precision"], fit["threshold"])
    return new, fit


def reference_outliers(image_size, channels=3, noise_images=8, seed=0):
    """Images that are not procedural faces -> `{name: [S, S, C] float32 in [0, 1]}`.

    scikit-image's sample photographs (centre-cropped and resized as `tf-ivg reconstruct` does), uniform
    noise images and constant images (black, mid-grey, white).
    """
    import skimage.data
    from PIL import Image

    from tf_ivg.utils.images import to_model_input

    images = {}
    for name in PHOTOGRAPHS:
        array = np.asarray(getattr(skimage.data, name)())
        array = (array * 255).astype(np.uint8) if array.dtype == bool else array
        images[f"photo_{name}"] = to_model_input(Image.fromarray(array), image_size, channels)
    rng = np.random.default_rng(seed)
    for i in range(noise_images):
        images[f"noise_{i}"] = rng.uniform(0.0, 1.0, (image_size, image_size, channels)).astype(np.float32)
    for name, value in (("black", 0.0), ("grey", 0.5), ("white", 1.0)):
        images[f"constant_{name}"] = np.full((image_size, image_size, channels), value, np.float32)
    return images


def evaluate(model, in_distribution_images, outliers):
    """False alarms on training-distribution images and detections on `outliers` (`{name: image}`).

    Returns:
      dict: `threshold`, `false_alarm_rate` and its count over `in_distribution_images`, the novelty
      quantiles of those images, `detection_rate` over the outliers, and each outlier's novelty and flag.
    """
    threshold = model.novelty_threshold
    scores = score_images(model, in_distribution_images)
    names = list(outliers)
    outlier_scores = score_images(model, np.stack([outliers[n] for n in names]))
    flagged = outlier_scores > threshold
    return {
        "threshold": round(threshold, 4),
        "in_distribution_examples": int(len(scores)),
        "false_alarms": int((scores > threshold).sum()),
        "false_alarm_rate": round(float((scores > threshold).mean()), 4),
        "in_distribution_novelty": {
            q: round(float(np.quantile(scores, float(q))), 4) for q in ("0.5", "0.95", "0.99", "1.0")
        },
        "outliers": int(len(names)),
        "detection_rate": round(float(flagged.mean()), 4),
        "outlier_novelty": {
            n: {"novelty": round(float(s), 2), "flagged": bool(f)} for n, s, f in zip(names, outlier_scores, flagged)
        },
    }
