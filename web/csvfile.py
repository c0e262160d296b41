"""Every CSV file the service hands out, written by one writer whose cells a spreadsheet
cannot take for formulas.

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line
feed is what a spreadsheet may run as a formula (a company's name "=HYPERLINK(…)", say), so
it gets a leading apostrophe, as OWASP's CSV injection advice has it; numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from werkzeug.wrappers import Response

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def cell(value: object) -> object:
    """``value`` as a spreadsheet may read it safely."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_response(
    header: Sequence[str], rows: Iterable[Sequence[object]], filename: str
) -> Response:
    """A CSV attachment named ``filename``: a name the server chose, never the request's."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(name) for name in header])
    writer.writerows([cell(value) for value in row] for row in rows)
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
