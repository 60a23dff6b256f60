"""Normalised words, and the recurring-lesson threshold on a small labelled set."""

from __future__ import annotations

from pathlib import Path

from models.library import SIMILAR_THRESHOLD
from models.wording import signature, significant_words, similarity, stem

PAIRS = [
    line.split("\t")
    for line in (Path(__file__).parents[1] / "data" / "similar_lessons.tsv")
    .read_text()
    .splitlines()
    if line and not line.startswith("#")
]


def test_the_threshold_separates_the_labelled_pairs() -> None:
    scores = [(label, similarity(signature(a), signature(b))) for label, a, b in PAIRS]
    same = [score for label, score in scores if label == "1"]
    different = [score for label, score in scores if label == "0"]

    assert len(same) == len(different) == 10
    assert all(score < SIMILAR_THRESHOLD for score in different), different
    recall = sum(score >= SIMILAR_THRESHOLD for score in same) / len(same)
    assert recall >= 0.8, same


def test_words_are_normalised_for_comparison() -> None:
    assert significant_words("The <@U123|bea> DEPLOYS & <https://x.example|runbook>!") == [
        "bea",
        "deploys",
        "runbook",
    ]
    assert {stem(w) for w in ("deploys", "deployed", "deploying")} == {"deploy"}
    assert stem("stopped") == "stop" and stem("canaries") == "canary"
