"""ivg_chairs: procedural parametric chairs with volumes and DC-IGN groups (see README.md)."""

from tf_ivg.data.tfds_builder import RELEASE_NOTES, VERSIONS, IvgBuilder, configs_for


class Builder(IvgBuilder):
    """Chairs in 6 styles with continuous proportions, rendered by sphere tracing, with volumes."""

    FAMILY = "chairs"
    VERSION = VERSIONS["chairs"]
    RELEASE_NOTES = RELEASE_NOTES["chairs"]
    BUILDER_CONFIGS = configs_for("chairs")
