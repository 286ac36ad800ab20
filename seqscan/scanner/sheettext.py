"""A sample sheet's bytes as CSV rows, within limits: decoded as the rows are read, so that no line
ending and no long line turns a whole hostile file into Python objects at once (issue 15)."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator

# No line of a real sheet comes near this (csv's own limit for one field is the same); a longer
# one would become a row of tens of thousands of cells.
MAX_LINE_CHARS = 128 * 1024
CHUNK = 2**20  # bytes decoded at a time when checking an encoding, and characters per piece when counting lines


class SampleSheetError(ValueError):
    """A sample sheet that cannot be read, with the reason."""


class TooManyLines(SampleSheetError):
    """More lines than the caller allows; count is how many the sheet has."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count:,} lines")
        self.count = count


def _decodes(data: bytes, encoding: str) -> None:
    """Raise UnicodeDecodeError unless data decodes; a piece at a time, keeping none of the text."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    for start in range(0, len(data), CHUNK):
        decoder.decode(view[start : start + CHUNK])
    decoder.decode(b"", final=True)


def encoding_of(data: bytes) -> str:
    """The sheet's text encoding: UTF-16 with a BOM, else UTF-8 (BOM or not), else Latin-1."""
    # Excel's "Unicode text" export: UTF-16 with a byte-order mark (its NUL bytes are not binary).
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            _decodes(data, "utf-16")
        except UnicodeDecodeError as e:
            raise SampleSheetError(f"starts as UTF-16 but does not decode: {e.reason}") from None
        return "utf-16"
    if b"\x00" in data:
        raise SampleSheetError("binary data (NUL bytes): not a CSV sample sheet")
    try:
        _decodes(data, "utf-8-sig")
    except UnicodeDecodeError:
        return "latin-1"  # older Windows-made sheets; every byte decodes
    return "utf-8-sig"


def without_stray_nuls(data: bytes) -> tuple[bytes, bool]:
    """The sheet's bytes without NUL bytes inside its cells, and whether there were any.

    Local Run Manager writes NULs into empty index-name cells of real sheets; a file whose first line
    holds a NUL or no printable text (PNG, BAM, gzip) is left as it is, for encoding_of to refuse."""
    if b"\x00" not in data or data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data, False
    first = data.split(b"\n", 1)[0].rstrip(b"\r")
    if b"\x00" in first or not first.decode("latin-1").isprintable():
        return data, False
    return data.replace(b"\x00", b""), True


def _count_rest(stream: io.TextIOWrapper) -> int:
    """The lines left in stream, read a bounded piece at a time."""
    count, ended = 0, True
    while piece := stream.readline(CHUNK):
        ended = piece.endswith(("\n", "\r"))
        count += ended
    return count + (not ended)


def _lines(data: bytes, encoding: str, max_lines: int) -> Iterator[str]:
    """The sheet's lines, ending in LF, CRLF or CR alike; raises past max_lines or MAX_LINE_CHARS."""
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    count = 0
    while line := stream.readline(MAX_LINE_CHARS + 2):  # room for the longest line and its CRLF
        count += 1
        if len(line.rstrip("\r\n")) > MAX_LINE_CHARS:
            raise SampleSheetError(f"line {count:,} is longer than {MAX_LINE_CHARS:,} characters: not a sample sheet")
        if count > max_lines:
            raise TooManyLines(count + _count_rest(stream))
        yield line


def sheet_rows(data: bytes, max_lines: int) -> Iterator[list[str]]:
    """The sheet's rows that hold anything and are no comment, cells stripped, trailing empty cells dropped.

    Raises SampleSheetError (undecodable, not CSV, a line too long), or TooManyLines past max_lines.
    """
    try:
        for row in csv.reader(_lines(data, encoding_of(data), max_lines)):
            cells = [c.strip() for c in row]
            while cells and not cells[-1]:
                cells.pop()
            if cells and not cells[0].startswith("#"):
                yield cells
    except csv.Error as e:
        raise SampleSheetError(f"not valid CSV: {e}") from None
