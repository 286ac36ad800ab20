"""CSV and TSV for people: cells a spreadsheet would run as a formula are neutralised (OWASP CSV injection)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, TypeVar

# A cell starting with one of these is a formula (or becomes one) in Excel, LibreOffice and Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DELIMITERS = {"csv": ",", "tsv": "\t"}

T = TypeVar("T")


def safe_cell(value: T) -> T | str:
    """The value, or "'" + the value when it is a string that would start a formula; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SheetWriter:
    """A csv writer for "csv" or "tsv" whose every string cell goes through safe_cell."""

    def __init__(self, stream: IO[str], fmt: str) -> None:
        self._writer = csv.writer(stream, delimiter=DELIMITERS[fmt], lineterminator="\n")

    def writerow(self, values: Iterable) -> None:
        self._writer.writerow([safe_cell(v) for v in values])
