"""Log lines: JSON for collectors, the workflow id on each line written inside a workflow's
activity or a web request about one request, and nothing else about the person."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from temporalio import activity
from temporalio.testing import ActivityEnvironment

from digivol import logs
from mentorship.config import ConfigError


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonLines())
    handler.addFilter(logs.WorkflowContext())
    logger = logging.getLogger("digivol.test")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)


def read(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_written_in_an_activity_names_its_workflow(lines: io.StringIO) -> None:
    @activity.defn
    def seal() -> None:
        logging.getLogger("digivol.test").info("sealed agreement %d", 7)

    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_id="mentorship-42")
    with ThreadPoolExecutor(1) as pool:  # as the worker runs sync activities: in a thread
        pool.submit(env.run, seal).result()
    [line] = read(lines)
    assert line["workflow_id"] == "mentorship-42" and line["message"] == "sealed agreement 7"
    assert line["level"] == "info" and line["logger"] == "digivol.test"


def test_a_line_written_for_a_web_request_about_a_request_names_its_workflow(
    lines: io.StringIO,
) -> None:
    app = Flask(__name__)

    @app.route("/requests/<int:request_id>")
    def detail(request_id: int) -> str:
        logging.getLogger("digivol.test").warning("slow page")
        return "ok"

    @app.route("/inbox")
    def inbox() -> str:
        logging.getLogger("digivol.test").warning("slow inbox")
        return "ok"

    app.test_client().get("/requests/12")
    app.test_client().get("/inbox")
    first, second = read(lines)
    assert first["workflow_id"] == "mentorship-12" and second["workflow_id"] is None


def test_an_error_keeps_its_traceback_inside_the_json_line(lines: io.StringIO) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("digivol.test").exception("failed")
    [line] = read(lines)
    assert "ValueError: boom" in str(line["error"])


def test_an_unknown_log_format_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="DIGIVOL_LOG_FORMAT must be one of text, json"):
        logs.configure("xml")
