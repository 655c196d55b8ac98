"""export/models.config is a valid TF Serving ModelServerConfig for the layout we write."""

import os
import re
from pathlib import Path

from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

EXPORT = Path(__file__).resolve().parents[2] / "export"


def test_models_config_parses_and_matches_layout():
    config = text_format.Parse((EXPORT / "models.config").read_text(), model_server_config_pb2.ModelServerConfig())
    entries = {c.name: c for c in config.model_config_list.config}
    assert sorted(entries) == ["dcign", "volume_ign"]
    for name, entry in entries.items():
        assert entry.base_path == f"/models/{name}"  # export/models mounted at /models
        assert entry.model_platform == "tensorflow"
    script = (EXPORT / "export_models.sh").read_text()
    assert sorted(re.findall(r"--model-name (\w+)", script)) == sorted(entries)
    assert os.access(EXPORT / "export_models.sh", os.X_OK)
