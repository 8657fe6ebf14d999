from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from babel import Locale
from flask import Flask

class Babel:
    def __init__(
        self,
        app: Flask | None = None,
        date_formats: dict[str, str | None] | None = None,
        configure_jinja: bool = True,
        *args: Any,
        **kwargs: Any,
    ) -> None: ...
    def init_app(
        self,
        app: Flask,
        default_locale: str = "en",
        default_domain: str = "messages",
        default_translation_directories: str = "translations",
        default_timezone: str = "UTC",
        locale_selector: Callable[[], str | Locale | None] | None = None,
        timezone_selector: Callable[[], str | None] | None = None,
    ) -> None: ...

def get_locale() -> Locale | None: ...
def gettext(string: str, **variables: Any) -> str: ...

# A speaklater LazyString: translated when it is turned into text. It is not a str subclass,
# but WTForms, Jinja and flash() take it wherever they take a str; Any lets it go there.
def lazy_gettext(string: str, **variables: Any) -> Any: ...
def format_date(
    date: date | datetime | None = None, format: str | None = None, rebase: bool = True
) -> str: ...
def format_time(
    time: time | datetime | None = None, format: str | None = None, rebase: bool = True
) -> str: ...
