"""tfds's DatasetBuilderTestCase on each builder's small config (nothing is downloaded), the builders'
metadata and the one-way import between tf_ivg.data and tf_ivg_datasets."""

import subprocess
import sys

import pytest
import tensorflow_datasets as tfds

import tf_ivg_datasets  # noqa: F401
from tf_ivg.data import specs
from tf_ivg_datasets.ivg_chairs.ivg_chairs_dataset_builder import Builder as ChairsBuilder
from tf_ivg_datasets.ivg_faces.ivg_faces_dataset_builder import Builder as FacesBuilder


class IvgFacesVolumesTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = FacesBuilder
    BUILDER_CONFIG_NAMES_TO_TEST = ["volumes_32_small"]
    SPLITS = {"train": 150, "validation": 30, "test": 30}
    SKIP_TF1_GRAPH_MODE = True


class IvgChairsDcignTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = ChairsBuilder
    BUILDER_CONFIG_NAMES_TO_TEST = ["dcign_32_small"]
    SPLITS = {"train": 16, "validation": 8, "test": 8}  # chairs, each at 60 poses
    SKIP_TF1_GRAPH_MODE = True


@pytest.mark.parametrize("name", sorted(specs.SPECS))
def test_builder_metadata(name, tmp_path):
    """Both papers cited, no homepage, the README as description, image -> volume for configs with volumes."""
    builder = tfds.builder(name, data_dir=str(tmp_path))
    info, spec = builder.info, specs.get_spec(name)
    assert type(builder) is {"faces": FacesBuilder, "chairs": ChairsBuilder}[spec.family]
    assert builder.builder_config.description == spec.description
    assert str(builder.version) == {"faces": "1.0.0", "chairs": "2.0.0"}[spec.family]
    for title in (
        "Deep Disentangled Representations for Volumetric Reconstruction",
        "Deep Convolutional Inverse Graphics",
    ):
        assert title in info.citation
    assert "1610.03777" in info.citation
    assert not info.as_proto.location.urls  # no homepage (tfds shows its catalog address in its place)
    assert info.description.startswith("Procedural ") and "nothing is downloaded" in info.description
    expected = ("image", "volume") if spec.kind in ("volumes", "video") else None
    assert info.supervised_keys == expected


def test_no_import_cycle(tmp_path):
    """Each side imports on its own in a fresh process. tf_ivg.data imports no builder until one is asked
    for; then `specs.builder` registers it by module name (no `import tf_ivg_datasets` needed)."""
    data_side = (
        "import sys\n"
        "import tf_ivg.data.build, tf_ivg.data.pipelines\n"
        "from tf_ivg.data import specs\n"
        "assert 'tf_ivg_datasets' not in sys.modules, sorted(m for m in sys.modules if 'ivg' in m)\n"
        f"b = specs.builder('ivg_chairs/volumes_32_small', data_dir={str(tmp_path)!r})\n"
        "assert type(b).__module__ == 'tf_ivg_datasets.ivg_chairs.ivg_chairs_dataset_builder', type(b)\n"
        "assert not b.is_prepared()\n"
    )
    for code in (data_side, "import tf_ivg_datasets"):
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
