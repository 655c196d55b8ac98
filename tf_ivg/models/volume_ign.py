"""VolumeIGN: Grant et al. 2016's twin-tailed volumetric reconstructor (sections 3.1, 4.1, 4.5, 4.7, 4.8).

Shape key: B batch, S image side, T frames, D volume side, K shape-code units, Z transformation-code units.

One encoder maps an image `[B, S, S, 3]` (or a clip `[B, T, S, S, 3]`) to a shape code `[B, K]`
and a transformation code `[B, Z]`. Switches route each training batch to ONE decoder:
- the volume decoder (shape code -> occupancy `[B, D, D, D]`, MSE against the target volume), or
- the image decoder (both codes -> the input image, MSE; no gradient reaches the shape code).

Schedules: `"alternate"` (paper 4.5: `switch_every` batches to the volume decoder, then as many
to the image decoder, counted by the optimizer's step so resumed runs keep the phase) and
`"volume_only"` (paper 4.2: the image decoder is switched off).

Keeping the idle decoder still. The forward pass picks its decoder with `tf.cond`; gradients and
updates stay outside the cond (an optimizer `apply` inside `tf.cond` breaks under MirroredStrategy).
Adam moves weights whose gradient is zero (its momentum), so each decoder gets its own optimizer,
a clone of the compiled one, and the encoder keeps the compiled one. Every step all three apply;
afterwards the idle decoder's weights AND its optimizer's variables (moments, step count) are
restored from a copy taken before the step, on every replica's copy (`_restore_where`: public
`tf.distribute` API only). So an idle decoder is bit-for-bit unchanged, and each decoder's Adam
behaves as if its off batches never happened (bias correction counts only its own steps). The
encoder's Adam sees every batch.

CPU fast paths. Every layer and optimizer is a stock Keras class or one of tf_ivg's own layers. When Keras
builds the train function (the first `fit` / `train_on_batch`, and again after each `compile`) the model
calls `tf_ivg.fast.apply` on itself, which installs the fast paths its switch (`TF_IVG_FAST`) has on, on
the layer instances. A saved model names none of it and loads without `tf_ivg.fast`.

Inference: `reconstruct(images) -> [B, D, D, D]`, `encode(images) -> (shape [B, K], transformation
[B, Z])`, `render(shape, transformation) -> images`; `call(images)` is `reconstruct`.
"""

import keras
import tensorflow as tf
from keras import ops

from tf_ivg.layers.input_novelty import InputNovelty
from tf_ivg.metrics import voxel_iou
from tf_ivg.models.decoders import build_image_decoder, build_volume_decoder
from tf_ivg.models.encoders import build_encoder
from tf_ivg.models.volume_loss import per_example_mse

SCHEDULES = ("alternate", "volume_only")


def _clone_optimizer(optimizer):
    return keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))


def _tf_variable(v):
    return v.value if isinstance(v, keras.Variable) else v


def _restore_where(keep_old, variables, snapshots):
    """Sets each variable, on every replica, to its snapshot where `keep_old` (scalar bool).

    Called in replica context (`train_step`): the public `strategy.extended.update` runs the
    assignment on each replica's copy itself (through a merge call where the strategy needs one).
    `keep_old` and the snapshot go as `args`, so each replica's copy gets its own replica's values.
    """
    strategy = tf.distribute.get_strategy()
    for var, old in zip(variables, snapshots):
        strategy.extended.update(_tf_variable(var), _assign_where, args=(keep_old, old), group=False)


def _assign_where(var, keep_old, old):
    return var.assign(tf.where(keep_old, old, var))


