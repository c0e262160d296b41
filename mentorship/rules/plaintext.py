"""What counts as plain text typed by a person: no control characters, and no bidirectional
overrides that could make a name display as something other than what it is.

One line (a name, an organisation's name, a title) admits no control character at all: a
line break in it would split an e-mail header, a CSV row or a line of a signed document.
Text of several lines keeps its line breaks and tabs, and nothing else of the kind.
"""

from __future__ import annotations

import re

ONE_LINE_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
LINES_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def is_one_line(text: str) -> bool:
    return ONE_LINE_FORBIDDEN.search(text) is None


def is_lines(text: str) -> bool:
    return LINES_FORBIDDEN.search(text) is None
