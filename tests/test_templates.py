"""Templates against the stylesheets: every table a page shows is one the CSS styles."""

import re
from pathlib import Path

import kiosk

PACKAGE = Path(kiosk.__file__).parent
CSS = "\n".join(path.read_text() for path in (PACKAGE / "static" / "css").glob("*.css"))


def test_every_table_has_a_class_the_stylesheets_style():
    unstyled = []
    for template in sorted((PACKAGE / "templates").rglob("*.html")):
        for tag in re.findall(r"<table\b[^>]*>", template.read_text()):
            found = re.search(r'class="([^"]*)"', tag)
            classes = found.group(1).split() if found else []
            if not any(re.search(rf"\.{re.escape(name)}\b", CSS) for name in classes):
                unstyled.append(f"{template.relative_to(PACKAGE)}: {tag}")
    assert not unstyled, "tables without a styled class (a bare, unreadable table):\n" + "\n".join(
        unstyled
    )
