"""gunicorn reads this file when started in this folder (`gunicorn app:app`, the systemd unit)."""

import subprocess
import sys

CHECK = "from seqscan import check_settings_or_exit; check_settings_or_exit()"


def on_starting(server) -> None:
    """Check seqscan's settings in gunicorn's master, before it listens or boots a worker: a bad one
    stops gunicorn with one line (each worker refusing on its own ends in gunicorn's traceback).

    The check runs in a process of its own, so that the master never imports seqscan: the workers a
    reload (SIGHUP, `systemctl reload seqscan-web`) boots then import all of the code as it is now,
    not the parts the master would hold from its start."""
    done = subprocess.run([sys.executable, "-c", CHECK], check=False)
    if done.returncode:
        sys.exit(done.returncode)
