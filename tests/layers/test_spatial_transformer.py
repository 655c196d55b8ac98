import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.keras_contract import assert_keras_round_trip, fit_one_step_under_strategy
from tf_ivg.layers import AffineGridSampler, SpatialTransformer

IDENTITY = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]


def test_identity_theta_reproduces_image():
    image = tf.random.uniform([3, 9, 11, 2])
    theta = tf.tile([IDENTITY], [3, 1, 1])
    out = AffineGridSampler((9, 11))([image, theta])
    np.testing.assert_allclose(out.numpy(), image.numpy(), atol=1e-5)


def test_known_translation_moves_known_pixel():
    image = np.zeros([1, 5, 5, 1], np.float32)
    image[0, 2, 3, 0] = 1.0  # row 2, column 3
    # One pixel step in x is 2/(W-1) = 0.5 in normalised units; theta maps output to input,
    # so sampling at x + 0.5 moves content one pixel to the left.
    theta = tf.constant([[[1.0, 0.0, 0.5], [0.0, 1.0, 0.0]]])
    out = AffineGridSampler(5)([tf.constant(image), theta]).numpy()
    assert out[0, 2, 2, 0] == pytest.approx(1.0, abs=1e-5)
    assert out.sum() == pytest.approx(1.0, abs=1e-5)


def test_outside_reads_zero():
    image = tf.ones([1, 4, 4, 1])
    theta = tf.constant([[[1.0, 0.0, 5.0], [0.0, 1.0, 0.0]]])
    out = AffineGridSampler(4)([image, theta])
    assert float(tf.reduce_max(tf.abs(out))) == 0.0


def test_downsamples_to_output_size():
    out = AffineGridSampler((3, 4))([tf.ones([2, 10, 12, 5]), tf.tile([IDENTITY], [2, 1, 1])])
    assert out.shape == (2, 3, 4, 5)


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    image = tf.constant(rng.uniform(size=(2, 6, 7, 2)), tf.float64)
    theta = tf.constant(
        [[[0.813, 0.117, 0.0531], [-0.1093, 0.7071, -0.0337]], [[1.1013, -0.2119, 0.1047], [0.1531, 0.9173, 0.0713]]],
        tf.float64,
    )
    sampler = AffineGridSampler((4, 5), dtype="float64")
    theoretical, numerical = tf.test.compute_gradient(lambda im, th: sampler([im, th]), [image, theta], delta=1e-4)
    for t, n in zip(theoretical, numerical):
        assert np.abs(t).max() > 0  # both inputs really get gradient
        np.testing.assert_allclose(t, n, atol=1e-5)


def test_works_with_jit_compile():
    sampler = AffineGridSampler((4, 4))
    image = tf.random.uniform([2, 8, 8, 3])
    theta = tf.constant([[[0.9, 0.1, 0.1], [0.0, 0.8, -0.1]]] * 2)

    @tf.function(jit_compile=True)
    def compiled(im, th):
        with tf.GradientTape() as tape:
            tape.watch(th)
            loss = tf.reduce_sum(sampler([im, th]) ** 2)
        return loss, tape.gradient(loss, th)

    loss, grad = compiled(image, theta)
    eager = tf.reduce_sum(sampler([image, theta]) ** 2)
    assert float(loss) == pytest.approx(float(eager), rel=1e-5)
    assert np.isfinite(grad.numpy()).all() and np.abs(grad.numpy()).max() > 0


@pytest.mark.parametrize(
    "image_shape, theta_shape, match",
    [
        ((8, 8, 3), (2, 2, 3), "rank 4"),
        ((2, 8, 8, 3), (2, 3, 3), r"\[B, 2, 3\]"),
        ((2, 8, 8, 3), (2, 6), r"\[B, 2, 3\]"),
        ((2, 8, 8, 3), (3, 2, 3), "same batch size"),
    ],
)
def test_bad_input_raises(image_shape, theta_shape, match):
    with pytest.raises(ValueError, match=match):
        AffineGridSampler(4)([tf.zeros(image_shape), tf.zeros(theta_shape)])


