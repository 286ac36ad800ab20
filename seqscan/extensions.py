"""Flask extensions, created unbound and wired in create_app."""

from flask_htmx import HTMX
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
htmx = HTMX()
