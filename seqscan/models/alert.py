"""Alerts, recorded once before they are sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from seqscan.extensions import db
from seqscan.models.columns import UTCDateTime, utcnow


class Alert(db.Model):
    """An alert, recorded before it is sent: its key is unique, so each is sent once however many
    processes notice the same thing. delivered names the channels that took it; error says why
    the others did not (shown on the status page)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # e.g. "scan-error:12", "digest:12"
    subject: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    delivered: Mapped[str] = mapped_column(String(200), default="")
    error: Mapped[str] = mapped_column(Text, default="")
