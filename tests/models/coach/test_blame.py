"""Behaviour of the blame detector, plus its precision and recall on the labelled set.

Texts are written as Slack delivers them and read by its front end first, as in the app."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.slack.markup import read
from models.coach import blame
from models.coach.blame import BlameVerdict

EVAL_SET = Path(__file__).parents[2] / "data" / "blame_eval.tsv"
# The figures reached on each tuned set (benchmarks/blame_eval.py prints them): a change that
# loses any of them must say why.
MIN_PRECISION = 1.0
MIN_RECALL = 1.0


def assess(slack_text: str) -> BlameVerdict:
    return blame.assess(read(slack_text).text)


def test_the_coach_reads_plain_text_and_unicode_emoji() -> None:
    verdict = blame.assess("Dave picked the wrong branch \U0001f926\u200d\u2642\ufe0f")
    assert verdict.blames
    assert 'adds emphasis ("\U0001f926")' in verdict.reasons
    assert not blame.assess("Dave picked the wrong branch").blames
    assert assess("Dave picked the wrong branch :man-facepalming:") == verdict
    # Markup is the front end's to read: left in, it is only punctuation.
    assert not blame.assess("<@U0123ABCD> missed it").blames
    assert blame.assess("@U0123ABCD forgot to renew the cert").blames


def _load_eval_set() -> list[tuple[str, str]]:
    # A literal backslash-n in a text stands for a line break (quoted line + answer).
    lines = EVAL_SET.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "label\ttext"
    rows = []
    for line in lines[1:]:
        if not line.strip():
            continue
        label, text = line.split("\t", 1)
        assert label in {"blame", "ok"}, line
        assert "\t" not in text, line
        rows.append((label, text.replace("\\n", "\n")))
    return rows


def test_eval_set_is_large_and_balanced() -> None:
    rows = _load_eval_set()
    blame = sum(1 for label, _ in rows if label == "blame")
    assert len(rows) >= 300
    assert blame * 2 == len(rows)
    assert len({text for _, text in rows}) == len(rows), "duplicate sentences"


def test_precision_and_recall_on_eval_set() -> None:
    rows = _load_eval_set()
    tp = fp = fn = 0
    for label, text in rows:
        flagged = assess(text).blames
        if flagged and label == "blame":
            tp += 1
        elif flagged:
            fp += 1
        elif label == "blame":
            fn += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    assert precision >= MIN_PRECISION, f"precision {precision:.3f} (tp={tp}, fp={fp})"
    assert recall >= MIN_RECALL, f"recall {recall:.3f} (tp={tp}, fn={fn})"


@pytest.mark.parametrize(
    "text",
    [
        "@U0123ABCD forgot to renew the cert",
        "<@U0123ABCD> should have checked the migration first",
        "<@U0123ABCD|alice> messed up the rollout",
        "Dave dropped the ball on the rollback",
        "she ignored the pager for 40 minutes",
    ],
)
def test_mention_with_fault_language_is_blame(text: str) -> None:
    assert assess(text).blames


@pytest.mark.parametrize(
    "text",
    [
        "the deploy script failed to roll back",
        "the cron job forgot to release the lock",
        "the pipeline should have blocked the merge",
        "they (the alerts) should have fired earlier",
        "Jake's laptop failed to connect to the VPN",
    ],
)
def test_script_failing_is_not_blame(text: str) -> None:
    assert not assess(text).blames


def test_clauses_keep_people_apart_from_system_failures() -> None:
    assert not assess("Alice paged the on-call; the script failed to roll back").blames


@pytest.mark.parametrize(
    "text",
    [
        "Alice paged the on-call",
        "Bob rolled back the release at 10:42",
        "the on-call engineer had no runbook",
        "nobody was paged because the rota was empty",
        "human factors review is on Thursday",
        "Ben should have the timeline ready by Friday",
    ],
)
def test_neutral_mentions_of_people_are_not_blame(text: str) -> None:
    assert not assess(text).blames


@pytest.mark.parametrize(
    "text",
    [
        "it wasn't Bob's fault",
        "nobody is to blame here",
        "this is not about who forgot",
        "Alice did not make a mistake",
        "no one failed here",
        "Bob didnt forget anything, the step was missing",
    ],
)
def test_negated_fault_is_not_blame(text: str) -> None:
    assert not assess(text).blames


@pytest.mark.parametrize(
    "text",
    [
        "> Dave forgot to renew the cert",
        "&gt; Dave forgot to renew the cert\nthat isn't what happened, the job was broken",
        'the error said "user failed to authenticate"',
    ],
)
def test_quoted_text_is_ignored(text: str) -> None:
    assert not assess(text).blames


@pytest.mark.parametrize(
    "text",
    [
        "the log said `worker forgot heartbeat` for an hour",
        "```\nERROR: bob failed to acquire lease\n```",
    ],
)
def test_code_span_is_ignored(text: str) -> None:
    assert not assess(text).blames


@pytest.mark.parametrize(
    "text",
    [
        "great job @U07BOBBY1, really nailed it by deleting prod",
        "nice one, Sarah. the whole EU region was down for an hour",
        "thanks a lot Dave",
    ],
)
def test_sarcasm_at_a_person_is_blame(text: str) -> None:
    verdict = assess(text)
    assert verdict.blames
    assert any("sarcasm" in reason for reason in verdict.reasons)


def test_sincere_praise_is_not_sarcasm() -> None:
    assert not assess("great job @U07BOBBY1 on the quick rollback, really nailed it").blames
    assert not assess("thanks Sarah for jumping on the call so fast!").blames


@pytest.mark.parametrize(
    "text",
    [
        "if Alice had just checked the dashboard we'd have caught it",
        "had he read the runbook this would never have happened",
        "this wouldn't have happened if Tom was paying attention",
    ],
)
def test_counterfactual_about_a_person_is_blame(text: str) -> None:
    verdict = assess(text)
    assert verdict.blames
    assert any("counterfactual" in reason for reason in verdict.reasons)


def test_counterfactual_about_a_system_is_not_blame() -> None:
    assert not assess("this wouldn't have happened if the rate limiter was enabled").blames
    assert not assess("had the alert threshold been lower we'd have been paged sooner").blames


@pytest.mark.parametrize(
    "text",
    [
        "we should add an alert on replication lag",
        "we forgot to include load testing in the release checklist",
        # Policy: first-person self-reflection is never flagged.
        "I was careless with the migration and I want to own that",
    ],
)
def test_we_should_is_not_blame(text: str) -> None:
    assert not assess(text).blames


def test_contractions_case_and_markup_are_normalised() -> None:
    assert assess("*Pedro* shouldn't've restarted the primary").blames
    assert assess("SHE DIDNT EVEN READ THE PR").blames
    assert assess("Lukas forgot to drain the node :facepalm:").blames


def test_reframes_fit_what_was_said() -> None:
    forgot = assess("Dave forgot to renew the cert")
    assert "checklist" in forgot.reframes[0] or "automat" in forgot.reframes[0]
    ignored = assess("she ignored the pager for an hour")
    assert "signal" in ignored.reframes[0]


def test_blame_gives_reasons_and_at_most_two_reframes() -> None:
    verdict = assess("it's his fault, he forgot the canary and ignored the alerts")
    assert verdict.blames
    assert verdict.reasons
    assert all(isinstance(reason, str) and reason for reason in verdict.reasons)
    assert 1 <= len(verdict.reframes) <= 2
    assert all(question.endswith("?") for question in verdict.reframes)


def test_not_blame_has_no_reasons_or_reframes() -> None:
    assert assess("Bob rolled back at 10:42") == BlameVerdict(False, (), ())


@pytest.mark.parametrize("text", ["", "   ", "\n", ":facepalm:", "```code only```"])
def test_empty_text(text: str) -> None:
    assert assess(text) == BlameVerdict(blames=False, reasons=(), reframes=())


# The blind set's tuning half (tests/data/blame_tune.tsv). Its other half,
# blame_untouched.tsv, is scored once by benchmarks/blame_eval.py and guarded by no test,
# so that no one tunes the rules against it.
TUNE_SET = Path(__file__).parents[2] / "data" / "blame_tune.tsv"
TUNE_MIN_PRECISION = 1.0
TUNE_MIN_RECALL = 1.0


def test_precision_and_recall_on_the_blind_sets_tuning_half() -> None:
    lines = TUNE_SET.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "label\tfamily\ttext"
    tp = fp = fn = 0
    for line in lines[1:]:
        label, _family, text = line.split("\t", 2)
        flagged = assess(text).blames
        tp += flagged and label == "blame"
        fp += flagged and label == "ok"
        fn += not flagged and label == "blame"
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= TUNE_MIN_PRECISION, f"precision {precision:.3f} (tp={tp}, fp={fp})"
    assert recall >= TUNE_MIN_RECALL, f"recall {recall:.3f} (tp={tp}, fn={fn})"


@pytest.mark.parametrize(
    "text",
    [
        "Katarzyna's migration is what broke the reports.",
        "Seo-yeon's carelessness took down search for two hours.",
        "Adaeze let the certificate lapse after three warnings.",
        # A name that ends like a plural ("and" + "ers") is still a name.
        "Frankly, Anders should be fired.",
        "Harry needs to be held accountable for this outage.",
    ],
)
def test_names_from_anywhere_are_people(text: str) -> None:
    assert assess(text).blames


@pytest.mark.parametrize(
    "text",
    [
        "Dependabot broke the build again.",
        "PagerDuty failed to page the secondary.",
        "Terraform deleted the load balancer, again.",
        "Retries failed to back off and broke the database again.",
    ],
)
def test_bots_tools_and_plain_words_are_not_people(text: str) -> None:
    assert not assess(text).blames


@pytest.mark.parametrize(
    "text",
    [
        "The outage is down to Marco.",
        "Root cause: @U0123ABCD.",
        "You're the reason customers lost data today.",
        "No offense to Mark, but his change is what broke things.",
        "The firewall rule was deleted by Eva.",
        "Harriet needs to be held accountable for this outage.",
        "There should be consequences for Megan after this.",
        "I want Rob removed from the release team.",
        "The platform team is the reason we were down all night.",
        "This happened because of Jules.",
        "The person who wrote this cron job should not be allowed near prod.",
    ],
)
def test_a_person_as_cause_passive_agent_or_punishment_target_is_blame(text: str) -> None:
    assert assess(text).blames


@pytest.mark.parametrize(
    "text",
    [
        "The root cause was a missing index on the orders table.",
        "The rollback was done by Sven within ten minutes.",
        "Nobody is getting blamed or written up for this.",
        "We caught it early because of Priya.",
        "The bad config was caught by Ana before it reached prod.",
        "The outage was mitigated by Lena, who rolled back the deploy.",
        "Rangi is the reason we recovered so fast.",
        "Props to Ola for catching the Friday deploy before it went out.",
        "Supabase failed to fail over, again.",
        "Saying Tom broke it doesn't help us.",
        "Someone asked if Chen should be held accountable; the answer is no.",
        'I\'d rephrase "Lena was negligent" as "the process didn\'t catch the missing step".',
    ],
)
def test_system_causes_neutral_agents_and_quoted_blame_are_not_blame(text: str) -> None:
    assert not assess(text).blames


# tests/data/blame_dev.tsv: 358 sentences written during issue 15 in five rounds, each
# before the rule changes it led to (recall 0.75, 0.70, 0.37, 0.57, 0.50 at first look):
# a tuning set like blame_tune.tsv, so it is guarded as one.
DEV_SET = Path(__file__).parents[2] / "data" / "blame_dev.tsv"
DEV_MIN_PRECISION = 1.0
DEV_MIN_RECALL = 0.965


def test_precision_and_recall_on_the_development_set() -> None:
    lines = DEV_SET.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "label\tfamily\ttext"
    assert len(lines) == 359
    precision, recall, counts = _score_family_set(lines)
    assert precision >= DEV_MIN_PRECISION, f"precision {precision:.3f} ({counts})"
    assert recall >= DEV_MIN_RECALL, f"recall {recall:.3f} ({counts})"


def _score_family_set(lines: list[str]) -> tuple[float, float, str]:
    tp = fp = fn = 0
    for line in lines[1:]:
        label, _family, text = line.split("\t", 2)
        flagged = assess(text.replace("\\n", "\n")).blames
        tp += flagged and label == "blame"
        fp += flagged and label == "ok"
        fn += not flagged and label == "blame"
    return tp / (tp + fp), tp / (tp + fn), f"tp={tp}, fp={fp}, fn={fn}"


# tests/data/blame_dev2.tsv: 505 sentences written in issue 15's third round in six
# batches, each scored before the rule changes it led to (first-look precision / recall
# 1.000 / 0.775, 0.963 / 0.684, 1.000 / 0.641, 0.943 / 0.717, 1.000 / 0.455, 1.000 / 0.833),
# then tuned on.
DEV2_SET = Path(__file__).parents[2] / "data" / "blame_dev2.tsv"
DEV2_MIN_PRECISION = 1.0
DEV2_MIN_RECALL = 0.98


def test_precision_and_recall_on_the_third_rounds_development_set() -> None:
    lines = DEV2_SET.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "label\tfamily\ttext"
    assert len(lines) == 506
    assert len({line.split("\t", 2)[2] for line in lines[1:]}) == 505, "duplicate sentences"
    precision, recall, counts = _score_family_set(lines)
    assert precision >= DEV2_MIN_PRECISION, f"precision {precision:.3f} ({counts})"
    assert recall >= DEV2_MIN_RECALL, f"recall {recall:.3f} ({counts})"


@pytest.mark.parametrize(
    "text",
    [
        # A person called a judgement noun, or lacking a quality.
        "Honestly Ottilie is a liability near the load balancers.",
        "Chibuzo has zero discipline with feature flags.",
        "Her handling of the failover was shoddy.",
        # An act aimed at the wrong target, and a clause that opens with a verb.
        "Nkechi restarted the wrong replica.",
        "Classic Teodora, merging untested code on a Friday.",
        # "whoever ..." as a subject, and a role with a possessive determiner.
        "Whoever rotated those keys last week should be held accountable.",
        "The agency's developer was completely negligent.",
        # A cause after "because" or "is why", and a syllable name mid-sentence.
        "The checkout outage happened because Vusi skipped the canary.",
        "The cache was clobbered by Min-jun during the cleanup.",
        # A name typed in lower case, and sarcastic thanks for a bad thing.
        "yevgenia never reads the alerts",
        "Big thanks to Paora for the surprise outage at 3am 🙃",
        # Second person with a fault predicate after a reporting verb.
        "You should have asked before rebooting the primary.",
    ],
)
def test_blame_in_shapes_the_third_round_added(text: str) -> None:
    assert assess(text).blames


@pytest.mark.parametrize(
    "text",
    [
        "I restarted the wrong replica; the hostnames differ by one letter.",
        "Whoever picks this ticket up should start with the retry loop.",
        "Back-up was skipped by the scheduler because the disk was full.",
        "The vendor's engineer joined the bridge at 02:10 and confirmed the fix.",
        "Thanks to Paora for the quick rollback last night!",
        "Ewa deleted the stale DNS record as planned.",
        "Calling it Lior's mistake ignores that the form accepted the typo.",
        "logging failed to flush before the pod was killed.",
    ],
)
def test_first_person_hard_negatives_and_reports_stay_unflagged_in_new_shapes(text: str) -> None:
    assert not assess(text).blames


@pytest.mark.parametrize(
    "text",
    [
        # Judgement of competence without a listed insult.
        "Frankly Thandiwe is not competent enough to run migrations.",
        "Bongani showed terrible judgement here.",
        # A person as the cause, in words no rule lists one by one.
        "The data loss traces back to Björn.",
        "All of this started when Joaquín force-pushed to main.",
        "The cluster was taken down by Jae-won's script.",
        # A name that is an English word too, in a subject's place mid-sentence.
        "I think Frank deserves a formal warning.",
        # "without" governs "review", not "broke".
        "Whoever merged this without review broke prod.",
    ],
)
def test_blame_beyond_the_word_lists(text: str) -> None:
    assert assess(text).blames


@pytest.mark.parametrize(
    "text",
    [
        # Blame reported in order to push back on it.
        "In the retro someone said Lars should be fired; we agreed that's not how we work.",
        # A product whose second word is capitalised, in a subject's place.
        "GitHub Actions failed to publish the image.",
        "The outage traces back to a missing timeout.",
        "Thanks to Pradeep we caught it before customers did.",
        "The alert is not reliable enough to page on.",
    ],
)
def test_reported_blame_products_and_systems_stay_unflagged(text: str) -> None:
    assert not assess(text).blames
