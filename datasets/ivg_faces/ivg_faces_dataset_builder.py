"""ivg_faces: procedural morphable faces with volumes, videos and DC-IGN groups (see README.md)."""

from tf_ivg.data.tfds_builder import RELEASE_NOTES, VERSIONS, IvgBuilder, configs_for


class Builder(IvgBuilder):
    """Faces rendered by sphere tracing from a 40-coefficient SDF face model, with volumes."""

    FAMILY = "faces"
    VERSION = VERSIONS["faces"]
    RELEASE_NOTES = RELEASE_NOTES["faces"]
    BUILDER_CONFIGS = configs_for("faces")
