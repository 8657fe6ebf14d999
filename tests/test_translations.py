"""Both message catalogues are complete: every string has a translation, none is fuzzy."""

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[1] / "kiosk" / "translations"


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_catalogue_is_complete(language):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    with (TRANSLATIONS / "messages.pot").open("rb") as fh:
        template = read_po(fh)
    expected = {message.id for message in template if message.id}
    present = {message.id for message in catalog if message.id}
    assert expected - present == set(), "run `make extract-messages` and translate"
    untranslated = [
        message.id
        for message in catalog
        if message.id
        and (
            "fuzzy" in message.flags
            or not (all(message.string) if isinstance(message.string, tuple) else message.string)
        )
    ]
    assert untranslated == []


def test_template_covers_every_string_in_the_code():
    """The .pot is current: extracting again finds no new message."""
    from babel.messages.extract import extract_from_dir

    with (TRANSLATIONS / "messages.pot").open("rb") as fh:
        known = {message.id for message in read_po(fh) if message.id}
    root = Path(__file__).resolve().parents[1]
    method_map = [("kiosk/**.py", "python"), ("kiosk/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(root), method_map=method_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    assert found - known == set(), "run `make extract-messages` and translate"


def test_scheme_texts_are_the_scoring_packages_own_words(app):
    """Each key of SCHEME_TEXTS is its own msgid, so Chinese pages show it unchanged."""
    import scoring
    from kiosk.labels import SCHEME_TEXTS

    scheme = scoring.default_scheme()
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert all(str(text) == key for key, text in SCHEME_TEXTS.items())
    written = {scheme.name, scoring.TIE_RULE, *scoring.SOURCE_LABELS.values()}
    written |= {band.label for band in scheme.grades}
    written |= {node.label for top in scheme.rubric for node in (top, *top.leaves())}
    assert written <= set(SCHEME_TEXTS)
