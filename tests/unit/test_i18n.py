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
