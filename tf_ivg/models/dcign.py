"""Deep Convolutional Inverse Graphics Network (Kulkarni et al. 2015, sections 3-4).

Shape key: B batch (one single-factor group of G images in training), S image side, C image
channels (1), Z latent units, V traversal values, F factors (4: azimuth, elevation, light, identity).

An SGVB variational auto-encoder (encoder and decoder in `dcign_networks.py`) trained on
mini-batches in which a single scene factor varies. Each factor owns a block of latents
(`factor_latents`, default z[0] azimuth, z[1] elevation, z[2] light, z[3:] intrinsic/identity).
In a training batch of factor f, as the authors' code does it (Lua `SelectiveOutputClamp` and
`SelectiveGradientFilter` on the encoder's mean and log-variance heads):

- forward, every latent outside f's block has its posterior mean and log-variance replaced by their
  batch means before z is sampled (`clamp_at="encoder"`); the KL is taken on the clamped posterior;
- backward, nothing reaches the clamped units through the decoder or the KL; instead each gets the pull
  `invariance_strength * (h - batch mean(h))` for h its mean and its log-variance, relative to one
  example's loss (`tf_ivg.layers.BatchMeanClamp.invariance_penalty`; paper 3.2, strength 1/100).

`clamp_at="sample"` clamps the sampled z instead and keeps the KL of the unclamped posterior on every
latent (this library's behaviour before 2026-12; kept for ablation). With `clamp=False` the same
network trains with plain SGVB: the paper's entangled baseline (4.1.1).

Data: a training batch is `(images [B, S, S, C] in [0, 1], factor_id [B] or [] int32)`; the
active mask is built in-graph from `factor_id` (`tf_ivg.data.FACTOR_IDS`: 0 azimuth,
1 elevation, 2 light, 3 identity). A clamped batch whose `factor_id` differs between images is
not a single-factor group and fails with an `InvalidArgumentError` naming the problem. Under a
distribution strategy each replica clamps over its own share of the group (still one
single-factor group).

Loss per example: `-ELBO = sum_pixels BCE(x, decoder_logits) + KL(q(z|x) || N(0, I))`; the training
objective adds the invariance penalty of clamped batches; both are averaged over the global batch with
`tf.nn.compute_average_loss` (the authors summed; Adam-type updates do not depend on that scale).
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from tf_ivg.data.factors import FACTOR_NAMES
from tf_ivg.layers import BatchMeanClamp, GaussianSample
from tf_ivg.models.dcign_networks import dcign_decoder, dcign_encoder, encoder_output_side

CLAMP_POINTS = ("encoder", "sample")


def face_factor_latents(latent_dim=200):
    """The paper's face layout (Fig. 2): z[0] azimuth, z[1] elevation, z[2] light, z[3:] identity."""
    return {"azimuth": [0, 1], "elevation": [1, 2], "light": [2, 3], "identity": [3, latent_dim]}


def default_decoder_layout(image_size):
    """`(grid_size, up_factors)` with integer factors: 150 -> (15, (2, 5)); S divisible by 4 -> (S/4, (2, 2))."""
    if image_size == 150:
        return 15, (2, 5)
    if image_size % 4 == 0:
        return image_size // 4, (2, 2)
    raise ValueError(
        f"no default decoder layout for image_size={image_size}; pass decoder_grid and up_factors "
        "(decoder_grid * prod(up_factors) must equal image_size)"
    )


def kl_divergence(mean, log_var):
    """Closed-form KL(N(mean, exp(log_var)) || N(0, I)) per example.

    Args:
      mean, log_var: `[B, Z]`.
    Returns:
      `[B]` float32.
    """
    mean = ops.cast(mean, "float32")
    log_var = ops.cast(log_var, "float32")
    return -0.5 * ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)


