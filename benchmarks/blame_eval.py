"""Score models.blame against tests/data/blame_eval.tsv and time it.

Run from the repository root: ``python benchmarks/blame_eval.py``.

The TSV has a ``label<TAB>text`` header, then one reply per row labelled ``blame`` or ``ok``.
A literal backslash-n inside a text stands for a line break (Slack replies can be multi-line:
a quoted line followed by an answer).

Honesty note on the evaluation set: all 340 rows were written before the detector existed and
before it was first run on them. No rows were added, removed, relabelled or reworded after that
first run; tuning changed only the rules and lexicons in models/blame.py.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from models.blame import assess  # noqa: E402

DATA = ROOT / "tests" / "data" / "blame_eval.tsv"
PASSES = 20


def load_rows(path: Path = DATA) -> list[tuple[str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    rows: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line.strip():
            continue
        label, text = line.split("\t", 1)
        rows.append((label, text.replace("\\n", "\n")))
    return rows


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def main() -> int:
    rows = load_rows()
    tp = fp = fn = tn = 0
    wrong: list[tuple[str, str, tuple[str, ...]]] = []
    for label, text in rows:
        verdict = assess(text)
        if label == "blame":
            if verdict.blames:
                tp += 1
            else:
                fn += 1
                wrong.append(("FN", text, verdict.reasons))
        elif verdict.blames:
            fp += 1
            wrong.append(("FP", text, verdict.reasons))
        else:
            tn += 1

    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    timings: list[int] = []
    for _ in range(PASSES):
        for _, text in rows:
            start = time.perf_counter_ns()
            assess(text)
            timings.append(time.perf_counter_ns() - start)
    timings.sort()
    mean_us = statistics.fmean(timings) / 1000
    p99_us = timings[min(len(timings) - 1, int(len(timings) * 0.99))] / 1000

    print(f"rows: {len(rows)}  (blame {tp + fn}, ok {fp + tn})")
    print()
    print("                 predicted blame   predicted ok")
    print(f"  label blame    TP {tp:>12}   FN {fn:>9}")
    print(f"  label ok       FP {fp:>12}   TN {tn:>9}")
    print()
    print(f"precision: {precision:.3f}")
    print(f"recall:    {recall:.3f}")
    print(f"F1:        {f1:.3f}")
    print(f"time per reply over {PASSES} passes: mean {mean_us:.1f} us, p99 {p99_us:.1f} us")
    print()
    print(f"misclassified ({len(wrong)}):")
    for kind, text, reasons in wrong:
        shown = text.replace("\n", "\\n")
        print(f"  {kind}  {shown}")
        for reason in reasons:
            print(f"        - {reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
