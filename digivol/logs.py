"""Log lines: plain text for a person at a terminal, JSON lines for a log collector
(``DIGIVOL_LOG_FORMAT=json``), each with the workflow id it is about when there is one.

The workflow id comes from where the line is written: a Temporal activity or workflow, or a
web request about one support request (``/requests/<id>/…``). Ids only: what is logged never
holds a name, an e-mail address or a reason (the privacy notice promises it).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime

FORMATS = ("text", "json")


def current_workflow_id() -> str | None:
    from temporalio import activity, workflow

    if activity.in_activity():
        return activity.info().workflow_id
    if workflow.in_workflow():
        return workflow.info().workflow_id
    return _web_request_workflow_id()


def _web_request_workflow_id() -> str | None:
    from flask import has_request_context, request

    if not has_request_context() or not request.view_args:
        return None
    request_id = request.view_args.get("request_id")
    if not isinstance(request_id, int):
        return None
    from mentorship.rules.stages import workflow_id

    return workflow_id(request_id)


class WorkflowContext(logging.Filter):
    """Adds ``workflow_id`` to every record (None when the line is about no workflow)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "workflow_id", None) is None:
            record.workflow_id = current_workflow_id()
        return True


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message, workflow_id, and the error."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "workflow_id": getattr(record, "workflow_id", None),
            "process": record.process,
        }
        line.update(getattr(record, "access", {}))  # an access line's fields (web.access)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class Text(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        workflow = getattr(record, "workflow_id", None)
        return f"{text} [{workflow}]" if workflow else text


def configure(form: str | None = None, level: int = logging.INFO) -> None:
    """Send every logger's lines to stderr in ``form`` (default: $DIGIVOL_LOG_FORMAT, else
    text). A format that does not exist is refused by name."""
    form = form or os.environ.get("DIGIVOL_LOG_FORMAT") or "text"
    if form not in FORMATS:
        from mentorship.config import ConfigError

        raise ConfigError(f"DIGIVOL_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {form!r}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if form == "json" else Text())
    handler.addFilter(WorkflowContext())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