@keras.saving.register_keras_serializable(package="tf_ivg")
class VolumeIGN(keras.Model):
    """Encoder + volume decoder + image decoder, trained with decoder switching.

    Args:
      image_size: S (80 in the paper). frames: T (1 = single images, 5 for paper 4.7's clips).
      channels: image channels (3).
      volume_size: D (80 for faces; 30 or 32 for chairs).
      shape_code: K (185; chairs 599). transformation_code: Z (15; chairs 1).
      encoder_filters, stn_filters, fc_units, stn_theta_scale: see `build_encoder` (stn_theta_scale
        defaults to 1.0, the plain STN; the configs set 0.01).
      volume_grid, volume_filters, volume_upsampling: see `build_volume_decoder`.
      volume_output_upsampling, volume_stage_upsampling: "depth_to_space" or "repeat"
        (`build_volume_decoder`'s `output_upsampling` and `stage_upsampling`: sub-voxel
        convolutions or nearest up-sampling + convolution; the same multiply-adds).
      image_grid, image_filters, image_upsampling: see `build_image_decoder`.
      schedule: "alternate" or "volume_only". switch_every: batches per decoder turn (3).
      iou_threshold: occupancy threshold for the IoU metric (paper 4.8 binarises at 0.2).
      rrelu: (lower, upper) RReLU slope bounds.
      novelty: True gives the model an `InputNovelty` layer on its shape code (fitted after training by
        `tf_ivg.novelty.with_novelty`), which scores how unlike the training images an input is.

    Data: `(images, volumes)` with images `[B, S, S, C]` (`[B, T, S, S, C]`) in [0, 1] and
    volumes `[B, D, D, D]` in {0, 1}.
    """

    def __init__(
        self,
        image_size=80,
        frames=1,
        channels=3,
        volume_size=80,
        shape_code=185,
        transformation_code=15,
        encoder_filters=(32, 64, 96),
        stn_filters=20,
        fc_units=0,
        stn_theta_scale=1.0,
        volume_grid=5,
        volume_filters=(64, 32, 16, 8),
        volume_upsampling=(2, 2, 2, 2),
        volume_output_upsampling="depth_to_space",
        volume_stage_upsampling="depth_to_space",
        image_grid=10,
        image_filters=(64, 32, 16),
        image_upsampling=(2, 2, 2),
        schedule="alternate",
        switch_every=3,
        iou_threshold=0.5,
        rrelu=(1.0 / 8.0, 1.0 / 3.0),
        novelty=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}; got {schedule!r}")
        if not isinstance(switch_every, int) or switch_every <= 0:
            raise ValueError(f"switch_every must be a positive int; got {switch_every!r}")
        self.image_size = int(image_size)
        self.frames = int(frames)
        self.channels = int(channels)
        self.volume_size = int(volume_size)
        self.shape_code = int(shape_code)
        self.transformation_code = int(transformation_code)
        self.encoder_filters = [int(f) for f in encoder_filters]
        self.stn_filters = int(stn_filters)
        self.fc_units = int(fc_units)
        self.stn_theta_scale = float(stn_theta_scale)
        self.volume_grid = int(volume_grid)
        self.volume_filters = [int(f) for f in volume_filters]
        self.volume_upsampling = [int(u) for u in volume_upsampling]
        self.volume_output_upsampling = volume_output_upsampling
        self.volume_stage_upsampling = volume_stage_upsampling
        self.image_grid = int(image_grid)
        self.image_filters = [int(f) for f in image_filters]
        self.image_upsampling = [int(u) for u in image_upsampling]
        self.schedule = schedule
        self.switch_every = switch_every
        self.iou_threshold = float(iou_threshold)
        self.rrelu = [float(r) for r in rrelu]
        if not isinstance(novelty, bool):
            raise ValueError(f"novelty must be True or False; got {novelty!r}")
        self.has_novelty_layer = novelty

        self.encoder = build_encoder(
            image_size=self.image_size,
            frames=self.frames,
            channels=self.channels,
            filters=self.encoder_filters,
            stn_filters=self.stn_filters,
            fc_units=self.fc_units,
            shape_code=self.shape_code,
            transformation_code=self.transformation_code,
            rrelu=self.rrelu,
            stn_theta_scale=self.stn_theta_scale,
        )
        self.volume_decoder = build_volume_decoder(
            volume_size=self.volume_size,
            shape_code=self.shape_code,
            grid=self.volume_grid,
            filters=self.volume_filters,
            upsampling=self.volume_upsampling,
            rrelu=self.rrelu,
            output_upsampling=self.volume_output_upsampling,
            stage_upsampling=self.volume_stage_upsampling,
        )
        self.image_decoder = build_image_decoder(
            image_size=self.image_size,
            frames=self.frames,
            channels=self.channels,
            shape_code=self.shape_code,
            transformation_code=self.transformation_code,
            grid=self.image_grid,
            filters=self.image_filters,
            upsampling=self.image_upsampling,
            rrelu=self.rrelu,
        )
        self.input_novelty = InputNovelty(self.shape_code, name="input_novelty") if novelty else None
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.volume_mse_tracker = keras.metrics.Mean(name="volume_mse")
        self.volume_iou_tracker = keras.metrics.Mean(name="volume_iou")
        self.image_mse_tracker = keras.metrics.Mean(name="image_mse")
        self.volume_optimizer = None
        self.image_optimizer = None
        self.built = True

    # ---- shapes -------------------------------------------------------------------------------
    @property
    def image_shape(self):
        """Per-example input shape: `(S, S, C)` or `(T, S, S, C)`."""
        single = (self.image_size, self.image_size, self.channels)
        return single if self.frames == 1 else (self.frames, *single)

    @property
    def uses_image_decoder(self):
        return self.schedule != "volume_only"

    # ---- inference ----------------------------------------------------------------------------
    def call(self, images, training=False):
        """`[B, S, S, C]` (or `[B, T, S, S, C]`) -> predicted occupancy `[B, D, D, D]`."""
        shape, _ = self.encoder(images, training=training)
        return self.volume_decoder(shape, training=training)

    def reconstruct(self, images):
        """Images -> volumes `[B, D, D, D]` (inference mode)."""
        return self(ops.convert_to_tensor(images, "float32"), training=False)

    def encode(self, images):
        """Images -> `(shape_code [B, K], transformation_code [B, Z])` (inference mode)."""
        shape, transformation = self.encoder(ops.convert_to_tensor(images, "float32"), training=False)
        return shape, transformation

    def render(self, shape_code, transformation_code):
        """Codes `[B, K]`, `[B, Z]` -> images `[B, S, S, C]` (`[B, T, S, S, C]`); swap codes between
        images to re-render one shape under another's pose and light."""
        return self.image_decoder(
            [ops.convert_to_tensor(shape_code, "float32"), ops.convert_to_tensor(transformation_code, "float32")],
            training=False,
        )

    @property
    def has_novelty(self):
        """True when the model carries fitted in-distribution statistics (`novelty`, `novelty_threshold`)."""
        return self.input_novelty is not None and self.input_novelty.is_fitted

    def _require_novelty(self):
        if not self.has_novelty:
            raise ValueError(
                "this model has no fitted in-distribution statistics; add them with "
                "tf_ivg.novelty.with_novelty(model, training_images, held_out_images)"
            )

    def novelty(self, images):
        """Images -> novelty `[B]`: how unlike the training images each input is, from its shape code (a
        typical training image scores about 1; above `novelty_threshold` counts as out of distribution)."""
        self._require_novelty()
        shape, _ = self.encode(images)
        return self.input_novelty(shape)

    @property
    def novelty_threshold(self):
        """The novelty above which an input is out of distribution (float)."""
        self._require_novelty()
        return float(ops.convert_to_numpy(self.input_novelty.threshold))

    # ---- training -----------------------------------------------------------------------------
    def compile(self, optimizer="adam", **kwargs):
        """Compiles; `optimizer` trains the encoder, and each decoder gets its own clone of it."""
        super().compile(optimizer=optimizer, **kwargs)
        self.volume_optimizer = _clone_optimizer(self.optimizer)
        self.image_optimizer = _clone_optimizer(self.optimizer)
        self.optimizer.build(self.encoder.trainable_variables)
        self.volume_optimizer.build(self.volume_decoder.trainable_variables)
        self.image_optimizer.build(self.image_decoder.trainable_variables)

    def make_train_function(self, force=False):
        if self.train_function is None or force:
            # Imported here, not at the top: loading or using a saved model never needs tf_ivg.fast.
            from tf_ivg import fast

            fast.apply(self)
        return super().make_train_function(force)

    def compile_from_config(self, config):
        """Recompiles a loaded model (so its three optimizers exist before their state is read)."""
        self.compile(**keras.saving.deserialize_keras_object(config))

    def route_to_volume(self, step):
        """Scalar bool: does batch number `step` (0-based) go to the volume decoder?"""
        if self.schedule == "volume_only":
            return ops.convert_to_tensor(True)
        return ops.equal((ops.cast(step, "int64") // self.switch_every) % 2, 0)

    @property
    def metrics(self):
        trackers = [self.loss_tracker, self.volume_mse_tracker, self.volume_iou_tracker]
        return trackers + [self.image_mse_tracker] if self.uses_image_decoder else trackers

    def _volume_terms(self, shape, volumes, training):
        """`(mse [B], iou [B])` of the volume decoder's output against `volumes` `[B, D, D, D]`."""
        expected = (self.volume_size,) * 3
        if None not in volumes.shape[1:] and tuple(volumes.shape[1:]) != expected:
            raise ValueError(
                f"volume targets must be [B, {', '.join(map(str, expected))}] like the decoder's output; "
                f"got shape {tuple(volumes.shape)}"
            )
        predicted = self.volume_decoder(shape, training=training)
        return per_example_mse(predicted, volumes), voxel_iou(predicted, volumes, self.iou_threshold)

    def _image_terms(self, shape, transformation, images, training):
        predicted = self.image_decoder([shape, transformation], training=training)
        return per_example_mse(predicted, images)

    def train_step(self, data):
        """One batch `(images, volumes)` through the encoder and the scheduled decoder; see the module
        docstring for how the idle decoder is kept still."""
        images, volumes = data[0], data[1]
        use_volume = self.route_to_volume(self.optimizer.iterations)
        encoder_vars = self.encoder.trainable_variables
        volume_vars = self.volume_decoder.trainable_variables
        image_vars = self.image_decoder.trainable_variables
        with tf.GradientTape() as tape:
            shape, transformation = self.encoder(images, training=True)
            if self.uses_image_decoder:

                def volume_branch():
                    mse, iou = self._volume_terms(shape, volumes, True)
                    return mse, mse, iou, ops.zeros_like(mse)

                def image_branch():
                    mse = self._image_terms(shape, transformation, images, True)
                    zeros = ops.zeros_like(mse)
                    return mse, zeros, zeros, mse

                per_example, volume_mse, iou, image_mse = tf.cond(use_volume, volume_branch, image_branch)
            else:
                volume_mse, iou = self._volume_terms(shape, volumes, True)
                per_example = volume_mse
            # Sum over the global batch / global batch size: correct under any number of replicas.
            loss = tf.nn.compute_average_loss(per_example)
        all_vars = encoder_vars + volume_vars + (image_vars if self.uses_image_decoder else [])
        grads = tape.gradient(loss, all_vars)
        grads = [ops.zeros_like(v) if g is None else g for g, v in zip(grads, all_vars)]
        n_enc, n_vol = len(encoder_vars), len(volume_vars)

        if self.uses_image_decoder:
            volume_state = list(volume_vars) + list(self.volume_optimizer.variables)
            image_state = list(image_vars) + list(self.image_optimizer.variables)
            volume_snapshot = [tf.identity(ops.convert_to_tensor(v)) for v in volume_state]
            image_snapshot = [tf.identity(ops.convert_to_tensor(v)) for v in image_state]
        self.optimizer.apply(grads[:n_enc], encoder_vars)
        self.volume_optimizer.apply(grads[n_enc : n_enc + n_vol], volume_vars)
        if self.uses_image_decoder:
            self.image_optimizer.apply(grads[n_enc + n_vol :], image_vars)
            _restore_where(ops.logical_not(use_volume), volume_state, volume_snapshot)
            _restore_where(use_volume, image_state, image_snapshot)

        # Per-example updates: the metrics are exact means over all examples whatever the replicas' shares.
        active = ops.ones_like(per_example) * ops.cast(use_volume, per_example.dtype)
        self.loss_tracker.update_state(per_example)
        self.volume_mse_tracker.update_state(volume_mse, sample_weight=active)
        self.volume_iou_tracker.update_state(iou, sample_weight=active)
        if self.uses_image_decoder:
            self.image_mse_tracker.update_state(image_mse, sample_weight=1.0 - active)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        """Validation runs every trained decoder on every batch; `loss` is the volume MSE plus, unless
        the schedule is volume_only, the image MSE."""
        images, volumes = data[0], data[1]
        shape, transformation = self.encoder(images, training=False)
        volume_mse, iou = self._volume_terms(shape, volumes, False)
        loss = volume_mse
        self.volume_mse_tracker.update_state(volume_mse)
        self.volume_iou_tracker.update_state(iou)
        if self.uses_image_decoder:
            image_mse = self._image_terms(shape, transformation, images, False)
            self.image_mse_tracker.update_state(image_mse)
            loss = loss + image_mse
        self.loss_tracker.update_state(loss)
        return {m.name: m.result() for m in self.metrics}

    # ---- serialisation ------------------------------------------------------------------------
    def get_config(self):
        return {
            **super().get_config(),
            "image_size": self.image_size,
            "frames": self.frames,
            "channels": self.channels,
            "volume_size": self.volume_size,
            "shape_code": self.shape_code,
            "transformation_code": self.transformation_code,
            "encoder_filters": self.encoder_filters,
            "stn_filters": self.stn_filters,
            "fc_units": self.fc_units,
            "stn_theta_scale": self.stn_theta_scale,
            "volume_grid": self.volume_grid,
            "volume_filters": self.volume_filters,
            "volume_upsampling": self.volume_upsampling,
            "volume_output_upsampling": self.volume_output_upsampling,
            "volume_stage_upsampling": self.volume_stage_upsampling,
            "image_grid": self.image_grid,
            "image_filters": self.image_filters,
            "image_upsampling": self.image_upsampling,
            "schedule": self.schedule,
            "switch_every": self.switch_every,
            "iou_threshold": self.iou_threshold,
            "rrelu": self.rrelu,
            "novelty": self.has_novelty_layer,
        }
