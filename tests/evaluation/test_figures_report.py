import numpy as np
from PIL import Image

from tf_ivg.evaluation import figures
from tf_ivg.evaluation.report import Report


def test_figures_write_pngs(tmp_path):
    rng = np.random.default_rng(0)
    grid = figures.image_grid(
        tmp_path / "grid.png",
        [[rng.uniform(size=(8, 8, 3)), rng.uniform(size=(8, 8))], [None, rng.uniform(size=(8, 8, 1))]],
        row_labels=["a", "b"],
        col_labels=["x", "y"],
    )
    profile = figures.layer_profile_plot(
        tmp_path / "p.png", ["E1", "Z"], ["shape", "pose"], [[0.6, 0.7], [0.4, 0.3]], errors=[[0.1, 0.1], [0.1, 0.1]]
    )
    scatter = figures.scatter_plot(tmp_path / "s.png", rng.normal(size=20), rng.normal(size=20), "true", "latent")
    for path in (grid, profile, scatter):
        assert Image.open(path).format == "PNG"
    assert figures.activation_maps(rng.normal(size=(6, 6, 5)), max_maps=3).shape == (6, 18)
    assert figures.activation_maps(rng.normal(size=10)).shape == (4, 4)


def test_report_markdown(tmp_path):
    (tmp_path / "fig.png").write_bytes(b"x")
    report = (
        Report("Title")
        .heading("Table")
        .table(["name", "value"], [["a", 0.0123456], ["b", 3]])
        .image(tmp_path / "fig.png", "A figure", relative_to=tmp_path)
    )
    path = report.write(tmp_path / "report.md")
    text = path.read_text()
    assert text.startswith("# Title")
    assert "| a | 0.01235 |" in text and "| b | 3 |" in text
    assert "![A figure](fig.png)" in text


def test_atomic_files_get_normal_permissions(tmp_path):
    import os

    from tf_ivg.utils.files import write_text

    path = write_text(tmp_path / "a.md", "x")
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~mask


def test_index_accumulates_runs(tmp_path):
    import json

    from tf_ivg.evaluation.experiments import write_index
    from tf_ivg.evaluation.experiments.common import ExperimentResult

    (tmp_path / "a").mkdir()
    write_index(
        tmp_path, {"recognition": ExperimentResult("recognition", tmp_path / "a" / "report.md", {"x": 1.5}, [])}
    )
    write_index(tmp_path, {"video": "skipped: missing ckpt"})
    entries = json.loads((tmp_path / "results.json").read_text())
    assert entries["recognition"]["metrics"] == {"x": 1.5} and entries["video"] == {"status": "skipped: missing ckpt"}
    text = (tmp_path / "index.md").read_text()
    assert "[a/report.md](a/report.md)" in text and "skipped" in text
