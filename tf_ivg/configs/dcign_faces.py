"""DC-IGN on procedural faces (Kulkarni et al. 2015, 4.1): 150x150 grayscale, 200 latents, factor-clamped batches.

Full: groups of 20 images (one group = one batch), about 12,000 batches as in the paper, the
authors' "rmsprop" (Adam, lr 5e-4: `PAPER_OPTIMIZER`).
Smoke: 32x32, tiny networks, 8 groups generated in memory (`source: "generate"`), for tests and demos.
Latent layout: z[0] azimuth, z[1] elevation, z[2] light azimuth, z[3:] identity (intrinsic).
`model_config` holds the `tf_ivg.models.DCIGN` constructor arguments.
"""

VARIANTS = ("full", "smoke")

# The paper's optimiser (section 4: "rmsprop", meta learning rate 5e-4, momentum decay 0.1, weight decay 0.01)
# as the authors' code computes it: their `rmsprop.lua` keeps m += 0.1 (g - m) ("momentum decay" 0.1) and
# v += 0.01 (g^2 - v) (their config's "updateDecay" 0.01, which the paper calls weight decay; no weight is
# decayed) and steps by lr * m / sqrt(v + 1e-8), bias-corrected: Adam with beta_1 0.9, beta_2 0.99. Keras's
# Adam adds its epsilon outside the square root, a difference that only matters for gradients near 1e-4.
PAPER_OPTIMIZER = {"class_name": "adam", "learning_rate": 5e-4, "beta_1": 0.9, "beta_2": 0.99, "epsilon": 1e-8}


def factor_latents(layout, latent_dim):
    """`{factor: [start, stop]}`: "faces" (z0 azimuth, z1 elevation, z2 light, z3: identity) or "chairs"
    (z0 azimuth, every other factor varies z1:)."""
    if layout == "faces":
        return {"azimuth": [0, 1], "elevation": [1, 2], "light": [2, 3], "identity": [3, latent_dim]}
    if layout == "chairs":
        return {"azimuth": [0, 1], "elevation": [1, latent_dim], "light": [1, latent_dim], "identity": [1, latent_dim]}
    raise ValueError(f"latent layout must be 'faces' or 'chairs'; got {layout!r}")


def paper_model(layout="faces", clamp=True, image_size=150):
    """DCIGN arguments at paper scale (150x150 -> 15x15x24 encoder grid, decoder 15 -> 30 -> 150), or the
    64x64 quick variant (64 -> 4x4x24, decoder 16 -> 32 -> 64)."""
    if image_size not in (150, 64):
        raise ValueError(f"paper_model supports image_size 150 or 64; got {image_size}")
    return {
        "image_size": image_size,
        "channels": 1,
        "latent_dim": 200,
        "encoder_filters": [96, 48, 24],
        "encoder_kernel": 5,
        "encoder_padding": "valid",
        "decoder_grid": 15 if image_size == 150 else 16,
        "up_factors": [2, 5] if image_size == 150 else [2, 2],
        "decoder_grid_channels": 24,  # the authors' code: Linear(200 -> 24 x 15 x 15)
        "decoder_filters": [48, 24],
        "decoder_kernel": 7,
        "factor_latents": factor_latents(layout, 200),
        "clamp": clamp,
        "invariance_strength": 0.01,
        "inactive_gradient": "mean",
        "seed": 0,
    }


def smoke_model(layout="faces", clamp=True):
    """A tiny 32x32 DCIGN with 16 latents ('same' encoder padding keeps a 4x4 grid)."""
    return {
        "image_size": 32,
        "channels": 1,
        "latent_dim": 16,
        "encoder_filters": [8, 8, 8],
        "encoder_kernel": 5,
        "encoder_padding": "same",
        "decoder_grid": 8,
        "up_factors": [2, 2],
        "decoder_grid_channels": 8,
        "decoder_filters": [8, 8],
        "decoder_kernel": 5,
        "factor_latents": factor_latents(layout, 16),
        "clamp": clamp,
        "invariance_strength": 0.01,
        "inactive_gradient": "mean",
        "seed": 0,
    }


def base_config(name, variant, family="faces", layout="faces", clamp=True, image_size=150):
    """The shared DC-IGN config for a dataset family, latent layout, clamping choice and image size."""
    if variant not in VARIANTS:
        raise ValueError(f"{name}: variant must be one of {VARIANTS}; got {variant!r}")
    root = "ivg_faces" if family == "faces" else "ivg_chairs"
    if variant == "smoke":
        return {
            "name": name,
            "variant": variant,
            "model": "dcign",
            "family": family,
            "source": "generate",
            "dataset": f"{root}/dcign_32_small",
            "num_groups": 4,
            "validation_groups": 2,
            "train_split": "train",
            "validation_split": "validation",
            "batch_size": 8,
            "steps": 16,
            "steps_per_epoch": 8,
            "validation_steps": 2,
            "seed": 0,
            "optimizer": dict(PAPER_OPTIMIZER, learning_rate=1e-3),
            "model_config": smoke_model(layout, clamp),
        }
    return {
        "name": name,
        "variant": variant,
        "model": "dcign",
        "family": family,
        "source": "tfds",
        "dataset": f"{root}/dcign_150"
        if image_size == 150
        else f"{root}/{'dcign_64' if family == 'faces' else 'dcign_64_small'}",
        "train_split": "train",
        "validation_split": "validation",
        "batch_size": 20,  # = the group size: one batch is one single-factor group
        "steps": 12000,  # "about 12,000 batches" (section 4)
        "steps_per_epoch": 500,
        "validation_steps": 20,
        "seed": 0,
        "optimizer": dict(PAPER_OPTIMIZER),
        "model_config": paper_model(layout, clamp, image_size),
    }


def get_config(variant="full"):
    return base_config("dcign_faces", variant)
