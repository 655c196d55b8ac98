"""Keeps TensorFlow's native start-up lines (CUDA probing on a CPU-only machine, absl's pre-init
notice) out of the command-line tools' output.

Those lines are written by C++ straight to file descriptor 2, before Python's logging exists, so
`TF_CPP_MIN_LOG_LEVEL` does not silence all of them. `import_tensorflow_quietly()` imports TensorFlow
and initialises its devices with descriptor 2 pointed at a temporary file, then restores it; if the
import fails, what TensorFlow wrote is replayed so the error stays visible. `tf-ivg --verbose` skips it.
"""

import os
import sys
import tempfile


def import_tensorflow_quietly():
    """Imports TensorFlow (and lists its devices, which probes CUDA) without native log lines."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            import tensorflow as tf

            tf.config.list_physical_devices()
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    return tf
