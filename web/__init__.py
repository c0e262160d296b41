"""Flask app factory: a thin UI over the use cases and the workflow."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from mentorship.config import Settings
from mentorship.services import outbox
from web import (
    access,
    account,
    agreements,  # noqa: F401 - adds the agreement's pages to mentorships.bp, registered below
    api,
    auth,
    coordinator,
    dashboard,
    database,
    dev,
    errors,
    forms,
    i18n,
    labels,
    mentor,
    mentorships,
    observability,
    planning,
    pledges,
    public,
    sme,
    steps,
)
from web.gateway import Gateway
from web.temporal import TemporalGateway
from web.verifier import Verifier


def create_app(
    settings: Settings | None = None,
    temporal: Gateway | None = None,
    test_config: dict[str, Any] | None = None,
) -> Flask:
    """Build the app; tests pass their own settings and, in pure view tests, a fake gateway."""
    settings = settings or Settings.from_env()
    settings.encryption()  # a key that cannot be used stops the start, naming the variable
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,  # on in production, behind HTTPS
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_max_hours),  # absolute
        # The cookie is signed again when the session changes (at most once a minute for the
        # idle timeout, web.access), not on every answer: a page's script asking by itself
        # (static/follow.js) then gets no new cookie, and no request pays for one.
        SESSION_REFRESH_EACH_REQUEST=False,
        DIGIVOL_SESSION_IDLE=timedelta(minutes=settings.session_idle_minutes),
        MAX_CONTENT_LENGTH=1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update(test_config or {})
    if settings.trusted_proxies:  # behind Caddy: its X-Forwarded-* name the client, no one else's
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    # Ids in paths fit the database's integers; a bigger number is no page (404), not an error.
    app.url_map.converters["int"] = DatabaseId
    app.extensions["digivol.settings"] = settings
    gateway: Gateway = temporal or TemporalGateway(settings)  # mypy holds both to the Protocol
    app.extensions["digivol.temporal"] = gateway
    app.extensions["digivol.verifier"] = Verifier(settings)
    register_extensions(app, settings)
    # A request's transaction that queued mail (an intake, an assignment) wakes the outbox.
    outbox.after_commits_that_queued(app.extensions["digivol.sessions"], gateway.send_mail_now)
    register_blueprints(app)
    api.init_app(app)
    errors.init_app(app)
    labels.init_app(app)
    app.after_request(security_headers)
    steps.init_app(app)
    return app


class DatabaseId(IntegerConverter):
    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", forms.INT32_MAX)
        super().__init__(url_map, *args, **kwargs)


CSP = (
    "default-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'; "
    "object-src 'self'"
)


def security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config["SESSION_COOKIE_SECURE"]:  # served over HTTPS: only ever over HTTPS
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if g.get("user") is not None or request.path.startswith("/account"):
        # Pages with someone's data are not kept by browsers or proxies.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def register_extensions(app: Flask, settings: Settings) -> None:
    csrf = CSRFProtect(app)
    # The API authenticates by token, never by cookie: a forged cross-site request has none.
    csrf.exempt(api.bp)
    observability.init_app(app)  # first: its clock starts before any other step of a request
    database.init_app(app, settings.database_url)
    access.init_app(app)
    i18n.init_app(app)


def register_blueprints(app: Flask) -> None:
    for module in (
        auth,
        account,
        public,
        coordinator,
        dashboard,
        sme,
        mentor,
        mentorships,  # with web.agreements' pages, on the same blueprint
        planning,
        pledges,
        dev,
    ):
        app.register_blueprint(module.bp)
