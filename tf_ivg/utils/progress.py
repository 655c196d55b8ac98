"""Progress bars for long work (rendering, training) that stay out of redirected logs.

`progress_bar(total, desc, unit, enabled)` is a tqdm bar on a terminal or in a notebook; when stderr is
redirected to a file (a `nohup ... > run.log` run) it shows nothing, so logs hold no carriage returns or
escape codes.
"""

import sys


def interactive():
    """True on a terminal or when running in a Jupyter/Colab kernel (where tqdm draws a widget).

    A kernel is recognised by IPython's running shell having a kernel, not by `ipykernel` being imported: a
    process that merely imported it (a test that launches notebooks, a tool) writes to a plain stream."""
    if "ipykernel" in sys.modules and "IPython" in sys.modules:
        shell = sys.modules["IPython"].get_ipython()
        if shell is not None and getattr(shell, "kernel", None) is not None:
            return True
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def progress_bar(total, desc, unit="it", enabled=True):
    """A tqdm bar over `total` items, disabled when `enabled` is False or the output is not interactive."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, mininterval=0.5, disable=not (enabled and interactive()))
