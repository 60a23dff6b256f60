"""Normalised words, and the recurring-lesson threshold on a small labelled set."""

from __future__ import annotations

from pathlib import Path

from models.lessons.library import SIMILAR_THRESHOLD
from models.lessons.wording import search_forms, signature, significant_words, similarity, stem


def pairs(name: str) -> list[list[str]]:
    return [
        line.split("\t")
        for line in (Path(__file__).parents[2] / "data" / name).read_text().splitlines()
        if line and not line.startswith("#")
    ]


PAIRS = pairs("similar_lessons.tsv")


def test_the_threshold_separates_the_labelled_pairs() -> None:
    scores = [(label, similarity(signature(a), signature(b))) for label, a, b in PAIRS]
    same = [score for label, score in scores if label == "1"]
    different = [score for label, score in scores if label == "0"]

    assert len(same) == len(different) == 10
    assert all(score < SIMILAR_THRESHOLD for score in different), different
    recall = sum(score >= SIMILAR_THRESHOLD for score in same) / len(same)
    assert recall >= 0.8, same


def test_words_are_normalised_for_comparison() -> None:
    assert significant_words("The @bea DEPLOYS & the runbook!") == [
        "bea",
        "deploys",
        "runbook",
    ]
    assert {stem(w) for w in ("deploys", "deployed", "deploying")} == {"deploy"}
    assert stem("stopped") == "stop" and stem("canaries") == "canary"


def test_hard_pairs_keep_the_measured_precision_and_recall() -> None:
    """Near misses (same topic words, another lesson) and paraphrases (few shared words):
    word overlap cannot get all of them. benchmarks/similarity_eval.py prints the figures;
    this keeps them from sliding back (they were 0.17 and 0.08 before aliases and tone)."""
    hard = pairs("similar_lessons_hard.tsv")
    said = [label == "1" for label, a, b in hard if similarity(signature(a), signature(b)) >= 0.5]
    precision = sum(said) / len(said)
    recall = sum(said) / sum(label == "1" for label, _, _ in hard)

    assert len(hard) == 24
    assert precision >= 0.6 and recall >= 0.4, (precision, recall)


def test_short_forms_and_roll_back_compare_as_one_word() -> None:
    assert signature("prod env cert db config") == signature(
        "production environment certificate database configuration"
    )
    assert "rollback" in signature("we could not roll back") - {"~problem", "~praise"}
    # Synonyms of the field widen the search too: a paraphrase must be a candidate.
    assert set(search_forms(["db", "slow"])) == {
        "db",
        "dbs",
        "database",
        "databases",
        "postgres",
        "mysql",
        "schema",
        "slow",
    }


def test_praise_and_problem_on_one_topic_are_not_the_same_lesson() -> None:
    problem = signature("No canary stage for config changes")
    praise = signature("The canary stage caught the config changes early")
    restated = signature("Config changes had no canary stage")

    assert similarity(problem, praise) < 0.5 <= similarity(problem, restated)


def test_the_fields_synonyms_compare_as_one_word() -> None:
    assert signature("Deploys went out on Friday") == signature("release goes out on Friday")
    assert signature("page the pager holder") == signature("alert the on-call")
    assert "database" in search_forms(["db"]) and "release" in search_forms(["deploy"])


def test_blind_pair_sets_tuning_half_keeps_its_measured_precision_and_recall() -> None:
    # Measured when the synonyms were added (precision 0.66, recall 0.29), then 0.74 / 0.33
    # once durations compared by length (issue 15): far below the
    # issue's target; this guards against losing what there is. The untouched half is
    # scored only by benchmarks/similarity_eval.py.
    rows = [
        line.split("\t")
        for line in (Path(__file__).parents[2] / "data" / "similar_tune.tsv")
        .read_text()
        .splitlines()[1:]
        if line
    ]
    said = [
        label == "same"
        for label, a, b in rows
        if similarity(signature(a), signature(b)) >= SIMILAR_THRESHOLD
    ]
    precision = sum(said) / len(said)
    recall = sum(said) / sum(label == "same" for label, _, _ in rows)
    assert precision >= 0.7 and recall >= 0.3, (precision, recall)


def test_durations_compare_by_length_whatever_their_words() -> None:
    assert signature("Post updates every 30 minutes") == signature("post updates every half hour")
    assert signature("Keep backups for 30 days") == signature("keep backups for a month")
    assert signature("Limit shifts to one week") == signature("limit shifts to 7 days")
    assert signature("Limit shifts to one week") != signature("limit shifts to 2 weeks")
    # A number without a unit is left alone.
    assert "429" in signature("Return 429 to clients")


def test_opposite_advice_on_one_topic_is_not_the_same_lesson() -> None:
    faster = signature("Tune the autoscaler to scale up faster.")
    slower = signature("Tune the autoscaler to scale down more slowly.")
    assert similarity(faster, slower) < SIMILAR_THRESHOLD
    # Both words on both sides oppose nothing.
    assert similarity(faster, signature("Tune the autoscaler to scale up faster.")) == 1.0
