"""Custom Keras layers of tf_ivg (all registered under the "tf_ivg" package).

Shape key: B batch, H/W height/width, D volume side, C channels, Z latent units.
"""

from tf_ivg.layers.activations import RReLU
from tf_ivg.layers.gradients import BatchMeanClamp, GradientBlock
from tf_ivg.layers.input_novelty import InputNovelty
from tf_ivg.layers.sampling import GaussianSample
from tf_ivg.layers.spatial_transformer import AffineGridSampler, SpatialTransformer, localization_network
from tf_ivg.layers.upsampling import DepthToSpace3D

__all__ = [
    "AffineGridSampler",
    "BatchMeanClamp",
    "DepthToSpace3D",
    "GaussianSample",
    "GradientBlock",
    "InputNovelty",
    "RReLU",
    "SpatialTransformer",
    "localization_network",
]