def test_channel_mismatch_after_build_raises():
    sampler = AffineGridSampler(4)
    sampler([tf.zeros([1, 8, 8, 3]), tf.zeros([1, 2, 3])])
    with pytest.raises(ValueError, match="3 channels"):
        sampler([tf.zeros([1, 8, 8, 5]), tf.zeros([1, 2, 3])])


def test_bad_output_size_raises():
    with pytest.raises(ValueError, match="output_size"):
        AffineGridSampler((0, 4))


def test_spatial_transformer_starts_as_identity_resize():
    stn = SpatialTransformer.paper_stn1(output_size=16, filters=4)
    x = tf.random.uniform([2, 16, 16, 3])
    np.testing.assert_allclose(stn(x).numpy(), x.numpy(), atol=1e-5)
    theta = stn.predict_theta(x).numpy()
    np.testing.assert_allclose(theta, np.tile(np.array(IDENTITY)[None], [2, 1, 1]), atol=1e-7)


def test_paper_localisation_networks_have_paper_layers():
    conv = lambda st: [x for x in st.localization.layers if isinstance(x, keras.layers.Conv2D)]  # noqa: E731
    pool = lambda st: [x for x in st.localization.layers if x.__class__.__name__ == "MaxPooling2D"]  # noqa: E731
    bn = lambda st: [x for x in st.localization.layers if x.__class__.__name__ == "BatchNormalization"]  # noqa: E731
    stn1 = SpatialTransformer.paper_stn1(8, filters=4)
    stn2 = SpatialTransformer.paper_stn2(8, filters=4)
    assert [c.kernel_size for c in conv(stn1)] == [(5, 5)] * 4 and len(pool(stn1)) == 3 and len(bn(stn1)) == 4
    assert [c.kernel_size for c in conv(stn2)] == [(5, 5), (5, 5), (6, 6)] and len(pool(stn2)) == 2
    assert len(bn(stn2)) == 3


def test_theta_scale_scales_the_departure_from_identity_and_round_trips(tmp_path):
    x = tf.random.uniform([2, 16, 16, 3], seed=1)
    plain = SpatialTransformer.paper_stn2(output_size=8, filters=4)
    scaled = SpatialTransformer.paper_stn2(output_size=8, filters=4, theta_scale=0.01)
    plain(x), scaled(x)
    scaled.set_weights(plain.get_weights())
    head = plain.theta_head
    head.kernel.assign(tf.random.normal(head.kernel.shape, seed=2))  # move theta away from the identity
    scaled.theta_head.kernel.assign(head.kernel)
    identity = np.tile(np.array(IDENTITY, np.float32)[None], [2, 1, 1])
    departure = plain.predict_theta(x).numpy() - identity
    assert np.abs(departure).max() > 0.1
    np.testing.assert_allclose(scaled.predict_theta(x).numpy() - identity, 0.01 * departure, rtol=1e-4, atol=1e-6)
    assert scaled.get_config()["theta_scale"] == 0.01
    assert_keras_round_trip(scaled, [x], tmp_path)


@pytest.mark.parametrize("theta_scale", [0, -1.0, "0.1", True, float("inf"), float("nan")])
def test_bad_theta_scale_raises(theta_scale):
    with pytest.raises(ValueError, match="theta_scale"):
        SpatialTransformer.paper_stn1(8, filters=4, theta_scale=theta_scale)
    assert SpatialTransformer.paper_stn1(8, filters=4, theta_scale=np.float32(0.5)).theta_scale == 0.5


def test_theta_gets_gradient_through_transformer():
    stn = SpatialTransformer.paper_stn2(output_size=8, filters=4)
    x = tf.random.uniform([2, 16, 16, 3])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(stn(x, training=True) * tf.random.uniform([2, 8, 8, 3]))
    grads = tape.gradient(loss, stn.theta_head.trainable_variables)
    assert all(g is not None and float(tf.reduce_max(tf.abs(g))) > 0 for g in grads)


