"""docs/architecture.md names real files, each once (a walk through the code, not an index)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).parents[1]
DOC = (ROOT / "docs/architecture.md").read_text()
PATH = re.compile(r"\b((?:bot|handlers|models|templates|benchmarks)/[\w/]+\.(?:py|j2))")


def test_every_file_the_walk_names_exists() -> None:
    named = set(PATH.findall(DOC))
    assert named, "the walk names no files"
    assert sorted(p for p in named if not (ROOT / p).is_file()) == []


def test_the_walk_names_each_file_once() -> None:
    assert [p for p, n in Counter(PATH.findall(DOC)).items() if n > 1] == []
