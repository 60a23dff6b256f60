"""Score models.coach.blame against the labelled sets in tests/data and time it.

Run from the repository root: ``python benchmarks/blame_eval.py`` (every set), or name the
sets to score: ``python benchmarks/blame_eval.py eval tune dev dev2`` (the tuned sets only).

The sets:

* ``eval`` (blame_eval.tsv, 340 rows): the first set; ``label<TAB>text``.
* ``tune`` (blame_tune.tsv) and ``untouched`` (blame_untouched.tsv): two halves of 441
  sentences written in one go by someone who had not read the rules, split by
  benchmarks/split_holdout.py before any tuning (stratified by label and family);
  ``label<TAB>family<TAB>text``. Rules were tuned on ``eval`` and ``tune`` only; the
  untouched half was scored once, at the end, and its figures are reported as they came.

The one scoring of the untouched half (issue 15, at commit 89284e1; tuning half 1.000 / 1.000
then): TP 65, FN 45, FP 0, TN 110, so precision 1.000 and recall 0.591, against a target of
0.95 / 0.90. The rules fit the tuning half's sentences much better than the family they
stand for; the recall target is missed.

The second scoring (issue 15's second round, at commit b0f1ee5, after the rules were made to
generalise on ``tune``, ``eval`` and ``dev`` only; tuning half 1.000 / 1.000, dev 1.000 /
0.964): TP 78, FN 32, FP 0, TN 110, so precision 1.000 and recall 0.709. Errors by family:
sarcasm 5, hedged 4, cause 3, judgement 3, passive 3, punish 3, role_team 3, global_name 2,
mention 2, opener 2, you 2. The recall target (0.90) is still missed, in line with each new
``dev`` batch's first-look recall (0.50 to 0.75): hand-written rules catch about two blaming
remarks in three written by someone else.

* ``dev`` (blame_dev.tsv, 358 rows): written during issue 15's second round in five
  batches, each scored before the rule changes it led to (recall 0.75, 0.70, 0.37, 0.57 and
  0.50; precision 1.00, 0.97, 0.93, 1.00 and 1.00); then tuned on, like ``tune``. The
  first-look recall of each new batch is the honest measure of how far the rules generalise.
* ``dev2`` (blame_dev2.tsv, 505 rows): written during issue 15's third round in six batches
  (176, 65, 66, 71, 70 and 57 rows), each scored before the rule changes it led to:
  precision / recall 1.000 / 0.775, 0.963 / 0.684, 1.000 / 0.641, 0.943 / 0.717, 1.000 /
  0.455 (a batch written to be idiomatic on purpose) and 1.000 / 0.833 at first look; then
  tuned on. Before the
  round, ``dev`` stood at 1.000 / 0.964.

* ``fresh_tune`` and ``fresh_untouched`` (blame_fresh_*.tsv, 221 and 219 rows): a second
  blind set of 440 sentences (24 families, the issue's own), written in one go by someone
  who had read neither the rules nor any earlier set, and split by split_holdout.py before
  anything was scored on it. Nothing was tuned on either half.

The scoring after issue 15's third round (at commit d8042c2, the rules tuned on ``eval``,
``tune``, ``dev`` and ``dev2`` only), each set scored once: ``fresh_untouched`` TP 87, FN 22,
FP 3, TN 107, so precision 0.967 and recall 0.798 (sarcasm 8 of the 22 misses);
``fresh_tune`` 0.970 / 0.865; and the first ``untouched`` half, its third scoring, 1.000 /
0.764. The precision target (0.95) is met on unseen text, the recall target (0.90) is not:
hand-written rules catch about four blaming remarks in five written by someone else.

A literal backslash-n inside a text stands for a line break (Slack replies can be
multi-line: a quoted line followed by an answer). The untouched set's misclassified rows
are never printed, so that reading them cannot steer the rules.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from handlers.slack.markup import read  # noqa: E402
from models.coach.blame import assess  # noqa: E402

DATA = ROOT / "tests" / "data"
SETS = {
    "eval": DATA / "blame_eval.tsv",
    "tune": DATA / "blame_tune.tsv",
    "untouched": DATA / "blame_untouched.tsv",
    "dev": DATA / "blame_dev.tsv",
    "dev2": DATA / "blame_dev2.tsv",
    "fresh_tune": DATA / "blame_fresh_tune.tsv",
    "fresh_untouched": DATA / "blame_fresh_untouched.tsv",
}
PASSES = 20


def load_rows(path: Path = SETS["eval"]) -> list[tuple[str, str, str]]:
    """(label, family, text) rows; the family is "" in sets that have none."""
    lines = path.read_text(encoding="utf-8").splitlines()
    with_family = lines[0].split("\t")[:2] == ["label", "family"]
    rows: list[tuple[str, str, str]] = []
    for line in lines[1:]:
        if not line.strip():
            continue
        if with_family:
            label, family, text = line.split("\t", 2)
        else:
            (label, text), family = line.split("\t", 1), ""
        rows.append((label, family, text.replace("\\n", "\n")))
    return rows


def _as_read(rows: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The rows' texts as the coach gets them: read from Slack markup by the front end."""
    return [(label, family, read(text).text) for label, family, text in rows]


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def score(name: str, rows: list[tuple[str, str, str]], *, show_wrong: bool) -> None:
    tp = fp = fn = tn = 0
    wrong: list[tuple[str, str, str, tuple[str, ...]]] = []
    missed_by_family: Counter[str] = Counter()
    for label, family, text in rows:
        verdict = assess(text)
        if label == "blame":
            if verdict.blames:
                tp += 1
            else:
                fn += 1
                missed_by_family[family] += 1
                wrong.append(("FN", family, text, verdict.reasons))
        elif verdict.blames:
            fp += 1
            missed_by_family[family] += 1
            wrong.append(("FP", family, text, verdict.reasons))
        else:
            tn += 1

    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(f"== {name}: {len(rows)} rows (blame {tp + fn}, ok {fp + tn})")
    print("                 predicted blame   predicted ok")
    print(f"  label blame    TP {tp:>12}   FN {fn:>9}")
    print(f"  label ok       FP {fp:>12}   TN {tn:>9}")
    print(f"  precision {precision:.3f}   recall {recall:.3f}   F1 {f1:.3f}")
    if any(family for _, family, _ in rows):
        errors = ", ".join(f"{family} {n}" for family, n in missed_by_family.most_common())
        print(f"  errors by family: {errors or 'none'}")
    if show_wrong and wrong:
        print(f"  misclassified ({len(wrong)}):")
        for kind, family, text, reasons in wrong:
            shown = text.replace("\n", "\\n")
            print(f"    {kind} {family:<15} {shown}")
            for reason in reasons:
                print(f"          - {reason}")
    print()


def timing(rows: list[tuple[str, str, str]]) -> None:
    timings: list[int] = []
    for _ in range(PASSES):
        for _, _, text in rows:
            start = time.perf_counter_ns()
            assess(text)
            timings.append(time.perf_counter_ns() - start)
    timings.sort()
    mean_us = statistics.fmean(timings) / 1000
    p99_us = timings[min(len(timings) - 1, int(len(timings) * 0.99))] / 1000
    print(f"time per reply over {PASSES} passes: mean {mean_us:.1f} us, p99 {p99_us:.1f} us")


def main(names: list[str]) -> int:
    for name in names or list(SETS):
        score(name, _as_read(load_rows(SETS[name])), show_wrong="untouched" not in name)
    timing(_as_read(load_rows(SETS["eval"])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
