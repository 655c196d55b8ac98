"""The config registry and the volumetric (Grant et al. 2016) configs."""

import json

import pytest

from tf_ivg.configs import REQUIRED_KEYS, available, check_config, get_config, load_config
from tf_ivg.training import volume_task

VOLUME_CONFIGS = ["faces_volume", "faces_disentangled", "faces_video", "chairs_volume"]


def test_registry_lists_the_volume_configs():
    assert set(VOLUME_CONFIGS) <= set(available())


@pytest.mark.parametrize("name", VOLUME_CONFIGS)
@pytest.mark.parametrize("variant", ["full", "smoke"])
def test_volume_configs_are_complete_json_and_valid(name, variant):
    config = get_config(name, variant)
    assert all(key in config for key in REQUIRED_KEYS)
    assert config["name"] == name and config["variant"] == variant and config["model"] == "volume_ign"
    assert json.loads(json.dumps(config)) == config
    volume_task.validate_config(config)
    model = config["model_config"]
    if variant == "smoke":
        assert model["image_size"] == 32 and model["volume_size"] == 32
    else:
        assert model["image_size"] == 80 and config["batch_size"] == 10
        assert config["optimizer"] == {"class_name": "adam", "learning_rate": 1e-3}


def test_paper_settings():
    volume = get_config("faces_volume")
    assert volume["model_config"]["schedule"] == "volume_only" and volume["steps"] * 10 == 16000
    assert volume["model_config"]["shape_code"] + volume["model_config"]["transformation_code"] == 200
    disentangled = get_config("faces_disentangled")["model_config"]
    assert disentangled["fc_units"] == 3000 and disentangled["schedule"] == "alternate"
    assert disentangled["switch_every"] == 3 and (disentangled["shape_code"], disentangled["transformation_code"]) == (
        185,
        15,
    )
    assert get_config("faces_video")["model_config"]["frames"] == 5
    chairs = get_config("chairs_volume")["model_config"]
    assert (chairs["shape_code"], chairs["transformation_code"], chairs["volume_size"]) == (599, 1, 30)
    assert chairs["iou_threshold"] == 0.2


def test_unknown_names_and_variants_raise():
    with pytest.raises(ValueError, match="unknown config"):
        get_config("faces_nothing")
    with pytest.raises(ValueError, match="unknown variant"):
        get_config("faces_volume", "huge")
    # a module's own extra variant exists only for that module
    assert get_config("faces_volume", "small")["variant"] == "small"
    with pytest.raises(ValueError, match="unknown variant 'small'"):
        get_config("faces_disentangled", "small")


def test_load_config_round_trip_and_errors(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(get_config("faces_volume", "smoke")))
    assert load_config(str(path)) == get_config("faces_volume", "smoke")
    with pytest.raises(FileNotFoundError):
        load_config(str(tmp_path / "missing.json"))
    path.write_text(json.dumps({"name": "x"}))
    with pytest.raises(ValueError, match="lacks required keys"):
        load_config(str(path))


def test_typos_and_wrong_types_in_a_config_are_named():
    import tf_ivg

    config = get_config("faces_volume", "smoke")
    with pytest.raises(ValueError, match="unknown key 'stepz' \\(did you mean 'steps'\\?\\)"):
        check_config({**config, "stepz": 3})
    bad = {**config, "model_config": {**config["model_config"], "image_size": "32"}}
    with pytest.raises(ValueError, match="model_config\\['image_size'\\] must be an int like its default 80; got '32'"):
        tf_ivg.build(bad)
    bad = {**config, "model_config": {**config["model_config"], "shape_cod": 8}}
    with pytest.raises(ValueError, match="'shape_cod' is not a VolumeIGN argument \\(did you mean 'shape_code'\\?\\)"):
        tf_ivg.build(bad)


@pytest.mark.parametrize(
    "name,variant,passes,rate",
    [("faces_volume", "long", 2, 1e-3), ("faces_volume", "long4", 4, 1e-3), ("faces_disentangled", "long4", 4, 3e-4),
     ("chairs_volume", "long4", 4, 1e-3), ("chairs_volume", "long8", 8, 1e-3), ("faces_video", "long4", 4, 3e-4)],
)  # fmt: skip
def test_long_variants_train_the_paper_model_longer_on_a_cosine_schedule(name, variant, passes, rate):
    full, config = get_config(name), get_config(name, variant)
    assert config["variant"] == variant and config["model_config"] == full["model_config"]
    assert config["dataset"] == full["dataset"] and config["steps"] == passes * full["steps"]
    schedule = config["optimizer"]["learning_rate"]
    assert schedule["class_name"] == "CosineDecay" and schedule["config"]["decay_steps"] == config["steps"]
    assert schedule["config"]["initial_learning_rate"] == rate and full["optimizer"]["learning_rate"] == 1e-3


@pytest.mark.parametrize("variant,passes", [("large3", 3), ("large6", 6)])
def test_chairs_large_variants_are_long8s_model_on_four_times_the_chairs(variant, passes):
    long8, large = get_config("chairs_volume", "long8"), get_config("chairs_volume", variant)
    assert large["variant"] == variant and large["model_config"] == long8["model_config"]
    assert large["dataset"] == "ivg_chairs/volumes_30_large" and large["steps"] == passes * 20000 // 10
    assert large["optimizer"]["learning_rate"]["config"]["decay_steps"] == large["steps"]
    volume_task.validate_config(large)
