"""Installs tf_ivg (the library) and tf_ivg_datasets (the tfds builders in datasets/)."""

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
VERSION = re.search(r'__version__ = "([^"]+)"', (HERE / "tf_ivg" / "__init__.py").read_text()).group(1)

dataset_packages = ["tf_ivg_datasets"] + ["tf_ivg_datasets." + p for p in find_packages(where="datasets")]

setup(
    name="tf_ivg",
    version=VERSION,
    description="Vision as inverse graphics in TensorFlow/Keras: volumetric reconstruction and DC-IGN.",
    long_description=(HERE / "README.md").read_text(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10,<3.13",
    packages=find_packages(include=["tf_ivg", "tf_ivg.*"]) + dataset_packages,
    package_dir={"tf_ivg_datasets": "datasets"},
    include_package_data=True,
    package_data={
        "tf_ivg": ["pretrained/*"],
        "tf_ivg_datasets": ["*/dummy_data/*", "*/README.md", "*/CITATIONS.bib", "*/checksums.tsv"],
    },
    install_requires=[
        "tensorflow>=2.21,<2.22",
        "keras>=3.10,<4",
        "tensorflow-datasets>=4.9.9,<5",
        "importlib_resources>=6",
        "tensorflow-serving-api>=2.21,<2.22",
        "grpcio>=1.60,<2",
        "numpy>=1.26,<3",
        "scipy>=1.11,<2",
        "scikit-image>=0.22,<1",
        "scikit-learn>=1.3,<2",  # disentanglement_lib's DCI (gradient-boosted trees)
        "trimesh>=4,<6",
        "matplotlib>=3.8,<4",
        "tqdm>=4.66,<5",
        "tensorboard>=2.20,<3",  # tf.summary for `tf-ivg train` logs (TF 2.21 no longer pulls it in)
        "pillow>=10,<13",
    ],
    extras_require={
        "test": [
            "pytest>=8,<10",
            "ruff>=0.17,<0.18",
            # cross-checks our camera against tensorflow-graphics (tests/graphics); it does not install on 3.12
            'tensorflow-graphics==2021.12.3; python_version < "3.12"',
            "pytest-timeout>=2.2,<3",
            "pytest-xdist>=3.5,<4",  # `make test` runs the suite on 2 workers
            "dill>=0.3.8",
            "nbclient>=0.10,<1",
            "nbformat>=5.9,<6",
            "ipykernel>=6.29,<8",
        ],
    },
    entry_points={"console_scripts": ["tf-ivg=tf_ivg.cli:main"]},
)
