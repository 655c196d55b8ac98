import json

from tf_ivg import cli


def test_check_layers_reports_all_ok(capsys):
    assert cli.main(["check-layers", "--seed", "3"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["checks"]) == 5 and all(check["ok"] for check in report["checks"])