def bernoulli_nll(images, logits):
    """Binary cross-entropy summed over pixels, per example: `[B, S, S, C]` x2 -> `[B]` float32."""
    bce = ops.binary_crossentropy(ops.cast(images, "float32"), ops.cast(logits, "float32"), from_logits=True)
    return ops.sum(ops.reshape(bce, (ops.shape(bce)[0], -1)), axis=-1)


def _mask_table(factor_latents, latent_dim):
    """`{name: [start, stop]}` -> `[F, Z]` bool table, row f = latents owned by factor f."""
    if not isinstance(factor_latents, dict) or set(factor_latents) != set(FACTOR_NAMES):
        got = sorted(factor_latents) if isinstance(factor_latents, dict) else type(factor_latents).__name__
        raise ValueError(f"factor_latents must map each of {list(FACTOR_NAMES)} to [start, stop]; got {got}")
    table = np.zeros((len(FACTOR_NAMES), latent_dim), bool)
    for f, name in enumerate(FACTOR_NAMES):
        span = factor_latents[name]
        if len(span) != 2 or not 0 <= int(span[0]) < int(span[1]) <= latent_dim:
            raise ValueError(
                f"factor_latents[{name!r}] must be [start, stop] with 0 <= start < stop <= "
                f"latent_dim={latent_dim}; got {span}"
            )
        table[f, int(span[0]) : int(span[1])] = True
    return table


