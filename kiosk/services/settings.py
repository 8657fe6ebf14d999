"""Operational settings (deadlines, opening hours, board rotation) read in one place.

Values come from the configuration today; an admin settings page may store overrides in
the database later, and every caller already reads through setting().
"""

from typing import Any

from flask import current_app


def setting(name: str) -> Any:
    """Return the current value of an operational setting."""
    return current_app.config[name]
