"""Progress bars for long work (rendering, training) that stay out of redirected logs.

`progress_bar(total, desc, unit, enabled)` is a tqdm bar on a terminal or in a notebook; when stderr is
redirected to a file (a `nohup ... > run.log` run) it shows nothing, so logs hold no carriage returns or
escape codes.
"""

import sys


def interactive():
    """True on a terminal or in a Jupyter/Colab kernel (where tqdm draws a widget)."""
    if "ipykernel" in sys.modules:
        return True
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def progress_bar(total, desc, unit="it", enabled=True):
    """A tqdm bar over `total` items, disabled when `enabled` is False or the output is not interactive."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, mininterval=0.5, disable=not (enabled and interactive()))
