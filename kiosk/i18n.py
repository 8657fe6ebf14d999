"""Language selection: Simplified Chinese first, English on request."""

import functools
from datetime import date, datetime

from babel import Locale, support
from babel.dates import format_skeleton
from flask import Flask, current_app, has_request_context, request
from flask_babel import format_date, format_time, get_locale
from wtforms.i18n import messages_path

from kiosk.extensions import babel

LANG_COOKIE = "lang"


@functools.cache
def _parsed(code: str) -> Locale:
    # Flask-Babel parses the selector's answer on every request, and babel's parser scans every
    # locale it knows; each language is parsed once per process instead.
    return Locale.parse(code)


def select_locale() -> Locale:
    """Pick the locale: ?lang=, then the lang cookie, then Accept-Language, then zh_CN.

    Outside a request (CLI commands) the default locale.
    """
    if not has_request_context():  # CLI commands and background jobs speak Chinese
        return _parsed(current_app.config["BABEL_DEFAULT_LOCALE"])
    languages = current_app.config["LANGUAGES"]
    for candidate in (request.args.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in languages:
            return _parsed(candidate)
    return _parsed(
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def current_language() -> str:
    """Return the configured language code in use for this request (zh_CN or en)."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh_CN"


def html_lang() -> str:
    """Return the current language as an HTML lang attribute (zh-CN, en)."""
    return current_language().replace("_", "-")


@functools.cache
def _wtforms_catalogue(locale: str) -> support.NullTranslations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class _WtformsTranslations:
    """WTForms' own messages in the request's language, from a catalogue read once per process.

    Flask-WTF would read the .mo file from disk on every request that builds a form (a large
    share of a rating POST); it uses whatever it finds in request.wtforms_translations instead.
    """

    def ugettext(self, string: str) -> str:
        return _wtforms_catalogue(str(get_locale())).ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return _wtforms_catalogue(str(get_locale())).ungettext(singular, plural, n)


_WTFORMS_TRANSLATIONS = _WtformsTranslations()


def _share_wtforms_translations() -> None:
    request.wtforms_translations = _WTFORMS_TRANSLATIONS  # type: ignore[attr-defined]  # Flask-WTF reads it


def local_day(value: date | datetime | None) -> str:
    """Show a day in the page's language: 2026年11月10日, Nov 10, 2026 (of a datetime: its day)."""
    if value is None:
        return ""
    return format_date(value, "medium")


def local_moment(value: datetime | None) -> str:
    """Show a naive-UTC moment as its hall-local day and minute: 2026年11月10日 10:20."""
    if value is None:
        return ""
    return f"{format_date(value, 'medium')} {format_time(value, 'HH:mm')}"


def local_month(value: date) -> str:
    """Show a month in the page's language: 2026年11月, Nov 2026."""
    return format_skeleton("yMMM", value, locale=get_locale())


def init_babel(app: Flask) -> None:
    """Bind Flask-Babel with the locale selector and expose html_lang to templates."""
    babel.init_app(app, locale_selector=select_locale)
    app.before_request(_share_wtforms_translations)
    app.jinja_env.globals["html_lang"] = html_lang
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["languages"] = app.config["LANGUAGES"]
    # Dates as people read them in the page's language (zh-CN first); data stays ISO.
    app.jinja_env.filters["local_day"] = local_day
    app.jinja_env.filters["local_moment"] = local_moment
    app.jinja_env.filters["local_month"] = local_month
