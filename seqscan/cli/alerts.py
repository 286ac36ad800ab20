"""`flask alerts test`: check that alerts reach people."""

from __future__ import annotations

import uuid

import click
from flask.cli import AppGroup

from seqscan import alerts

alerts_group = AppGroup("alerts", help="Alerts by e-mail and webhook.")


@alerts_group.command("test")
def alerts_test() -> None:
    """Send a test message to every configured channel; exit 1 if one fails."""
    if not alerts.channels():
        raise click.ClickException(
            "no alert channel configured (SEQSCAN_SMTP_URL + SEQSCAN_ALERT_EMAILS, SEQSCAN_ALERT_WEBHOOK_URL)"
        )
    alert = alerts.send_once(
        f"test:{uuid.uuid4().hex}", "test", "test alert",
        "A test message from `flask alerts test`: alerts from this seqscan reach you.",
    )  # fmt: skip
    for name in alert.delivered.split(",") if alert.delivered else []:
        click.echo(f"{name}: sent")
    if alert.error:
        raise click.ClickException(alert.error)


COMMANDS = (alerts_group,)
