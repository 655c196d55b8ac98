"""docs/results.md is generated from the committed JSON records (scripts/results_page.py) and up to date."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _module():
    spec = importlib.util.spec_from_file_location("results_page", ROOT / "scripts" / "results_page.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_page_is_what_the_records_generate(capsys):
    assert _module().main(["--check"]) == 0, capsys.readouterr().out[-3000:]


def test_placeholders_format_values_and_checkpoints(tmp_path):
    page = _module()
    record = {
        "metrics": {"t": -21.7726, "p": 1.49e-54, "mse": 0.01167, "mse_sd": 0.0031, "runs": [3, 4]},
        "checkpoint": {
            "source": "runs/x",
            "parameters": 330741,
            "config": "faces_volume/long",
            "steps": 3200,
            "batch_size": 10,
            "data": "ivg_faces/volumes_80",
            "finished": False,
        },
    }
    (tmp_path / "r.json").write_text(json.dumps(record))
    text = page.render(
        "t = {{r.json:metrics.t:.2f}}, p = {{r.json:metrics.p:.1e}}, {{r.json:metrics.mse:msd.4f}}, "
        "{{r.json:metrics.runs.1}}; {{checkpoint r.json}}",
        tmp_path,
    )
    body = text.split("\n", 1)[1]
    assert body.startswith("t = \u221221.77, p = 1.5e\u221254, 0.0117 (0.0031), 4; `runs/x`, 330,741 parameters, ")
    assert "3,200 steps of batch 10, data ivg_faces/volumes_80" in body and "did not finish" in body


@pytest.mark.parametrize(
    "template, message",
    [
        ("{{missing.json:metrics.t}}", "missing.json"),
        ("{{r.json:metrics.nope}}", "no key 'metrics.nope'"),
        ("{{r.json}}", "no KEY"),
    ],
)
def test_a_bad_placeholder_says_which(tmp_path, template, message):
    (tmp_path / "r.json").write_text(json.dumps({"metrics": {"t": 1.0}}))
    with pytest.raises(ValueError, match=message):
        _module().render(template, tmp_path)
