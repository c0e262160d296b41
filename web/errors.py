"""Every error a view can raise, mapped to one answer in one place."""

from __future__ import annotations

import json
import logging
import math
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, flash, jsonify, redirect, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from mentorship.errors import Forbidden, Ineligible, NotFound, Refused
from mentorship.i18n import N_
from web.i18n import translated
from web.temporal import ServiceBusy

log = logging.getLogger("digivol.web")


class FormInvalid(Exception):
    """Bad form input: re-show the form with a message for each field (422)."""

    def __init__(self, template: str, messages: dict[str, Any], context: dict[str, Any]) -> None:
        super().__init__("invalid form")
        self.template, self.messages, self.context = template, messages, context


def same_site(url: str | None) -> str:
    """The path of ``url`` if it points into this site, else the home page."""
    parts = urlsplit(url or "")
    if parts.netloc not in ("", request.host) or not parts.path.startswith("/"):
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")


def unauthorised() -> Response:
    """The API's answer to a caller without a live token (it never reads the cookie)."""
    response = Response(
        '{"code": 401, "message": "Present a live API token: Authorization: Bearer <token>."}',
        status=401,
        mimetype="application/json",
    )
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


def too_many_calls(wait: timedelta) -> Response:
    """The API's answer to a token over its pace: when to call again, in seconds."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    response = Response(
        json.dumps({"code": 429, "message": f"Too many calls with this token: wait {seconds} s."}),
        status=429,
        mimetype="application/json",
    )
    response.headers["Retry-After"] = str(seconds)
    return response


def _page(status: int, title: str, message: str) -> Any:
    """The error page; ``title`` is catalog text, ``message`` already in the reader's words."""
    if request.blueprint == "api":  # the API answers in JSON, as its document says
        return jsonify(code=status, status=title, message=message), status
    return render_template("error.html", title=gettext(title), message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(FormInvalid)
    def form_invalid(exc: FormInvalid) -> tuple[str, int]:
        return render_template(exc.template, errors=exc.messages, **exc.context), 422

    @app.errorhandler(Ineligible)
    def ineligible(exc: Ineligible) -> tuple[str, int]:
        return _page(422, N_("Not eligible as an SME"), translated(exc))

    @app.errorhandler(Refused)
    def refused(exc: Refused) -> Any:
        # The process said no (wrong stage, already decided): back to where the user was.
        if request.blueprint == "api":
            return _page(409, N_("Refused"), str(exc))
        flash(translated(exc), "error")
        return redirect(same_site(request.referrer), code=303)

    @app.errorhandler(ServiceBusy)
    def busy(exc: ServiceBusy) -> tuple[str, int]:
        log.warning("workflow service busy on %s: %s", request.endpoint, exc)
        return _page(
            503,
            N_("The service is busy"),
            gettext(
                "The service did not answer in time. Reload the page to see whether your "
                "change went through before you try again."
            ),
        )

    @app.errorhandler(Forbidden)
    def forbidden(exc: Forbidden) -> tuple[str, int]:
        return _page(403, N_("Not allowed"), translated(exc))

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound) -> tuple[str, int]:
        return _page(404, N_("Not found"), translated(exc))

    @app.errorhandler(404)
    def http_not_found(_exc: Exception) -> tuple[str, int]:
        return _page(404, N_("Not found"), gettext("There is no page at this address."))

    @app.errorhandler(413)
    def too_large(_exc: Exception) -> tuple[str, int]:
        return _page(413, N_("The file is too large"), gettext("Upload a smaller file."))

    @app.errorhandler(CSRFError)
    def csrf(_exc: CSRFError) -> tuple[str, int]:
        return _page(
            400, N_("The form expired"), gettext("Reload the page and submit the form again.")
        )
