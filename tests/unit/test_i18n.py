"""The catalogs: every marked string translated in French and German, and no text in the
e-mail templates left outside a ``{% trans %}`` block."""

from __future__ import annotations

import re

import pytest

from mentorship import i18n


def test_the_extraction_finds_the_marked_strings() -> None:
    ids = {m.id for m in i18n.extract() if m.id}
    assert len(ids) >= 40
    assert "Hello %(name)s," in ids and "Set a new password" in ids


@pytest.mark.parametrize("locale", [code for code in i18n.LOCALES if code != "en"])
def test_every_marked_string_is_translated(locale: str) -> None:
    assert i18n.missing(locale) == []
    translated = i18n.translations(locale).gettext("Set a new password")
    assert translated != "Set a new password"


def test_no_text_in_an_email_template_is_left_outside_the_catalog() -> None:
    for template in sorted((i18n.HERE / "templates" / "mail").glob("*.txt")):
        text = template.read_text()
        text = re.sub(r"\{% trans( trimmed)? %\}.*?\{% endtrans %\}", "", text, flags=re.S)
        text = text.replace("{{ link }}", "").replace("-- \nDigital Volunteers", "")
        assert text.strip() == "", f"{template.name} has text no catalog holds: {text.strip()!r}"


# Text a page may show as it is: the programme's name, and signs with no words.
NOT_TRANSLATED = {"Digital Volunteers"}
HUMAN_ATTRIBUTES = re.compile(r'\b(?:placeholder|title|aria-label|alt)="([^"]*)"')
TEXT_LITERAL = re.compile(r"[A-Z][a-z]+|[a-z]{2,} [a-z]{2,}")  # 'Yes', 'by country': words
WORDS = re.compile(r"[^\W\d_]{2,}")


def untranslated(source: str) -> list[str]:
    """The words of a web template that no catalog holds: text outside ``{% trans %}`` and
    ``_()``, read attributes included, and wordy string literals in expressions."""
    from jinja2 import Environment

    tokens = [
        (kind, value)
        for _line, kind, value in Environment(extensions=["jinja2.ext.i18n"]).lex(source)
        if kind != "whitespace"
    ]
    page, literals, inside_trans = [], [], False
    for i, (kind, value) in enumerate(tokens):
        if kind == "name" and tokens[i - 1][0] == "block_begin":
            inside_trans = value in ("trans", "pluralize") or (inside_trans and value != "endtrans")
        if kind == "data" and not inside_trans:
            page.append(value)
        else:
            page.append("\x00")  # an expression or a tag stands where it is
        translated = tokens[i - 2 : i] in ([("name", "_"), ("operator", "(")],)
        if kind == "string" and not translated and re.search(TEXT_LITERAL, value):
            literals.append(value.strip("'\""))
    text = "".join(page)
    read = " ".join(HUMAN_ATTRIBUTES.findall(text))
    shown = re.sub(r"<[^>]*>|&\w+;|&#\d+;", " ", text)
    for name in NOT_TRANSLATED:
        read, shown = read.replace(name, ""), shown.replace(name, "")
    return WORDS.findall(read + " " + shown) + [v for v in literals if v not in NOT_TRANSLATED]


def test_no_text_in_a_web_template_is_left_outside_the_catalog() -> None:
    templates = sorted((i18n.PROJECT / "web" / "templates").glob("*.html"))
    assert len(templates) >= 25
    left = {t.name: untranslated(t.read_text()) for t in templates}
    assert {name: words for name, words in left.items() if words} == {}


def test_the_check_finds_text_outside_the_catalog() -> None:
    assert untranslated('<p title="Your plan">{% trans %}Hello{% endtrans %} world</p>') == [
        "Your",
        "plan",
        "world",
    ]
    assert untranslated('<svg width="{{ w }}" viewBox="0 0 {{ w }} 9"></svg>') == []
    assert untranslated("{{ 'Ask again' if x else _('Fine') }} {{ url_for('a.b') }}") == [
        "Ask again"
    ]
    assert untranslated('<a href="{{ x }}" class="top">{{ _("Home") }}</a>') == []
