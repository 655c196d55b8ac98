"""Progress bars show on a terminal or in a running notebook kernel, never in a redirected stream."""

import io
import sys
import types

from tf_ivg.utils import progress


class _Stream(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


def _ipython(shell):
    return types.SimpleNamespace(get_ipython=lambda: shell)


def test_a_redirected_stream_is_not_interactive_even_with_ipykernel_imported(monkeypatch):
    monkeypatch.setattr(sys, "stderr", _Stream(tty=False))
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    monkeypatch.setitem(sys.modules, "IPython", _ipython(None))  # imported, but no shell is running
    assert not progress.interactive()
    bar = progress.progress_bar(total=3, desc="rendering faces")
    bar.update(3)
    bar.close()
    assert sys.stderr.getvalue() == ""


def test_a_terminal_or_a_running_kernel_is_interactive(monkeypatch):
    monkeypatch.setattr(sys, "stderr", _Stream(tty=True))
    assert progress.interactive()
    monkeypatch.setattr(sys, "stderr", _Stream(tty=False))
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    monkeypatch.setitem(sys.modules, "IPython", _ipython(types.SimpleNamespace(kernel=object())))
    assert progress.interactive()
