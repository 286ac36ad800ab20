"""Page blueprints and the JSON API."""

from flask import Flask


def init_app(app: Flask) -> None:
    from seqscan.views import api, missing, runs, scans, status

    for module in (scans, runs, missing, status, api):
        app.register_blueprint(module.bp)