@keras.saving.register_keras_serializable(package="tf_ivg")
class DCIGN(keras.Model):
    """DC-IGN: convolutional VAE with factor-clamped training batches.

    Args:
      image_size: S (150 in the paper; 64 for quick runs; any size the layout fits).
      channels: C (1: grayscale).
      latent_dim: Z (200).
      encoder_filters, encoder_kernel, encoder_padding: conv + 2x2 max-pool stages (96, 48, 24; 5; "valid").
      decoder_grid, up_factors: dense grid side and integer up-sampling factors (None: `default_decoder_layout`).
      decoder_grid_channels, decoder_filters, decoder_kernel: decoder maps (24, as the authors' code; 48, 24; 7).
      factor_latents: `{factor name: [start, stop]}` for all of `FACTOR_NAMES` (None: `face_factor_latents`).
      clamp: True for DC-IGN training, False for the entangled SGVB baseline.
      invariance_strength: gradient scale pulling clamped latents to their batch mean (1/100).
      inactive_gradient: "mean" (paper) or "zero" (see `BatchMeanClamp`).
      clamp_at: "encoder" (the authors': mean and log-variance before sampling) or "sample" (z; ablation).
      seed: seed of the reparameterisation noise.

    Call: `model(images)` `[B, S, S, C]` -> reconstructions `[B, S, S, C]` in (0, 1) (posterior mean at
    inference, a sample in training; no clamping: that needs a factor id, see `train_step`).

    Example:
      >>> model = DCIGN(image_size=64, latent_dim=32)
      >>> model.compile(optimizer="adam")
      >>> model.fit(groups)                      # dataset of (images [G,64,64,1], factor_id [G])
      >>> model.rerender(images, "azimuth", np.linspace(-3, 3, 7)).shape   # [B, 7, 64, 64, 1]
    """

    def __init__(
        self,
        image_size=150,
        channels=1,
        latent_dim=200,
        encoder_filters=(96, 48, 24),
        encoder_kernel=5,
        encoder_padding="valid",
        decoder_grid=None,
        up_factors=None,
        decoder_grid_channels=24,
        decoder_filters=(48, 24),
        decoder_kernel=7,
        factor_latents=None,
        clamp=True,
        invariance_strength=0.01,
        inactive_gradient="mean",
        clamp_at="encoder",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if decoder_grid is None or up_factors is None:
            decoder_grid, up_factors = default_decoder_layout(int(image_size))
        self.image_size = int(image_size)
        self.channels = int(channels)
        self.latent_dim = int(latent_dim)
        self.encoder_filters = [int(f) for f in encoder_filters]
        self.encoder_kernel = int(encoder_kernel)
        self.encoder_padding = encoder_padding
        self.decoder_grid = int(decoder_grid)
        self.up_factors = [int(f) for f in up_factors]
        self.decoder_grid_channels = int(decoder_grid_channels)
        self.decoder_filters = [int(f) for f in decoder_filters]
        self.decoder_kernel = int(decoder_kernel)
        if factor_latents is None:
            factor_latents = face_factor_latents(self.latent_dim)
        self._masks = _mask_table(factor_latents, self.latent_dim)  # validates the layout
        self.factor_latents = {k: [int(v) for v in factor_latents[k]] for k in FACTOR_NAMES}
        self.clamp = bool(clamp)
        self.invariance_strength = float(invariance_strength)
        self.inactive_gradient = inactive_gradient
        if clamp_at not in CLAMP_POINTS:
            raise ValueError(f"clamp_at must be one of {list(CLAMP_POINTS)}; got {clamp_at!r}")
        self.clamp_at = clamp_at
        self.seed = seed

        self.encoder = dcign_encoder(
            self.image_size,
            self.channels,
            self.encoder_filters,
            self.encoder_kernel,
            self.encoder_padding,
            self.latent_dim,
        )
        self.decoder = dcign_decoder(
            self.image_size,
            self.channels,
            self.latent_dim,
            self.decoder_grid,
            self.decoder_grid_channels,
            self.decoder_filters,
            self.up_factors,
            self.decoder_kernel,
        )
        self.sampler = GaussianSample(seed=seed, name="z_sample")
        self.clamp_layer = BatchMeanClamp(
            strength=self.invariance_strength, inactive_gradient=self.inactive_gradient, name="clamp"
        )
        self.clamp_layer.build((None, self.latent_dim))
        self.sampler.build([(None, self.latent_dim)] * 2)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        self.invariance_tracker = keras.metrics.Mean(name="invariance")
        self.built = True

    # ----------------------------------------------------------------------------- forward pass
    def call(self, images, training=None):
        """`[B, S, S, C]` -> reconstructions `[B, S, S, C]` in (0, 1)."""
        mean, log_var = self.encoder(images, training=training)
        z = self.sampler([mean, log_var], training=training)
        return ops.sigmoid(ops.cast(self.decoder(z, training=training), "float32"))

    def active_mask(self, factor_id):
        """The latents owned by the batch's varying factor.

        Args:
          factor_id: int `[]` or `[B]` (all equal: one single-factor group).
        Returns:
          `[Z]` bool. Raises `InvalidArgumentError` (in graph) if the ids differ within the batch or
          are not in [0, F).
        """
        factor_id = ops.cast(ops.convert_to_tensor(factor_id), "int32")
        checks = []
        if len(factor_id.shape) == 1:
            checks.append(
                tf.debugging.assert_equal(
                    factor_id,
                    factor_id[:1],
                    message="DCIGN: with clamping on, a training batch must be one single-factor group, but its "
                    "factor_id values differ within the batch (use tf_ivg.data.dcign_groups batches, or "
                    "clamp=False for the entangled baseline)",
                )
            )
            factor_id = factor_id[0]
        elif len(factor_id.shape) != 0:
            raise ValueError(f"factor_id must be a scalar or a [B] vector; got shape {tuple(factor_id.shape)}")
        checks += [
            tf.debugging.assert_non_negative(factor_id, message="DCIGN: factor_id must be in [0, 4)"),
            tf.debugging.assert_less(factor_id, len(FACTOR_NAMES), message="DCIGN: factor_id must be in [0, 4)"),
        ]
        with tf.control_dependencies([c for c in checks if c is not None]):  # None in eager mode
            return ops.take(ops.convert_to_tensor(self._masks), tf.identity(factor_id), axis=0)

    def forward(self, images, factor_id=None, training=False, sample=True):
        """The pass `train_step` and `test_step` run, exposed for tests and analysis.

        Args:
          images: `[B, S, S, C]` in [0, 1].
          factor_id: `[]` or `[B]` int; required when `self.clamp` and `training`.
          training: clamp (if enabled) and run the networks in training mode.
          sample: draw z from q(z|x) (True, an unbiased ELBO estimate) or use its mean.

        Returns:
          dict of `[B, Z]`: `mean`, `log_var` (the encoder's), `z` (the sample), `decoder_input` (z, or the
          clamped z with `clamp_at="sample"`); `logits` `[B, S, S, C]`; and of `[B]`: `reconstruction`, `kl`,
          `loss` (= -ELBO), `invariance` (the pull's penalty; 0 outside clamped training) and `objective`
          (`loss + invariance`, what training minimises).
        """
        images = ops.convert_to_tensor(images)
        if len(images.shape) != 4 or tuple(images.shape[1:]) != (self.image_size, self.image_size, self.channels):
            raise ValueError(
                f"DCIGN expects images of shape [B, {self.image_size}, {self.image_size}, "
                f"{self.channels}]; got {tuple(images.shape)}"
            )
        mean, log_var = self.encoder(images, training=training)
        clamping = self.clamp and training
        if clamping and factor_id is None:
            raise ValueError(
                "DCIGN with clamp=True needs the batch's factor_id in training: feed "
                "(images, factor_id) batches, or set clamp=False for the entangled baseline"
            )
        active = self.active_mask(factor_id) if clamping else None
        posterior = (mean, log_var)
        invariance = ops.zeros_like(ops.cast(mean[:, 0], "float32"))
        if clamping and self.clamp_at == "encoder":
            posterior = tuple(self.clamp_layer(h, active, training=True) for h in (mean, log_var))
            invariance = self.clamp_layer.invariance_penalty(mean, active) + self.clamp_layer.invariance_penalty(
                log_var, active
            )
        z = self.sampler(list(posterior), training=sample)
        decoder_input = z
        if clamping and self.clamp_at == "sample":
            decoder_input = self.clamp_layer(z, active, training=True)
            invariance = self.clamp_layer.invariance_penalty(z, active)
        logits = self.decoder(decoder_input, training=training)
        reconstruction = bernoulli_nll(images, logits)
        kl = kl_divergence(*posterior)
        loss = reconstruction + kl
        return {
            "mean": mean,
            "log_var": log_var,
            "z": z,
            "decoder_input": decoder_input,
            "logits": logits,
            "reconstruction": reconstruction,
            "kl": kl,
            "loss": loss,
            "invariance": invariance,
            "objective": loss + invariance,
        }

    # ----------------------------------------------------------------------------- training
    @staticmethod
    def _unpack(data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if isinstance(x, dict):
            if "images" not in x:
                raise ValueError(f"DCIGN batches given as a dict need an 'images' key; got keys {sorted(x)}")
            return x["images"], x.get("factor_id")
        return x, y

    def _track(self, out):
        self.loss_tracker.update_state(out["loss"])
        self.reconstruction_tracker.update_state(out["reconstruction"])
        self.kl_tracker.update_state(out["kl"])
        self.invariance_tracker.update_state(out["invariance"])
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        images, factor_id = self._unpack(data)
        with tf.GradientTape() as tape:
            out = self.forward(images, factor_id, training=True)
            loss = tf.nn.compute_average_loss(out["objective"])
            scaled = self.optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled, self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        return self._track(out)

    def test_step(self, data):
        images, _ = self._unpack(data)
        return self._track(self.forward(images, None, training=False))

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker, self.invariance_tracker]

    # ----------------------------------------------------------------------------- manipulation
    def encode(self, images, return_log_var=False):
        """`[B, S, S, C]` -> posterior means `[B, Z]` (and log-variances `[B, Z]` if asked)."""
        mean, log_var = self.encoder(ops.convert_to_tensor(images), training=False)
        return (mean, log_var) if return_log_var else mean

    def decode(self, z):
        """Latents `[B, Z]` -> images `[B, S, S, C]` in (0, 1)."""
        return ops.sigmoid(ops.cast(self.decoder(ops.convert_to_tensor(z), training=False), "float32"))

    def latent_index(self, factor):
        """A factor name (its block's first latent, e.g. "azimuth" -> 0) or a latent index -> int."""
        if isinstance(factor, str):
            if factor not in self.factor_latents:
                raise ValueError(f"unknown factor {factor!r}; expected one of {list(FACTOR_NAMES)} or a latent index")
            return self.factor_latents[factor][0]
        index = int(factor)
        if not 0 <= index < self.latent_dim:
            raise ValueError(f"latent index must be in [0, {self.latent_dim}); got {index}")
        return index

    def rerender(self, images, factor, values):
        """Encodes, sets one latent, decodes (paper Figs 4, 5, 7).

        Args:
          images: `[B, S, S, C]`.
          factor: a factor name (sets the first latent of its block) or a latent index.
          values: a scalar, or `[V]` values for the latent.

        Returns:
          `[B, S, S, C]` for a scalar value, else `[B, V, S, S, C]`.
        """
        index = self.latent_index(factor)
        z = ops.cast(self.encode(images), "float32")
        values = ops.cast(ops.convert_to_tensor(values), "float32")
        scalar = len(values.shape) == 0
        values = ops.reshape(values, (-1,))
        num_values = values.shape[0]
        batch = ops.shape(z)[0]
        z = ops.repeat(z[:, None, :], num_values, axis=1)  # [B, V, Z]
        onehot = ops.one_hot(index, self.latent_dim)
        z = z * (1.0 - onehot) + values[None, :, None] * onehot
        out = self.decode(ops.reshape(z, (-1, self.latent_dim)))
        out = ops.reshape(out, (batch, num_values, self.image_size, self.image_size, self.channels))
        return out[:, 0] if scalar else out

    def most_varying_latent(self, images):
        """Index of the latent whose posterior mean varies most over `images` `[B, S, S, C]` (paper 4.1.1:
        how the entangled baseline's azimuth latent is chosen on an azimuth group)."""
        return int(np.argmax(np.var(np.asarray(self.encode(images)), axis=0)))

    # ----------------------------------------------------------------------------- config
    def get_config(self):
        return {
            **super().get_config(),
            "image_size": self.image_size,
            "channels": self.channels,
            "latent_dim": self.latent_dim,
            "encoder_filters": list(self.encoder_filters),
            "encoder_kernel": self.encoder_kernel,
            "encoder_padding": self.encoder_padding,
            "decoder_grid": self.decoder_grid,
            "up_factors": list(self.up_factors),
            "decoder_grid_channels": self.decoder_grid_channels,
            "decoder_filters": list(self.decoder_filters),
            "decoder_kernel": self.decoder_kernel,
            "factor_latents": {k: list(v) for k, v in self.factor_latents.items()},
            "clamp": self.clamp,
            "invariance_strength": self.invariance_strength,
            "inactive_gradient": self.inactive_gradient,
            "clamp_at": self.clamp_at,
            "seed": self.seed,
        }


def build_dcign(image_size=150, **overrides):
    """A DC-IGN for `image_size` with a layout that fits: the paper's at 150, 'valid' encoder convs when the
    last grid keeps at least 3x3 (64 -> 4x4), 'same' otherwise (32 -> 4x4). `overrides` go to `DCIGN`."""
    kwargs = dict(image_size=image_size)
    filters = overrides.get("encoder_filters", (96, 48, 24))
    kernel = overrides.get("encoder_kernel", 5)
    kwargs["encoder_padding"] = (
        "valid" if encoder_output_side(image_size, len(filters), kernel, "valid") >= 3 else "same"
    )
    kwargs.update(overrides)
    return DCIGN(**kwargs)
