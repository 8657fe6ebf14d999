"""Language selection: Simplified Chinese first, English on request."""

from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale

from kiosk.extensions import babel

LANG_COOKIE = "lang"


def select_locale() -> str:
    """Pick the locale: ?lang=, then the lang cookie, then Accept-Language, then zh_CN."""
    if not has_request_context():  # CLI commands and services called outside a request
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    for candidate in (request.args.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in languages:
            return candidate
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def current_language() -> str:
    """Return the configured language code in use for this request (zh_CN or en)."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh_CN"


def html_lang() -> str:
    """Return the current language as an HTML lang attribute (zh-CN, en)."""
    return current_language().replace("_", "-")


def init_babel(app: Flask) -> None:
    """Bind Flask-Babel with the locale selector and expose html_lang to templates."""
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["html_lang"] = html_lang
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["languages"] = app.config["LANGUAGES"]
