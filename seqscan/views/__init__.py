"""Page blueprints and the JSON API."""

from flask import Flask


def init_app(app: Flask) -> None:
    from seqscan import metrics
    from seqscan.views import api, auth, home, missing, runs, scans, status

    for module in (auth, home, scans, runs, missing, status, api, metrics):
        app.register_blueprint(module.bp)
