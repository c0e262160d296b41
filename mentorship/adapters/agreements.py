"""The confidentiality agreement and its signature certificate, rendered to PDF by WeasyPrint.

What the documents state, the checks on it and their templates (under ``templates/agreement/``,
every value escaped) are ``mentorship.adapters.documents``. The renderer reads nothing but the
packaged assets (fonts) under the ``digivol-asset:`` scheme, and
``render_agreement_safely``/``render_certificate_safely`` run it in a process bounded in time
and memory (``mentorship.adapters.sandbox``; ``new_render_pool`` makes a pool with warm
workers). The English version is always included; a second language adds its version after it
in the same PDF, so that one SHA-256 covers what everyone signs.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from mentorship.adapters.documents import (
    AGREEMENT_LANGUAGES,
    TEMPLATES,
    USER_AGENT_SHOWN,
    AgreementContext,
    CertificateContext,
    ParticipationContext,
    language_version,
    template_environment,
)
from mentorship.adapters.sandbox import BoundedPool

# The only URLs the renderer serves: digivol-asset:<path under templates/>, for these types.
ASSET_SCHEME = "digivol-asset"
_ASSET_TYPES = {".ttf": "font/ttf", ".css": "text/css", ".svg": "image/svg+xml"}

# Defaults of the sandbox that renders. Measured: a bilingual agreement renders in ~0.7 s and its
# worker peaks at ~300 MiB of address space (VmPeak), so 1 GiB and 30 s leave ample room.
RENDER_TIMEOUT_SECONDS = 30.0
RENDER_MEMORY_BYTES = 1 << 30
RENDER_PROCESSES = 2


class RefusedFetch(Exception):
    """The renderer asked for a URL other than a packaged asset; nothing was read."""


def resolve_asset(url: str) -> tuple[bytes, str]:
    """The bytes and media type of a packaged asset, for ``digivol-asset:<path>`` URLs only.

    Raises:
        RefusedFetch: any other scheme (file, http, https, data…), a path that leaves the
            templates directory, or a file that is not a font, stylesheet or SVG.
    """
    prefix = f"{ASSET_SCHEME}:"
    if not url.startswith(prefix):
        raise RefusedFetch(f"only packaged assets may be fetched, not {url[:100]!r}")
    relative = unquote(url.removeprefix(prefix))
    parts = PurePosixPath(relative).parts
    if (
        not parts
        or relative.startswith("/")
        or any(part in ("..", ".") for part in parts)
        or any(c in relative for c in "\\?#\x00")
    ):
        raise RefusedFetch(f"not a packaged asset path: {url[:100]!r}")
    root = TEMPLATES.resolve()
    path = root.joinpath(*parts).resolve()  # resolve(): a symlink must not lead out either
    media_type = _ASSET_TYPES.get(path.suffix)
    if not path.is_relative_to(root) or media_type is None or not path.is_file():
        raise RefusedFetch(f"no such packaged asset: {url[:100]!r}")
    return _read_asset(path), media_type


@cache
def _read_asset(path: Path) -> bytes:
    return path.read_bytes()  # a few fonts: read once per process


@cache
def _fetcher_class() -> type:
    # lazy: built on first use, as importing WeasyPrint loads Pango, which the web never needs.
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class AssetFetcher(URLFetcher):  # type: ignore[misc]
        """Serves packaged assets and refuses everything else."""

        def __init__(self, record: list[str] | None) -> None:
            # fail_on_errors: only the templates ask for URLs, and only for assets, so a
            # refusal is a bug or an attack and must stop the rendering, not be skipped.
            super().__init__(fail_on_errors=True)
            self._record = record

        def fetch(self, url: str, headers: object = None) -> Any:
            if self._record is not None:
                self._record.append(url)
            body, media_type = resolve_asset(url)
            return URLFetcherResponse(url, body, {"Content-Type": media_type})

    return AssetFetcher


def asset_fetcher(record: list[str] | None = None) -> Any:
    """A WeasyPrint URL fetcher for packaged assets; every URL asked for is appended to record."""
    return _fetcher_class()(record)


def render_html_pdf(html: str, *, fetched: list[str] | None = None) -> bytes:
    """PDF bytes of an HTML document, with only packaged assets fetchable (RefusedFetch else)."""
    # lazy: WeasyPrint loads Pango, which only the render processes need.
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError

    document = HTML(string=html, base_url=None, url_fetcher=asset_fetcher(fetched))
    try:
        pdf = document.write_pdf()
    except FatalURLFetchingError as exc:
        # A BaseException in WeasyPrint: turned into ours so callers' handlers see it.
        raise RefusedFetch(str(exc.__cause__ or exc)) from exc
    assert pdf is not None
    return bytes(pdf)


def render_agreement_html(context: AgreementContext) -> str:
    codes = ["en"] + ([context.second_language] if context.second_language else [])
    versions = [language_version(code) for code in codes]
    return (
        template_environment()
        .get_template("agreement/document.html")
        .render(a=context, versions=versions)
    )


def render_agreement_pdf(context: AgreementContext, *, fetched: list[str] | None = None) -> bytes:
    """Render the agreement to PDF bytes in this process; the bytes are hashed and signed.

    Args:
        fetched: if given, every URL the renderer asked for is appended to it.
    """
    return render_html_pdf(render_agreement_html(context), fetched=fetched)


def render_certificate_html(context: CertificateContext) -> str:
    return (
        template_environment()
        .get_template("agreement/certificate.html")
        .render(c=context, user_agent_shown=USER_AGENT_SHOWN)
    )


def render_certificate_pdf(
    context: CertificateContext, *, fetched: list[str] | None = None
) -> bytes:
    """Render the signature certificate to PDF bytes in this process."""
    return render_html_pdf(render_certificate_html(context), fetched=fetched)


def render_participation_pdf(
    context: ParticipationContext, *, fetched: list[str] | None = None
) -> bytes:
    """Render a certificate of participation with the same safe renderer as agreements."""
    template = template_environment(context.language).get_template("agreement/participation.html")
    html = template.render(p=context)
    return render_html_pdf(html, fetched=fetched)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_render_pool(
    *,
    timeout_seconds: float = RENDER_TIMEOUT_SECONDS,
    memory_bytes: int = RENDER_MEMORY_BYTES,
    processes: int = RENDER_PROCESSES,
) -> BoundedPool:
    """A sandbox pool for these documents: workers start with WeasyPrint and the templates
    loaded and one sample rendered, so even the first real render costs no more than in-process.
    """
    return BoundedPool(
        timeout_seconds=timeout_seconds,
        memory_bytes=memory_bytes,
        processes=processes,
        preload=("weasyprint", "mentorship.adapters.agreements"),
        warm_up=warm_up_renderer,
    )


def render_agreement_safely(context: AgreementContext, pool: BoundedPool) -> bytes:
    """Render the agreement in a sandbox process of ``pool`` (``Settings.render_pool()``).

    Raises:
        mentorship.adapters.sandbox.SandboxError: the render ran out of time or memory, or crashed.
        RefusedFetch: the template asked for something other than a packaged asset.
    """
    return pool.call(render_agreement_pdf, context)


def render_certificate_safely(context: CertificateContext, pool: BoundedPool) -> bytes:
    """Render the signature certificate in a sandbox process, like render_agreement_safely."""
    return pool.call(render_certificate_pdf, context)


def warm_up_renderer() -> None:
    """Render a sample once, so a fresh worker has its templates, fonts and Pango ready."""
    render_agreement_pdf(
        AgreementContext(
            reference="DV-0-0",
            issued_on="2026-01-01",
            expires_on="2026-01-15",
            sme_name="Sample SME",
            sme_country="FR",
            sme_sector="C10",
            company_name="Sample Company",
            company_country="DE",
            mentor_name="Sample Mentor",
            challenge_areas=["Sample area"],
            duration_months=24,
            second_language="fr" if "fr" in AGREEMENT_LANGUAGES else None,
        )
    )
