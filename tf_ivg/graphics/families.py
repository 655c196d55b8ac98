"""Registry of shape families by name ("faces", "chairs")."""

FAMILIES = ("faces", "chairs")


def get(name):
    """Returns the family module for `name`; ValueError for unknown names."""
    if name == "faces":
        from tf_ivg.graphics import faces

        return faces
    if name == "chairs":
        from tf_ivg.graphics import chairs

        return chairs
    raise ValueError(f"unknown shape family {name!r}; expected one of {FAMILIES}")
