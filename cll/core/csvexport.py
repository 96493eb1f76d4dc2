"""CSV files staff download (the accountant's export, a list's subscribers, analytics):
streamed line by line, and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

# A cell a spreadsheet would run as a formula (CSV injection): "=", "+", "-", "@", and the tab
# and carriage return some spreadsheets strip before looking.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write returns the line: the csv writer's output, streamed."""

    def write(self, value: str) -> str:
        return value


def csv_cell(value) -> str:
    """A value as a CSV cell that no spreadsheet runs: a leading formula character is
    neutralised with an apostrophe. Wrap every value that people or visitors wrote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_lines(
    header: Iterable[str], rows: Iterable[Iterable[object]], *, bom: bool = True
) -> Iterator[str]:
    """The lines of a CSV file for a ``StreamingHttpResponse``: the header, then each row as
    it comes (memory stays bounded). ``bom``: a byte-order mark first, so that spreadsheets
    read accented text as UTF-8."""
    writer = csv.writer(_Echo())
    yield ("\ufeff" if bom else "") + writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)
