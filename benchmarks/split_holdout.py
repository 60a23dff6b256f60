"""Split a blind labelled set into a tuning half and an untouched half, once.

Rows are grouped by label (and family, where there is one), sorted within each group by a
SHA-256 of their text so the order cannot be chosen, and dealt alternately: the first row of
each group goes to the tuning half. The split is deterministic, so anyone can check it:

    python benchmarks/split_holdout.py tests/data/blame_holdout.tsv \
        tests/data/blame_tune.tsv tests/data/blame_untouched.tsv
"""

from __future__ import annotations

import hashlib
import sys
from collections import defaultdict
from pathlib import Path


def split(source: Path, tune: Path, untouched: Path) -> tuple[int, int]:
    # Plain line splitting keeps every row byte for byte (texts carry quotes).
    lines = source.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    rows = [line.split("\t") for line in lines[1:] if line]
    # Stratify by every column except the text ones (label, and family when present).
    keys = [i for i, name in enumerate(header) if name in {"label", "family"}]
    groups: dict[tuple[str, ...], list[list[str]]] = defaultdict(list)
    for row in rows:
        groups[tuple(row[i] for i in keys)].append(row)
    halves: tuple[list[list[str]], list[list[str]]] = ([], [])
    for group in sorted(groups):
        ordered = sorted(
            groups[group],
            key=lambda row: hashlib.sha256("\t".join(row).encode("utf-8")).hexdigest(),
        )
        for index, row in enumerate(ordered):
            halves[index % 2].append(row)
    for path, half in zip((tune, untouched), halves, strict=True):
        text = "".join("\t".join(row) + "\n" for row in [header, *half])
        path.write_text(text, encoding="utf-8")
    return len(halves[0]), len(halves[1])


if __name__ == "__main__":
    print(split(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])))
