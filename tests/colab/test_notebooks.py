"""Executes every notebook in colab/ at smoke size in a real Jupyter kernel (nbclient) and fails on
any cell error.

The kernel is a temporary kernelspec whose argv is this interpreter (`sys.executable -m
ipykernel_launcher`), so the notebooks import the same tf_ivg as pytest. Parameters are injected as
papermill does: a cell placed right after the cell tagged `parameters` overrides `WORKDIR`,
`DATA_DIR` and `SMOKE` where that cell defines them. The kernel's working directory is the test's
temporary folder, so nothing is written into the repository; the executed copy of each notebook
(outputs and per-cell timings) is written there too.
"""

import os
import re
import sys
from pathlib import Path

import nbformat
import pytest
from ipykernel.kernelspec import write_kernel_spec
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

COLAB = Path(__file__).resolve().parents[2] / "colab"
NOTEBOOKS = sorted(COLAB.glob("*.ipynb"))
KERNEL_NAME = "tf-ivg-test"
CELL_TIMEOUT_S = 300

# Files each notebook must leave in WORKDIR: proof that its main steps ran, not only that no cell raised.
EXPECTED_FILES = {
    "01_volume_reconstruction.ipynb": ["run/model.keras", "run/config.json", "reconstructions.png", "face_0.glb"],
    "02_dcign.ipynb": [
        "run/model.keras",
        "traversals/traversal_azimuth.png",
        "traversals/traversal_light.png",
        "rerender.png",
    ],
    "03_serving.ipynb": ["models/volume_ign/1/saved_model.pb", "served.png"],
}

# What `SMOKE = False` must select: (config name, tfds dataset) of the paper-scale run.
FULL_RUNS = {
    "01_volume_reconstruction.ipynb": ("faces_volume", "ivg_faces/volumes_80"),
    "02_dcign.ipynb": ("dcign_faces", "ivg_faces/dcign_150"),
}


def parameters_index(nb):
    """Index of the single code cell tagged `parameters`."""
    found = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", [])
    ]
    if len(found) != 1:
        raise ValueError(f"expected exactly one code cell tagged 'parameters', found {len(found)}")
    return found[0]


def inject_parameters(nb, values):
    """Adds a cell after the parameters cell assigning those of `values` the parameters cell defines.

    Returns the names injected. Raises ValueError if the parameters cell lacks `WORKDIR`.
    """
    index = parameters_index(nb)
    defined = set(re.findall(r"^([A-Z_][A-Z0-9_]*)\s*=", nb.cells[index].source, flags=re.M))
    if "WORKDIR" not in defined:
        raise ValueError("the parameters cell must define WORKDIR (notebooks write only there)")
    names = [name for name in values if name in defined]
    source = "\n".join(f"{name} = {values[name]!r}" for name in names)
    # Also proves the kernel runs the interpreter (and so the install) that pytest runs.
    source += f"\nimport sys\nassert sys.prefix == {sys.prefix!r}, sys.prefix\n"
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(index + 1, cell)
    return names


@pytest.fixture(scope="session")
def kernel_dirs(tmp_path_factory):
    """A kernelspec folder holding one kernel that runs `sys.executable`."""
    kernels = tmp_path_factory.mktemp("kernels")
    write_kernel_spec(path=kernels / KERNEL_NAME, overrides={"display_name": "tf_ivg tests"})
    return [str(kernels)]


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    """One tfds data directory for all notebooks (the first that needs a dataset generates it)."""
    return str(tmp_path_factory.mktemp("tfds"))


def test_notebooks_present_and_cleared():
    names = {p.name for p in NOTEBOOKS}
    assert set(EXPECTED_FILES) <= names, f"missing notebooks in {COLAB}: {sorted(set(EXPECTED_FILES) - names)}"
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        parameters_index(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name}: outputs not cleared"
        first = next(c for c in nb.cells if c.cell_type == "code").source
        assert "REPO_URL" in first and 'find_spec("tf_ivg") is None' in first and "%pip install" in first, (
            f"{path.name}: the first code cell must install tf_ivg from REPO_URL only where it is missing"
        )


@pytest.mark.parametrize("name", sorted(FULL_RUNS))
def test_full_switch_selects_paper_config(name, tmp_path):
    """Runs the parameters cell and the setup cell after it in this process with `SMOKE = False`
    (the full runs themselves take hours) and checks the paper-scale config and dataset they pick."""
    nb = nbformat.read(COLAB / name, as_version=4)
    index = parameters_index(nb)
    namespace = {}
    exec(nb.cells[index].source, namespace)
    namespace.update(SMOKE=False, WORKDIR=str(tmp_path), DATA_DIR=str(tmp_path / "tfds"))
    exec(nb.cells[index + 1].source, namespace)
    config, (expected_name, expected_dataset) = namespace["CONFIG"], FULL_RUNS[name]
    assert (config["name"], config["variant"], config["dataset"]) == (expected_name, "full", expected_dataset)
    assert namespace["STEPS"] == config["steps"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, kernel_dirs, data_dir):
    nb = nbformat.read(path, as_version=4)
    workdir = tmp_path / "work"
    workdir.mkdir()
    inject_parameters(nb, {"SMOKE": True, "WORKDIR": str(workdir), "DATA_DIR": data_dir})
    km = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=KernelSpecManager(kernel_dirs=kernel_dirs))
    client = NotebookClient(
        nb, km=km, timeout=CELL_TIMEOUT_S, allow_errors=False, resources={"metadata": {"path": str(tmp_path)}}
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
    executed = tmp_path / path.name  # kept for inspection (pytest keeps the last runs' tmp folders)
    try:
        client.execute(env=env)
    except CellExecutionError as error:
        pytest.fail(f"{path.name} failed in a cell (executed copy: {executed}):\n{error}")
    finally:
        nbformat.write(nb, str(executed))
    missing = [f for f in EXPECTED_FILES.get(path.name, []) if not (workdir / f).is_file()]
    assert not missing, f"{path.name} ran but did not write {missing} under WORKDIR"
    # The kernel's working directory: anything here besides WORKDIR was written by a relative path.
    stray = sorted(set(os.listdir(tmp_path)) - {"work", path.name})
    assert not stray, f"{path.name} wrote {stray} into its working directory instead of WORKDIR"
