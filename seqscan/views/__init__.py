"""Page blueprints and the JSON API."""

from flask import Flask


def init_app(app: Flask) -> None:
    from seqscan import metrics
    from seqscan.jobs.liveness import interrupted, waiting_for, worker_command
    from seqscan.views import actions, api, auth, home, missing, runs, scans, status

    for module in (auth, home, scans, runs, missing, status, actions, api, metrics):
        app.register_blueprint(module.bp)
    # Pages show a dead scan as such at once, without writing (see seqscan.jobs.liveness).
    app.add_template_global(interrupted)
    app.add_template_global(waiting_for)
    app.add_template_global(worker_command)
