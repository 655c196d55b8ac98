"""In-memory generators: contract shapes, determinism, single-factor groups, bad inputs."""

import numpy as np
import pytest

from tf_ivg.data import FACTOR_IDS, make_dcign_group, make_volume_pairs


def test_factor_ids_match_contract():
    assert FACTOR_IDS == {"azimuth": 0, "elevation": 1, "light": 2, "identity": 3}


@pytest.mark.parametrize("family", ["faces", "chairs"])
def test_volume_pairs_shapes_and_ranges(family):
    images, volumes, f = make_volume_pairs(3, 32, 24, family=family, seed=5)
    assert images.shape == (3, 32, 32, 3) and images.dtype == np.float32
    assert volumes.shape == (3, 24, 24, 24) and volumes.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0 and images.max() > 0.2
    assert set(np.unique(volumes)) <= {0.0, 1.0}
    occupancy = volumes.mean(axis=(1, 2, 3))
    assert np.all(occupancy > 0.005) and np.all(occupancy < 0.6)
    for key in ("azimuth", "elevation", "light", "ambient", "identity"):
        assert f[key].shape == (3,)
    assert f["shape"].ndim == 2 and f["shape"].shape[0] == 3
    # Different identities give different volumes.
    assert not np.array_equal(volumes[0], volumes[1])


def test_volume_pairs_deterministic_per_seed():
    a = make_volume_pairs(2, 16, 16, seed=3)
    b = make_volume_pairs(2, 16, 16, seed=3)
    c = make_volume_pairs(2, 16, 16, seed=4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


def test_volume_axes_frontal_silhouette_is_upright():
    """volume[y, x, z]: the max over z is a frontal silhouette with the chin (narrow) at the bottom
    and the nose (towards the camera, high z) in the middle column."""
    _, volumes, _ = make_volume_pairs(1, 16, 32, seed=1)
    v = volumes[0]
    sil = v.max(axis=2)
    rows = sil.sum(axis=1)
    occupied = np.nonzero(rows)[0]
    top, bottom = occupied[0], occupied[-1]
    assert rows[top + 2] > rows[bottom - 1]  # wide cranium above, narrow chin below
    depth_profile = [np.nonzero(v[18, x])[0].max() if v[18, x].any() else -1 for x in range(32)]
    assert np.argmax(depth_profile) in range(13, 19), depth_profile  # nose on the midline


@pytest.mark.parametrize("factor", ["azimuth", "elevation", "light", "identity"])
def test_dcign_group_varies_only_its_factor(factor):
    images, fid, f = make_dcign_group(factor, 4, 24, seed=2)
    assert images.shape == (4, 24, 24, 1) and images.dtype == np.float32
    assert fid == FACTOR_IDS[factor]
    for name in ("azimuth", "elevation", "light", "ambient", "identity"):
        distinct = len(np.unique(f[name]))
        assert distinct == (4 if name == factor else 1), (name, f[name])
    # Images differ across the group.
    assert np.abs(images[0] - images[1]).max() > 0.05


def test_dcign_group_accepts_factor_id():
    _, fid, f = make_dcign_group(0, 2, 16, family="chairs", seed=1)
    assert fid == 0 and len(np.unique(f["azimuth"])) == 2


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(num=0, image_size=16, volume_size=16),
        dict(num=2, image_size=-1, volume_size=16),
        dict(num=2, image_size=16, volume_size=0),
        dict(num=2, image_size=16, volume_size=16, family="tables"),
    ],
)
def test_volume_pairs_bad_inputs(kwargs):
    with pytest.raises(ValueError):
        make_volume_pairs(**kwargs)


@pytest.mark.parametrize(
    "args", [("pose", 4, 16), (7, 4, 16), ("azimuth", 0, 16), ("identity", 1, 16), ("azimuth", 4, 0)]
)
def test_dcign_group_bad_inputs(args):
    with pytest.raises(ValueError):
        make_dcign_group(*args)
