"""A small HTTP client that logs in and submits the forms a page shows, as a person would."""

from __future__ import annotations

import http.client
import http.cookiejar
import re
import ssl
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser

# The request pages' notice that their script (web/static/follow.js) reads.
_FOLLOW = re.compile(r'id="follow"[^>]* data-url="([^"]+)" data-version="([^"]+)"')


def followed(html: str) -> tuple[str, str]:
    """Where a page's script asks for its request's version, and the version it was rendered
    with."""
    found = _FOLLOW.search(html)
    assert found, "the page does not follow its request"
    return found.group(1), found.group(2)


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._current: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self._current = Form(a.get("action", ""))
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None and a.get("type") == "hidden":
            self._current.fields[a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


@dataclass
class Page:
    status: int
    url: str
    body: bytes
    content_type: str = ""

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def forms(self) -> list[Form]:
        parser = _Forms()
        parser.feed(self.text)
        return parser.forms

    def form(self, action_pattern: str) -> Form:
        for form in self.forms():
            if re.search(action_pattern, form.action):
                return form
        raise AssertionError(f"no form posting to {action_pattern} on {self.url}")


class Browser:
    def __init__(
        self, base: str, *, tls: ssl.SSLContext | None = None, source: str | None = None
    ) -> None:
        """``tls``: the context HTTPS is checked with (a test CA's); ``source``: the local
        address to connect from, so the server sees a client other than 127.0.0.1."""
        self.base = base.rstrip("/")
        self.page_url = ""  # the last page shown, which a form's Referer names
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            _Https(tls or ssl.create_default_context(), source),
        )

    def _open(self, req: urllib.request.Request) -> Page:
        if req.data is not None:  # as a browser sends a form: from the page it was on
            req.add_header("Referer", self.page_url or self.base + "/")
        try:
            with self.opener.open(req, timeout=30) as response:
                self.page_url = response.url
                return Page(
                    response.status,
                    response.url,
                    response.read(),
                    response.headers.get("Content-Type", ""),
                )
        except urllib.error.HTTPError as error:
            return Page(
                error.code, error.url or "", error.read(), error.headers.get("Content-Type", "")
            )

    def get(self, path: str) -> Page:
        return self._open(urllib.request.Request(self.base + path))

    def post(
        self, path: str, data: dict[str, str | list[str]], headers: dict[str, str] | None = None
    ) -> Page:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        return self._open(
            urllib.request.Request(self.base + path, data=body, headers=headers or {})
        )

    def upload(self, path: str, fields: dict[str, str], name: str, content: bytes) -> Page:
        """POST a multipart form with one file, as a browser's file input does."""
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{name}.pdf"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        req = urllib.request.Request(self.base + path, data=body)
        req.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
        return self._open(req)

    def submit(self, form: Form, **values: str | list[str]) -> Page:
        return self.post(form.action, {**form.fields, **values})

    def login(self, email: str, password: str = "digivol-demo") -> Page:
        form = self.get("/login").form("/login")
        page = self.submit(form, email=email, password=password)
        assert page.status == 200 and "Log out" in page.text, page.text[:500]
        return page


class _Https(urllib.request.HTTPSHandler):
    """HTTPS checked against ``context``, from the local address ``source`` if one is given."""

    def __init__(self, context: ssl.SSLContext, source: str | None) -> None:
        super().__init__(context=context)
        self.tls, self.source = context, source

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        source = (self.source, 0) if self.source else None
        return self.do_open(
            http.client.HTTPSConnection, req, context=self.tls, source_address=source
        )
