"""Shared settings of the volumetric (Grant et al. 2016) configs.

`paper_model(**overrides)` gives VolumeIGN's paper-scale arguments (80x80 in, 80^3 out, code 185 + 15);
`smoke_model(**overrides)` the tiny version (32x32 in, 32^3 out) used by tests and demos.
"""


def paper_model(**overrides):
    model = {
        "image_size": 80,
        "frames": 1,
        "channels": 3,
        "volume_size": 80,
        "shape_code": 185,
        "transformation_code": 15,
        "encoder_filters": [32, 64, 96],
        "stn_filters": 20,
        "fc_units": 0,
        # STN transforms move 100x slower than the other weights (SpatialTransformer's docstring):
        # with 1.0, Adam at lr 1e-3 drove STN1's grid off the image and the 80^3 model went input-blind.
        "stn_theta_scale": 0.01,
        # 5^3 -> 10^3 -> 20^3, then the output layer up-samples 4x as one sub-voxel convolution
        # (64 sub-voxels per 20^3 voxel). The paper gives no decoder widths; an earlier 4-stage
        # [64, 32, 16, 8] x [2, 2, 2, 2] decoder spent over half its time in one 8-map layer at 40^3
        # (see benchmarks/conv_gradients.py); this one trains faster (benchmarks/BENCHMARKS.md).
        "volume_grid": 5,
        "volume_filters": [64, 32, 16],
        "volume_upsampling": [2, 2, 4],
        "image_grid": 10,
        "image_filters": [64, 32, 16],
        "image_upsampling": [2, 2, 2],
        "schedule": "volume_only",
        "switch_every": 3,
        "iou_threshold": 0.5,
    }
    model.update(overrides)
    return model


def smoke_model(**overrides):
    model = paper_model(
        image_size=32,
        volume_size=32,
        shape_code=24,
        transformation_code=8,
        encoder_filters=[8, 8, 8],
        stn_filters=4,
        volume_grid=4,
        volume_filters=[16, 8, 4],
        volume_upsampling=[2, 2, 2],
        image_grid=4,
        image_filters=[8, 8, 4],
        image_upsampling=[2, 2, 2],
    )
    model.update(overrides)
    return model


def base_config(name, variant, dataset, model_config, examples, batch_size=10, learning_rate=1e-3):
    """Paper 4.1 training: Adam, lr 1e-3, batch 10, each example seen once (steps = examples / batch)."""
    return {
        "name": name,
        "variant": variant,
        "model": "volume_ign",
        "dataset": dataset,
        "train_split": "train",
        "validation_split": "validation",
        "batch_size": batch_size,
        "steps": max(1, examples // batch_size),
        "steps_per_epoch": 100,
        "validation_steps": 10,
        "optimizer": {"class_name": "adam", "learning_rate": learning_rate},
        "seed": 0,
        "model_config": model_config,
    }


def cosine_adam(steps, initial=1e-3, alpha=0.05):
    """Adam whose rate decays from `initial` to `alpha * initial` along a cosine over `steps`."""
    schedule = {
        "module": "keras.optimizers.schedules",
        "class_name": "CosineDecay",
        "config": {"initial_learning_rate": initial, "decay_steps": steps, "alpha": alpha},
    }
    return {"class_name": "adam", "learning_rate": schedule}


def longer(config, passes, initial=None):
    """`config` (a "full" one) trained for `passes` passes over its data on `cosine_adam` from `initial` (None: the
    config's own rate): variant "long" for 2 passes, "long<passes>" otherwise (the paper's single pass at a constant
    rate leaves the 80^3 models barely past the mean volume)."""
    steps = passes * config["steps"]
    variant = "long" if passes == 2 else f"long{passes}"
    rate = config["optimizer"]["learning_rate"] if initial is None else initial
    return dict(config, variant=variant, steps=steps, optimizer=cosine_adam(steps, initial=rate))


def smoke_config(name, dataset, model_config):
    """A few hundred tiny steps: enough for the volume loss to fall, in about a minute on 2 CPUs."""
    config = base_config(name, "smoke", dataset, model_config, examples=8 * 200, batch_size=8)
    config.update(steps_per_epoch=50, validation_steps=2)
    return config
