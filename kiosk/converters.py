"""URL converters: an <int:...> part of a URL is a database id, never a larger number."""

from typing import Any

from werkzeug.routing import IntegerConverter, Map

# PostgreSQL's integer (SQLite's integers end at 2**63 - 1): a larger number is no row's id,
# and sending it to the database is an overflow error, not "not found".
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """<int:...>: digits up to MAX_ID; anything larger matches no route, so it is a 404."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
