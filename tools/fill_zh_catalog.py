"""Fill the zh_CN catalogue: message ids are the Chinese text, so each translates to itself."""

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PATH = Path(__file__).resolve().parents[1] / "kiosk/translations/zh_CN/LC_MESSAGES/messages.po"


def main() -> int:
    with PATH.open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            message.string = tuple(message.id[:1])  # Chinese has one plural form
        else:
            message.string = message.id
        message.flags.discard("fuzzy")
    with PATH.open("wb") as fh:
        write_po(fh, catalog, width=100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
