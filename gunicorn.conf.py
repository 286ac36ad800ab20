"""gunicorn reads this file when started in this folder (`gunicorn app:app`, the systemd unit)."""


def on_starting(server) -> None:
    """Check seqscan's settings in gunicorn's master, before it listens or boots a worker: a bad one
    stops gunicorn with one line (each worker refusing on its own ends in gunicorn's traceback)."""
    from seqscan import check_settings_or_exit

    check_settings_or_exit()
