"""Volume decoder layouts: sub-voxel stages (`DepthToSpace3D`) vs nearest up-sampling + convolution."""

import keras
import numpy as np
import pytest

from tf_ivg.models.decoders import build_volume_decoder, sub_voxel_weights

ARGS = dict(volume_size=16, shape_code=5, grid=2, filters=[6, 4, 3], upsampling=[2, 2, 2])


def _conv_flops(decoder):
    total = 0
    for layer in decoder.layers:
        if isinstance(layer, keras.layers.Conv3D):
            voxels = np.prod(layer.output.shape[1:4])
            total += 2 * voxels * np.prod(layer.kernel.shape)
    return int(total)


def _as_sub_voxel(repeat, sub_voxel, factors):
    """Copies a repeat-layout decoder's weights into a sub-voxel one (stage i's up-sampling is
    folded into the convolution after it)."""
    for layer in repeat.layers:
        if not layer.weights:
            continue
        target = sub_voxel.get_layer(layer.name)
        if isinstance(layer, keras.layers.Conv3D) and layer.name != "conv3d1":
            stage = len(factors) if layer.name == "conv3d_out" else int(layer.name[len("conv3d") :]) - 1
            target.set_weights(list(sub_voxel_weights(*layer.get_weights(), factors[stage - 1])))
        else:
            target.set_weights(layer.get_weights())


@pytest.mark.parametrize("factors", [[2, 2, 2], [1, 2, 4], [3, 1, 1]])
def test_sub_voxel_layout_computes_nearest_upsampling_then_convolution_exactly(factors):
    """The conversion reproduces the repeat layout's output, so the sub-voxel layout can express
    everything the paper's layout can; on random weights they differ (it is strictly larger)."""
    args = {**ARGS, "upsampling": factors, "volume_size": 2 * int(np.prod(factors))}
    repeat = build_volume_decoder(**args, output_upsampling="repeat", stage_upsampling="repeat")
    sub_voxel = build_volume_decoder(**args)
    assert not any(layer.name.startswith("up") for layer in sub_voxel.layers)
    code = np.random.default_rng(0).normal(size=(3, 5)).astype("float32")
    before = sub_voxel.predict(code, verbose=0)
    _as_sub_voxel(repeat, sub_voxel, factors)
    expected = repeat.predict(code, verbose=0)
    np.testing.assert_allclose(sub_voxel.predict(code, verbose=0), expected, rtol=1e-4, atol=1e-5)
    assert np.abs(before - expected).max() > 1e-3
    assert _conv_flops(sub_voxel) == _conv_flops(repeat)


def test_sub_voxel_weights_rejects_bad_kernels():
    with pytest.raises(ValueError, match=r"\[3, 3, 3, Cin, Cout\]"):
        sub_voxel_weights(np.zeros((3, 3, 3, 2)), np.zeros(2), 2)
    with pytest.raises(ValueError, match="factor"):
        sub_voxel_weights(np.zeros((3, 3, 3, 2, 2)), np.zeros(2), 0)


@pytest.mark.parametrize(
    "stage, output",
    [
        ("repeat", "repeat"),
        ("repeat", "depth_to_space"),
        ("depth_to_space", "repeat"),
        ("depth_to_space", "depth_to_space"),
    ],
)
def test_every_layout_gives_the_volume_shape(stage, output):
    decoder = build_volume_decoder(**ARGS, stage_upsampling=stage, output_upsampling=output)
    assert tuple(decoder(np.ones((2, 5), "float32")).shape) == (2, 16, 16, 16)
    names = {layer.name for layer in decoder.layers}
    assert ("up1" in names) == (stage == "repeat") and ("d2s1" in names) == (stage == "depth_to_space")
    assert ("up3" in names) == (output == "repeat") and ("to_voxels" in names) == (output == "depth_to_space")


def test_unknown_stage_layout_is_rejected():
    with pytest.raises(ValueError, match="stage_upsampling must be one of"):
        build_volume_decoder(**ARGS, stage_upsampling="trilinear")
