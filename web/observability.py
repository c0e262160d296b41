"""What operations watch: liveness (/healthz), readiness (/readyz), and request metrics for
Prometheus (/metrics).

/healthz answers as long as the process serves requests (a restart would not help with
anything else); /readyz says whether this process can do its work now (the database, Temporal
and a worker polling our task queue): "ready" or "not ready" and nothing more, since anyone may
ask; which part is missing, and why, goes to the log. Metrics are labelled by route name,
never by path, so no id or person reaches them. Under gunicorn (several processes) set
PROMETHEUS_MULTIPROC_DIR: each process writes its counts there and /metrics adds them up.

The access log is the app's own (logger ``web.access``, one line per request; JSON lines with
DIGIVOL_LOG_FORMAT=json): the route's rule (``/account/reset/<signed>``), never the path or its
query string, which carry tokens and what people search for. gunicorn's own access log stays
off.
"""

from __future__ import annotations

import logging
import os
import time

from flask import Blueprint, Flask, Response, g, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import text

from web.database import db
from web.steps import gateway

bp = Blueprint("ops", __name__)
log = logging.getLogger(__name__)
access_log = logging.getLogger("web.access")

REQUESTS = Counter(
    "digivol_http_requests", "Requests answered, by route, method and status.",
    ["endpoint", "method", "status"],
)  # fmt: skip
LATENCY = Histogram(
    "digivol_http_request_seconds", "Time to answer a request, by route and method.",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)  # fmt: skip


@bp.route("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz() -> tuple[Response, int]:
    try:
        db().execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # any driver error means the database is not usable
        database = f"error: {type(exc).__name__}"
    parts = {"database": database, **gateway().health()}
    missing = {part: state for part, state in parts.items() if state != "ok"}
    if missing:
        log.warning("not ready: %s", ", ".join(f"{p} {s}" for p, s in missing.items()))
        return jsonify(status="not ready"), 503
    return jsonify(status="ready"), 200


@bp.route("/metrics")
def metrics() -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        body = generate_latest()
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


def _started() -> None:
    g.started = time.perf_counter()


def _counted(response: Response) -> Response:
    endpoint = request.endpoint or "unrouted"
    if endpoint != "ops.metrics" and "started" in g:
        seconds = time.perf_counter() - g.started
        REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
        LATENCY.labels(endpoint, request.method).observe(seconds)
        route = request.url_rule.rule if request.url_rule else "unrouted"
        access = {
            "method": request.method,
            "route": route,
            "endpoint": endpoint,
            "status": response.status_code,
            "ms": round(seconds * 1000, 1),
        }
        access_log.info(
            "%s %s %s %.1f ms", request.method, route, response.status_code, access["ms"],
            extra={"access": access},
        )  # fmt: skip
    return response


def init_app(app: Flask) -> None:
    if directory := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.makedirs(directory, exist_ok=True)
    app.before_request(_started)
    app.after_request(_counted)
    app.register_blueprint(bp)
