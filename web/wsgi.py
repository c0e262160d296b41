"""The WSGI entry point for a production server: `gunicorn web.wsgi:app`.

Settings come from the environment (mentorship.config.Settings.from_env); each gunicorn
process builds its own app, with its own database pool and Temporal client.
"""

from __future__ import annotations

from digivol import logs
from web import create_app

logs.configure()  # DIGIVOL_LOG_FORMAT: JSON lines in production, as the worker's
app = create_app()
