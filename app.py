"""Entry point for `flask --app app` and WSGI servers."""

from seqscan import create_app

app = create_app()
