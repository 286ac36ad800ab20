"""Page blueprints."""

from flask import Flask


def init_app(app: Flask) -> None:
    from seqscan.views import scans

    app.register_blueprint(scans.bp)
