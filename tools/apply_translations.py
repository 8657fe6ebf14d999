"""Apply a JSON file of {Chinese msgid: translation} to a catalogue (default: English).

Used when translating new strings in bulk: `python tools/apply_translations.py new.json`.
Existing translations are overwritten only for the ids in the file.
"""

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1] / "kiosk/translations"


def main(argv: list[str]) -> int:
    mapping_path = Path(argv[0])
    language = argv[1] if len(argv) > 1 else "en"
    po_path = ROOT / language / "LC_MESSAGES" / "messages.po"
    mapping = json.loads(mapping_path.read_text(encoding="utf-8"))
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    applied = 0
    for message in catalog:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key and key in mapping:
            value = mapping[key]
            message.string = tuple(value) if isinstance(message.id, tuple) else value
            message.flags.discard("fuzzy")
            applied += 1
    with po_path.open("wb") as fh:
        write_po(fh, catalog, width=100)
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"applied {applied}; still untranslated: {len(missing)}")
    for message_id in missing:
        print(f"  {message_id!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
