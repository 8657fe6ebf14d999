"""Every `# type: ignore` in the checked code names its error code and says why (issue #24)."""

import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("kiosk", "scoring", "typings")

IGNORE = re.compile(r"type:\s*ignore")
# "# type: ignore[code, code]  # why", the reason at least a couple of words' worth.
EXPLAINED = re.compile(r"#\s*type:\s*ignore\[[a-z-]+(?:,\s*[a-z-]+)*\]\s+#\s*\S.{4,}")


def _comments(path: Path) -> list[tuple[int, str]]:
    source = path.read_text(encoding="utf-8")
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [(tok.start[0], tok.string) for tok in tokens if tok.type == tokenize.COMMENT]


def unexplained_ignores(paths: list[Path], root: Path = ROOT) -> list[str]:
    """Return file:line of each type: ignore comment without [code] and a reason after it."""
    found = []
    for path in paths:
        for line, comment in _comments(path):
            if IGNORE.search(comment) and not EXPLAINED.search(comment):
                found.append(f"{path.relative_to(root)}:{line}: {comment.strip()}")
    return found


def _checked_files() -> list[Path]:
    return sorted(
        path
        for folder in CHECKED
        for pattern in ("*.py", "*.pyi")
        for path in (ROOT / folder).rglob(pattern)
    )


def test_every_type_ignore_has_a_code_and_a_reason() -> None:
    problems = unexplained_ignores(_checked_files())
    assert not problems, "type: ignore without [code] and a reason:\n" + "\n".join(problems)


def test_the_check_tells_explained_from_unexplained(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    lines = [
        "a = 1  # type: ignore",
        "b = 2  # type: ignore[misc]",
        "c = 3  # type: ignore  # no code",
        "d = 4  # type: ignore[misc]  # WTForms declares it per instance",
        "e = 5  # type: ignore[arg-type, misc]  # both from the same untyped call",
        's = "# type: ignore inside a string is no comment"',
    ]
    sample.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = unexplained_ignores([sample], root=tmp_path)
    assert [p.split(": ", 1)[0] for p in problems] == ["sample.py:1", "sample.py:2", "sample.py:3"]
