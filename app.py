"""Entry point for `flask --app app` and WSGI servers."""

from seqscan import create_app_or_exit

app = create_app_or_exit()
