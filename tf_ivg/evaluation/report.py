"""A small Markdown report writer: headings, paragraphs, tables and images, written atomically."""

import math
import os
from pathlib import Path

from tf_ivg.utils.files import write_text


def format_number(value, digits=4):
    """Numbers in tables: ints as-is, floats to `digits` significant digits, None as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return f"{value:.{digits}g}"
    return str(value)


class Report:
    """Collects Markdown blocks; `write(path)` saves them. Image paths are stored relative to the report."""

    def __init__(self, title):
        self.blocks = [f"# {title}"]

    def heading(self, text, level=2):
        self.blocks.append("#" * level + " " + text)
        return self

    def paragraph(self, text):
        self.blocks.append(text.strip())
        return self

    def code(self, text, language="bash"):
        self.blocks.append(f"```{language}\n{text.strip()}\n```")
        return self

    def table(self, headers, rows, digits=4):
        """`headers`: column names; `rows`: lists of cells (numbers are formatted)."""
        headers = [str(h).replace("|", "\\|") for h in headers]
        lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        for row in rows:
            if len(row) != len(headers):
                raise ValueError(f"table row has {len(row)} cells, expected {len(headers)}")
            lines.append("| " + " | ".join(format_number(cell, digits).replace("|", "\\|") for cell in row) + " |")
        self.blocks.append("\n".join(lines))
        return self

    def image(self, path, caption, relative_to=None):
        path = Path(path)
        if relative_to is not None:
            path = Path(os.path.relpath(path.resolve(), Path(relative_to).resolve()))
        self.blocks.append(f"![{caption}]({path.as_posix()})\n\n*{caption}*")
        return self

    def markdown(self):
        return "\n\n".join(self.blocks) + "\n"

    def write(self, path):
        return write_text(path, self.markdown())
