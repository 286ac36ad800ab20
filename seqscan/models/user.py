"""Who may sign in, and what they may do."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from seqscan.enums import Role
from seqscan.extensions import db
from seqscan.models.columns import UTCDateTime, str_enum, utcnow


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, 16), default=Role.VIEWER)
    # sha256 of the API token (scripts send the token itself); empty: no token.
    api_token_sha256: Mapped[str] = mapped_column(String(64), default="", index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of the id kept in the session cookie: raising it (sign-out, a new password or role)
    # ends every session of the user, on every browser.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    @property
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def end_sessions(self) -> None:
        self.session_version += 1
