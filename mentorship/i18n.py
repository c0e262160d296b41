"""Languages: the catalogs (gettext .po files under translations/) and what reads them.

Every string a person reads is marked (``N_`` in Python, ``{% trans %}`` in templates) and
kept in the catalog of each language. ``python -m mentorship.i18n update`` extracts the marked
strings and merges them into each catalog; a test fails while any is missing a translation.
"""

from __future__ import annotations

import sys
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog
    from babel.support import NullTranslations

LOCALES = {"en": "English", "fr": "Français", "de": "Deutsch"}
DEFAULT_LOCALE = "en"
HERE = Path(__file__).parent
PROJECT = HERE.parent
TRANSLATIONS = HERE / "translations"
# Where marked strings live, relative to the project, and how each kind of file is read. The
# web's templates are trimmed (whitespace inside {% trans %} collapsed); the workflow's
# refusals are marked by the function that raises them.
_JINJA = "jinja2.ext:babel_extract"
SOURCES = [
    ("mentorship/**.py", "python"),
    ("mentorship/templates/mail/**.txt", _JINJA),
    ("mentorship/templates/agreement/participation.html", _JINJA),
    ("web/**.py", "python"),
    ("web/templates/**.html", _JINJA),
    ("workflows/**.py", "python"),
]
EXTRACT_OPTIONS = {
    "mentorship/templates/**": {"extensions": "jinja2.ext.i18n"},
    "web/templates/**": {"extensions": "jinja2.ext.i18n", "trimmed": "true"},
}
KEYWORDS = {"refuse": None, "lazy_gettext": None, "NP_": ((1, "c"), 2)}  # besides gettext's


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark, translate later"
    """Marks a string for the catalogs; it is translated where it is shown."""
    return message


def NP_(context: str, message: str) -> str:  # noqa: N802 - N_ with a message context
    """Marks a string whose translation depends on where it stands (``pgettext``'s context):
    the same English words may be a label in one place and inside a sentence in another."""
    return message


def catalog_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


@cache
def translations(locale: str) -> NullTranslations:
    """The translations of one language; English is the source text itself."""
    # lazy: Babel loads with the first translated text; the many modules that only mark
    # text with N_ (the workflows' payloads and rules among them) never need it.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import NullTranslations, Translations

    if locale not in LOCALES or locale == DEFAULT_LOCALE:
        return NullTranslations()
    with catalog_path(locale).open("rb") as file:
        catalog = read_po(file, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled)


def extract() -> Catalog:
    """Every marked string in the sources, as a template catalog."""
    # lazy: catalog tooling, for `digivol i18n` and the catalog tests only.
    from babel.messages.catalog import Catalog
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    catalog = Catalog(project="digivol")
    found = extract_from_dir(
        PROJECT, SOURCES, EXTRACT_OPTIONS, keywords={**DEFAULT_KEYWORDS, **KEYWORDS}
    )
    for filename, lineno, message, comments, context in found:
        catalog.add(message, locations=[(filename, lineno)], auto_comments=comments,
                    context=context)  # fmt: skip
    return catalog


def missing(locale: str) -> list[str]:
    """Marked strings with no translation in ``locale``'s catalog."""
    from babel.messages.pofile import read_po  # lazy: catalog tooling, as in extract()

    with catalog_path(locale).open("rb") as file:
        catalog = read_po(file, locale=locale)
    wanted = [(m.id, m.context) for m in extract() if m.id]
    return [
        str(msgid)
        for msgid, context in wanted
        if (entry := catalog.get(msgid, context)) is None
        or entry.fuzzy
        or not _translated(entry.string)
    ]


def _translated(string: str | tuple[str, ...] | list[str] | None) -> bool:
    """A translation, with every plural form of a plural message."""
    return all(string) if isinstance(string, (tuple, list)) else bool(string)


def update() -> None:
    """Merge newly marked strings into every catalog (new ones untranslated)."""
    # lazy: catalog tooling, as in extract().
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    template = extract()
    for locale in LOCALES:
        if locale == DEFAULT_LOCALE:
            continue
        path = catalog_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as file:
                catalog = read_po(file, locale=locale)
        else:
            catalog = Catalog(locale=locale, project="digivol")
        catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as file:
            write_po(file, catalog, width=100, omit_header=False)
        print(f"{path}: {len(missing(locale))} to translate")


if __name__ == "__main__":
    if sys.argv[1:] != ["update"]:
        sys.exit("usage: python -m mentorship.i18n update")
    update()
