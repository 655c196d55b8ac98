"""Keras models: VolumeIGN (Grant et al. 2016) and DCIGN (Kulkarni et al. 2015).

Shape key: B batch, S image side, T frames, D volume side, K shape code, Z transformation code.
"""

from tf_ivg.models.dcign import DCIGN, build_dcign  # noqa: F401
from tf_ivg.models.decoders import build_image_decoder, build_volume_decoder
from tf_ivg.models.encoders import build_encoder
from tf_ivg.models.volume_ign import VolumeIGN

__all__ = ["VolumeIGN", "build_encoder", "build_image_decoder", "build_volume_decoder"]
