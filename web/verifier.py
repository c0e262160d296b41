"""What /verify needs: the seal's trust root and a bounded pool to parse uploaded PDFs in."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from mentorship.config import Settings

if TYPE_CHECKING:
    from mentorship.adapters.sandbox import BoundedPool


class Verifier:
    """Read lazily, so pages that never check a PDF never start a process or read a key."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._root: bytes | None = None

    def pool(self) -> BoundedPool:
        """Uploaded PDFs are parsed in this pool: a hostile file costs bounded time and memory."""
        return self._settings.render_pool()

    def trust_root_pem(self) -> bytes:
        with self._lock:
            if self._root is None:
                self._root = self._settings.seal_identity().trust_root_pem
            return self._root