def test_sampler_round_trip_and_strategy(tmp_path, two_cpu_strategy):
    def make(inputs):
        import keras

        image, theta = inputs
        return keras.layers.Conv2D(1, 1)(AffineGridSampler((4, 4))([image, theta]))

    assert_keras_round_trip(
        AffineGridSampler((4, 5)), [tf.random.uniform([2, 8, 8, 3]), tf.tile([IDENTITY], [2, 1, 1])], tmp_path
    )
    fit_one_step_under_strategy(two_cpu_strategy, make, [(8, 8, 3), (2, 3)], target_shape=(4, 4, 1))


def test_spatial_transformer_round_trip_and_strategy(tmp_path, two_cpu_strategy):
    def make(inputs):
        return SpatialTransformer.paper_stn2(4, filters=4)(inputs)

    assert_keras_round_trip(SpatialTransformer.paper_stn1(6, filters=4), [tf.random.uniform([2, 12, 12, 3])], tmp_path)
    fit_one_step_under_strategy(two_cpu_strategy, make, [(8, 8, 2)], target_shape=(4, 4, 2))


def _autodiff_bilinear_sample(image, coords):
    """Four gathers, differentiated by TensorFlow: the reference for the hand-written gradient."""
    height, width = image.shape[1], image.shape[2]
    x = (coords[..., 0] + 1.0) * 0.5 * (width - 1)
    y = (coords[..., 1] + 1.0) * 0.5 * (height - 1)
    x0, y0 = tf.floor(x), tf.floor(y)

    def corner(xc, yc):
        inside = tf.cast((xc >= 0) & (xc <= width - 1) & (yc >= 0) & (yc <= height - 1), image.dtype)
        index = tf.cast(tf.clip_by_value(yc, 0, height - 1), tf.int32) * width + tf.cast(
            tf.clip_by_value(xc, 0, width - 1), tf.int32
        )
        flat = tf.reshape(image, [image.shape[0], -1, image.shape[3]])
        values = tf.gather(flat, tf.reshape(index, [image.shape[0], -1]), batch_dims=1)
        return tf.reshape(values, [*coords.shape[:3], image.shape[3]]) * inside[..., None]

    wx1, wy1 = (x - x0)[..., None], (y - y0)[..., None]
    return (
        corner(x0, y0) * (1 - wx1) * (1 - wy1)
        + corner(x0 + 1, y0) * wx1 * (1 - wy1)
        + corner(x0, y0 + 1) * (1 - wx1) * wy1
        + corner(x0 + 1, y0 + 1) * wx1 * wy1
    )


def test_hand_written_gradients_equal_autodiff_across_the_border():
    from tf_ivg.layers.spatial_transformer import bilinear_sample

    rng = np.random.default_rng(4)
    image = tf.constant(rng.normal(size=(3, 9, 8, 5)), tf.float64)
    coords = tf.constant(rng.uniform(-1.3, 1.3, size=(3, 6, 7, 2)), tf.float64)  # some samples off the image
    d_out = tf.constant(rng.normal(size=(3, 6, 7, 5)), tf.float64)
    results = []
    for fn in (bilinear_sample, _autodiff_bilinear_sample):
        with tf.GradientTape() as tape:
            tape.watch([image, coords])
            out = fn(image, coords)
        results.append([out, *tape.gradient(out, [image, coords], output_gradients=d_out)])
    for got, want in zip(*results):
        assert float(tf.reduce_max(tf.abs(want))) > 0
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_coordinate_gradient_keeps_the_coordinates_dtype():
    from tf_ivg.layers.spatial_transformer import bilinear_sample

    image = tf.random.uniform([2, 6, 6, 3], dtype=tf.float32)
    coords = tf.random.uniform([2, 3, 3, 2], -0.9, 0.9, dtype=tf.float64)

    @tf.function
    def gradient(image, coords):
        with tf.GradientTape() as tape:
            tape.watch(coords)
            loss = tf.reduce_sum(tf.cast(bilinear_sample(tf.cast(image, tf.bfloat16), coords), tf.float32))
        return tape.gradient(loss, coords)

    assert gradient(image, coords).dtype == tf.float64
