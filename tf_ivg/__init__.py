"""tf_ivg: vision as inverse graphics in TensorFlow/Keras.

Importing the package is cheap: submodules (layers, models, graphics, data,
evaluation, serving) are imported on demand.
"""

__version__ = "0.1.0"
