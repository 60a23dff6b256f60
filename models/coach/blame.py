"""Tell whether a post-mortem reply blames a person, say why, and offer a systems-focused reframe.

This is a small rule-based classifier (standard library only, no model, no network) so that its
decisions can be read, explained to users and fixed by editing a lexicon. ``assess`` takes
about a tenth of a millisecond on a typical reply; every regex is compiled at import.

How a reply is read:

1. Normalise: drop quoted lines (``>``), code, struck-through text and reported speech in double
   quotes; turn @-mentions, names and role nouns ("the intern", "the dev who ...", "Platform
   team") into person placeholders; lowercase; expand contractions ("didnt", "shouldn't've").
   A name is a word of models/coach/words/names.txt, or any capitalised word that is neither an
   English word (the GCIDE list of the english-words package) nor a tool or bot
   (not_people.txt; "PagerDuty", "Dependabot"), so "Katarzyna" and "Seo-yeon" are people;
   inside a sentence also two short syllables ("Sung-min"), and at a sentence's start a
   lower-case word that is no English word and is followed by a verb ("marcelo never ...").
2. Look for direct fault statements at sentence level ("Maria's mistake", "it's on Sven",
   "human error by Kevin"), counterfactual judgements ("if Alice had just checked") and sarcasm
   (praise for a person next to a bad outcome: "nice one Dave, prod is down"), a person named
   as the cause ("the outage is down to Marco", "the config was wiped by Chen") and calls for
   punishment ("Harry needs to be held accountable").
3. Split each sentence into clauses and pair fault language ("forgot", "failed to", "should
   have ...") with the clause's subject. Only a *person* subject counts: "the deploy script failed
   to roll back" is a systems statement, and so is "Jake's laptop failed to connect".
4. Add up the weights. Strong fault language paired with a person is enough on its own; weak cues
   ("wrong", "deleted") need an intensifier ("again", "??", 🤦) to tip the balance.

The text is plain: a front end has read its platform's markup already (handlers/slack/markup.py
turns a Slack mention into a readable "@name" placeholder and emoji into Unicode characters).

Policy decisions, mirrored in tests/data/blame_eval.tsv:

* First-person statements are never flagged, singular or plural ("I was careless with the
  migration", "we forgot load testing"). The coach exists to stop people blaming others; nudging
  someone who is owning their part would discourage exactly the reflection a blameless retro
  wants.
* Things are never blamed: scripts, jobs, alerts, pipelines, processes, vendors' APIs. "It" never
  refers to a person. "They" does, unless the previous clause was about things ("the replicas
  were lagging and they should have ...") or an aside says so ("they (the alerts) ...").
* Named teams count as people ("the QA team", "someone on team payments"); a bare "the team" is
  read like "we".
* Quoted material is ignored: Slack quote lines, code spans and blocks, and double-quoted phrases
  of two or more words (reported speech such as: the error said "user failed to authenticate").
  A single quoted word is kept, since scare quotes are a sarcasm device.
* Negated fault is not blame ("it wasn't Bob's fault", "Alice did not make a mistake", "nobody
  is to blame").
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Final, Literal

from english_words import get_english_words_set

from models.coach.verdict import BlameVerdict

__all__ = ["COACH_LIMIT", "BlameVerdict", "assess"]


_NOT_BLAME: Final = BlameVerdict(blames=False, reasons=(), reframes=())

# A strong cue is enough on its own; a weak one needs a second weak cue or an intensifier.
_STRONG: Final = 1.0
_WEAK: Final = 0.5
_THRESHOLD: Final = 1.0
_MAX_REASONS: Final = 3
# The coach reads this much of a reply. Every step is linear, but a reply can carry 8,000
# fault words ("skip " * 8,000) and each costs a few microseconds: past ~700 words a reply is
# a pasted document, not a remark to reframe, and the cap keeps a reply under 50 ms
# (benchmarks/text_bounds.py) so it cannot hold up other requests.
COACH_LIMIT: Final = 4_000

Subject = Literal["person", "self", "nobody", "thing", "none"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _word_file(name: str) -> frozenset[str]:
    """One word list of models/coach/words: words separated by blanks, # starts a comment."""
    text = (files("models.coach") / "words" / name).read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() for w in line.split("#", 1)[0].split())


_NAMES: Final = _word_file("names.txt")
# Words that judge a person's character or competence ("sloppy", "cavalier", "inept"), and
# the qualities whose absence does ("not competent", "not careful enough").
_JUDGEMENT_WORDS: Final = _word_file("judgements.txt")
_QUALITY_WORDS: Final = _word_file("qualities.txt")
# Nouns that judge a person when they are called one ("a menace", "a cowboy", "a hazard").
_JUDGEMENT_NOUNS: Final = _word_file("judgement_nouns.txt")
# Words that call a person's work or conduct poor ("atrocious", "shoddy").
_POOR_QUALITIES: Final = _word_file("poor_qualities.txt")

_AMBIGUOUS_NAMES: Final = _word_file("ambiguous_names.txt")
_NOT_PEOPLE: Final = _word_file("not_people.txt")
# English words (GCIDE, shipped inside the english-words package): a capitalised word that is
# none of them, nor a tool, reads as a person's name. Loaded once at import (about 40 ms).
_ENGLISH: Final[frozenset[str]] = frozenset(
    get_english_words_set(["gcide"], alpha=True, lower=True)
) | _word_file("english_extra.txt")

# Words after a sentence-initial ambiguous name that show it is not a name ("Will we ...").
_NOT_AFTER_NAME: Final = _words("i we you he she they it the a an this that our your as all there")

# Nouns that, right after a role noun, make it a modifier of a thing ("the on-call rotation").
_THING_HEADS: Final = _words(
    """
    onboarding doc docs documentation runbook checklist rotation rota schedule handbook tool
    tooling channel process pager phone laptop account access permissions setup dashboard script
    ticket queue template guide calendar policy page alert alerts handover backlog board form
    config shift load alias group role bot environment env server box branch build cluster
    database db instance machine workflow pipeline deploy release version mode flag key token
    portal site tools
    """
)

_ROLE_RE: Final = re.compile(
    # "the vendor's engineer": a possessive is a determiner too ("it's", "that's" are not).
    r"\b(?P<det>(?:(?:the|a|our|their)\s+)?"
    r"(?!(?:it|that|there|what|here|who|he|she|let|where)'s)[a-z]+'s|"
    r"the|our|that|this|a|an|their|your|some)\s+"
    r"(?P<mods>(?:(?:new|junior|senior|other|same|night|weekend|on-?call|qa|ops|db|sre|infra|"
    r"platform|backend|frontend|mobile|data|payments?|billing|release|support|security|devops|"
    r"it|web|api|network|networking|shift|duty|primary|secondary|day|evening|so-called|"
    r"offshore|outsourced|vendor|external|agency)\s+){0,2})"
    r"(?P<head>guy|gal|dude|person|interns?|new hires?|hires?|devs?|developers?|engineers?|"
    r"contractors?|dbas?|sres?|sysadmins?|on-?call|oncall|qa|testers?|reviewers?|approvers?|"
    r"author|consultants?|newbies?|genius|idiot|clown|bright spark|"
    r"team lead|tech lead|ops lead|(?:release|incident|engineering|delivery|project|product) "
    r"manager|team|squad|crew|folks|guys)\b"
    r"|\b(?P<bare>team lead|tech lead)\b"
    # A named team needs no article: "Platform team broke it again".
    r"|\b(?P<named>(?:platform|qa|ops|sre|infra|backend|frontend|mobile|data|payments?|billing|"
    r"release|support|security|devops|network(?:ing)?|product|engineering|dba|database|db|web|"
    r"api|design|marketing|sales|checkout|search|identity|growth|mobile|offshore|outsourced|"
    r"vendor|external|agency)\s+(?:team|squad|crew|folks|guys|people))\b",
    re.IGNORECASE,
)

# A mention's placeholder ("@marco") or a typed @handle. Replaced in one pass, so a handle
# typed as "@p5" is a person like any other, never mistaken for a placeholder this module
# inserted.
_MENTION_RE: Final = re.compile(r"(?<![\w@])@([A-Za-z][\w.\-]*[A-Za-z0-9])")
_SPECIAL_HANDLES: Final = frozenset({"here", "channel", "everyone"})

_WORD_RE: Final = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
# Teams named bare, as the subject of a sentence: "QA let it through", "Product rushed us".
_TEAM_WORDS: Final = frozenset({"QA", "SRE", "SREs", "Ops", "DevOps", "DBA", "DBAs", "Product"})

_PLACEHOLDER_RE: Final = re.compile(r"@p(\d+)")
# The word after a position, skipping blanks, and the character that ends it.
_NEXT_WORD_RE: Final = re.compile(r"\s*+(\S*+)(.?)", re.DOTALL)
# The next word when it is short (all of _NOT_AFTER_NAME is), without scanning a long one.
_SHORT_NEXT_WORD_RE: Final = re.compile(r"\s*+([,.]*+[^\s,.]{0,8}+[,.]*+)(?!\S)")
_TOKEN_RE: Final = re.compile(r"\S+")

# Words that can open a clause before its subject without changing who the subject is.
_LEADING_FILLER_RE: Final = re.compile(
    r"^(?:(?:honestly|tbh|imo|imho|frankly|ugh|well|so|and|but|also|yeah|yes|ok|okay|lol|sigh|"
    r"wow|again|then|now|classic|typical|clearly|obviously|apparently|basically|really|just|"
    r"seriously|sadly|unfortunately|of course|to be honest|btw|fwiw|like|literally|plus|"
    r"meanwhile|anyway|yesterday|today|tonight|last night|this morning|once again|in the end|"
    r"turns out(?: that)?|looks like|seems like|root cause|oh|hmm|great|just great|why|how|when|"
    r"what|pretty|very|too|totally|completely|utterly|super|extremely|quite|kinda|kind of|"
    r"a bit|simple as that|no question|it (?:is|was)(?= @p\d+ (?:who|that)\b)|"
    r"it (?:is|was) (?:\w+ )?(?:obvious|clear|evident|plain)(?: that)?|let us be honest|"
    r"to be fair|not gonna lie|the (?:problem|issue|thing|truth|reality|fact) (?:is|was)(?: that)?|"
    r"nobody (?:should|would) be surprised|no surprise|"
    r"i (?:think|feel like|feel|guess|bet|saw|noticed|heard|see|suspect|believe|reckon)"
    r"(?: that)?)\s+)+"
)
# "that's negligence", "it was reckless": the judgement is about the previous clause's subject.
_COPULA_ADVERBS: Final = _words(
    "just all pretty really totally so plain entirely simply obviously clearly"
)
_COPULA_ONLY_RE: Final = re.compile(
    r"^(?:that|this|it|which)(?: one)? (?:is|was)(?: (?:"
    + "|".join(sorted(_COPULA_ADVERBS))
    + r"))*$"
)

# A person's conduct: judging it judges the person ("Sarah's work was careless").
_CONDUCT: Final = _words(
    "attitude work approach handling behaviour behavior judgement judgment conduct effort "
    "testing reviews review reviewing prep preparation planning communication diligence "
    "performance attention habits decisions decision"
)
_PERSON_WORDS: Final = frozenset({"he", "she", "you", "someone", "somebody", "whoever", "him"})
_THEY_WORDS: Final = frozenset({"they", "them"})
_RELATIVES: Final = frozenset({"which", "that", "whom"})
_SELF_WORDS: Final = frozenset({"i", "we", "me", "us", "myself", "ourselves"})
_NOBODY_WORDS: Final = frozenset({"nobody", "noone", "none", "no-one"})
_DETERMINERS: Final = _words(
    """
    the a an this that these those our my your his her their its some every each all any no
    another it there which what everything something nothing anything
    """
)
_NEGATORS: Final = frozenset({"not", "never", "no", "nobody", "none", "neither", "nor", "without"})
_NEGATION_WINDOW: Final = 4

# Verbs naming a duty a person can be said to have skipped ("didn't check", "never tests").
_DUTY = (
    r"(?:check|test|read|follow|updat|escalat|review|look|verif|notic|ask|tell|told|answer|"
    r"respond|monitor|communicat|document|writ|wrote|catch|caught|open|remov|merg|announc|rotat|"
    r"drain|renew|bump|wait|listen|report|warn|mention|validat|confirm|run|ran|double[- ]check|"
    r"pay attention|do (?:his|her|their|your) job|do the one thing|notif|inform|loop|flag|"
    r"revert|roll (?:it |this |that )?back|hand (?:it |this )?over|coordinat|share|sync)\w*"
)

# After "should have" / "if X had", these words mean possession or a need, not a judgement:
# "Ben should have the timeline ready", "the rotation should have a secondary".
_NOT_A_PARTICIPLE: Final = _words(
    """
    the a an access any more no some enough time to his her their its our my your this that
    these those had one two all both each every plenty fewer less ready got gotten received
    heard
    """
)
# "if Alice had known about the flag" is about missing information, not conduct.
_CF_NOT_CONDUCT: Final = _NOT_A_PARTICIPLE | {"known", "been", "a"}
# "should have been more careful" judges; "should have been paged" is passive, so the person
# was on the receiving end of a system gap.
_BEEN_JUDGEMENT: Final = _words("more less careful awake around there focused paying on sober")


@dataclass(frozen=True, slots=True)
class _FaultTerm:
    pattern: re.Pattern[str]
    weight: float
    kind: str
    # A fault word right after these is not about a person's conduct ("hard to forget").
    veto_before: re.Pattern[str] | None = None


def _term(pattern: str, weight: float, kind: str, veto_before: str | None = None) -> _FaultTerm:
    return _FaultTerm(
        re.compile(pattern), weight, kind, re.compile(veto_before) if veto_before else None
    )


# Fault language that counts only when its subject is a person.
_FAULT_TERMS: Final = (
    _term(
        r"\b(?:forgot|forget|forgets|forgetting|forgotten)\b",
        _STRONG,
        "forgot",
        veto_before=r"\b(?:hard|easy|easier|harder|impossible|likely|simple|simpler) to $",
    ),
    _term(r"\bfail(?:ed|s|ing)? (?:to|at)\b", _STRONG, "missed"),
    _term(r"\b(?:should|ought to) (?:not |never )?have \w+(?: \w+)?", _STRONG, "should"),
    _term(r"\bshould (?:be|feel) (?:ashamed|fired|embarrassed)\b", _STRONG, "judgement"),
    _term(
        r"\b(?:should|needs? to|has to|must) (?:really |seriously )?(?:be (?:more|a lot more|"
        r"much more) careful|pay (?:more )?attention|know better)\b",
        _STRONG,
        "judgement",
    ),
    _term(
        r"\bcould (?:easily )?have (?:avoided|prevented|stopped|caught|spotted|noticed|checked|"
        r"tested)\b",
        _STRONG,
        "should",
    ),
    _term(
        rf"\b(?:did|does|do|would|will) not (?:even |just )?(?:bother|care|think|{_DUTY})",
        _STRONG,
        "missed",
    ),
    _term(rf"\bnever (?:even |once |bother\w* to )?(?:bother\w*|{_DUTY})", _STRONG, "missed"),
    _term(
        r"\b(?:could|can|would) not be bothered\b|\bnot even (?:bother|look|try)\w*\b",
        _STRONG,
        "missed",
    ),
    _term(
        r"\b(?:careless\w*|sloppy|sloppiness|lazy|laziness|negligen\w+|reckless\w*|incompeten\w+|"
        r"clueless|irresponsible|unprofessional|unacceptable|not acceptable|"
        r"asleep (?:at|on) the (?:wheel|job)|a liability|not thinking|"
        r"amateur\w*|idiot\w*|stupid\w*|dumb)\b"
        r"|\b(?:has|have) no (?:clue|idea)\b|\bhad no clue\b"
        r"|\bout of (?:his|her|their|your|my) (?:depth|league)\b|\basleep at the switch\b"
        r"|\b(?:can|could) not be trusted\b|\bcut(?:s|ting)? corners\b|\bnot cut out for\b"
        r"|\b(?:does|did|do) not (?:even )?know what (?:he|she|they|you) (?:is|are|was|were) "
        r"doing\b"
        r"|\b(?:is|was|are|were) (?:a|an|the) (?:\w+ )?(?:terrible|awful|horrible|lousy|useless|"
        r"hopeless|dreadful|poor|bad|sloppy|careless) (?:\w+ )?(?:reviewer|engineer|developer|dev|"
        r"lead|manager|operator|on-?call|sre|dba|coder|programmer|teammate)s?\b"
        r"|\bnot to be trusted\b|\bhas no business\b|\b(?:useless|hopeless|worthless)\b"
        r"|\b(?:not|never) (?:\w+ ){0,5}?to save (?:his|her|their|your) (?:life|lives)\b"
        r"|\bwing(?:ing|ed) it\b|\bcoast(?:ing|ed)\b|\battention span of an?\b"
        r"|\bslack(?:ing|ed) off\b|\bphon(?:ing|ed) it in\b"
        r"|\btreats? (?:prod|production|the \w+) (?:like|as) (?:his|her|their|your|a) (?:own |"
        r"personal )?(?:sandbox|playground|toy)\b"
        r"|\bleast (?:" + "|".join(sorted(_QUALITY_WORDS)) + r")\b"
        # "Thiago is a menace with root access": a person called a judgement noun.
        r"|\b(?:is|was|are|were|been|be|being) (?:a|an|such an?|the|our) (?:\w+ )?(?:"
        + "|".join(sorted(w.replace("-", "[- ]") for w in _JUDGEMENT_NOUNS))
        + r")s?\b"
        r"|\b(?:should|must) (?:not|never) be allowed (?:near|anywhere near|to \w+)\b",
        _STRONG,
        "judgement",
    ),
    _term(
        r"\b(?:(?:mess|screw)(?:ed|es|s|ing)? (?:(?:this|that|it|the|one|whole|thing|\w+) )"
        r"{0,3}?up|made a mess|screw(?:ed|s|ing)? (?:the pooch|us|over|the \w+)|"
        r"drop(?:ped|s)? the ball|blew it|"
        r"botch\w*|bungl\w*|fumbl\w*|mistakes?|f\*+ed up|effed up|stuffed up|yolo\w*|"
        r"cowboy\w*|bork(?:ed|s|ing)|brick(?:ed|s|ing)|fat[- ]?finger\w*|half[- ]ass\w*|"
        r"sabotag\w*|overlook(?:ed|s|ing)|neglect(?:ed|s|ing)|disregard(?:ed|s|ing)|"
        r"(?:brush(?:ed|es)?|blew|blows?) off (?:the |every |all |our )?(?:\w+ )?(?:alerts?|"
        r"warnings?|pages?|reviews?|concerns?|checks?|tickets?)|"
        r"gloss(?:ed|es|ing)? over|steamroll\w*|bulldoz\w*)\b",
        _STRONG,
        "error",
    ),
    # An act done to the wrong target: "ran the migration on the wrong server", "deleted the
    # wrong bucket". The person still has to be the clause's subject.
    _term(
        r"\b(?:ran|run|runs|running|deployed|deploy|pushed|push|applied|apply|deleted|delete|"
        r"dropped|drop|restarted|restart|rebooted|reboot|merged|merge|edited|changed|killed|kill|"
        r"shipped|wiped|wipe|pointed|flipped|flip|migrated|patched|updated|upgraded|rolled back|"
        r"revoked|rotated|terminated|scaled down|shut down)(?: [\w@'-]+){0,4}? (?:the |a |an )?"
        r"wrong\b",
        _STRONG,
        "error",
    ),
    # "broke the problem down into parts" is analysis, not breakage.
    _term(
        r"\b(?:broke|breaks|breaking|broken)\b(?!(?: \w+){0,3} (?:down|into|out)\b)",
        _STRONG,
        "error",
    ),
    _term(
        r"\b(?:ignor(?:ed|es|ing|e)|slept through|sleeping through|"
        r"(?:sat|sitting) on (?:it|this|that|the (?:page|alert|ticket|pr|issue|incident|"
        r"escalation|warning|report)s?))\b",
        _STRONG,
        "ignored",
    ),
    _term(
        r"\b(?:" + "|".join(sorted(_JUDGEMENT_WORDS)) + r")\b"
        r"|\b(?:is|was|are|were|been|be) (?:\w+ )?not (?:\w+ )?(?:"
        + "|".join(sorted(_QUALITY_WORDS))
        + r"|good enough|up to (?:it|the job|the task))\b"
        r"|\btoo \w+ to be trusted\b"
        r"|\b(?:showed|shows|has shown|displayed|used|exercised) (?:\w+ )?(?:terrible|poor|bad|"
        r"awful|questionable|zero|no|shocking) (?:judgement|judgment|sense|discipline|care)\b",
        _STRONG,
        "judgement",
    ),
    _term(
        r"\bdecided to (?:just )?(?:skip|ignore|bypass|disable|override|silence|turn off|"
        r"push|deploy|ship|merge) (?:\w+ ){0,4}?(?:without|anyway|on (?:a )?friday)\b"
        r"|\bdecided to (?:just )?(?:skip|ignore|bypass|disable|override|silence|turn off)\b",
        _STRONG,
        "missed",
    ),
    # Destroying data or production is harm whoever reads it; tidying is not ("deleted the
    # stale branch"), so the object must be something of value.
    _term(
        r"\b(?:wiped|deleted|dropped|nuked|purged|corrupted|destroyed|trashed|overwrote|"
        r"truncated|blew away|blown away|clobbered|hosed|torched|erased) (?:out )?"
        r"(?:the |a |an |our |all (?:the |of the )?|every )?"
        # Tidying is no harm: "dropped the temporary table".
        r"(?!(?:temporary|temp|tmp|stale|old|unused|test|scratch|empty|duplicate|orphaned|"
        r"obsolete|legacy|dummy|leftover) )(?:\w+ )?(?:prod|"
        r"production|database|db|table|tables|backups?|bucket|customer data|data|cluster|"
        r"index|volume|disk|config|configuration|secrets)\b",
        _STRONG,
        "error",
    ),
    _term(r"\brubber-?stamp\w*", _STRONG, "error"),
    _term(
        r"\b(?:approv|sign(?:ed|s|ing)? off|merg)(?:ed|es|e|ing)? (?:\w+ ){0,3}?without (?:even )?"
        r"(?:reading|looking|checking|testing|opening|running)\b"
        r"|\block(?:ed|s|ing) (?:everyone|everybody|us|customers|users|the whole team) out\b",
        _STRONG,
        "error",
    ),
    # Publishing what must stay secret: "pushed secrets to a public gist".
    _term(
        r"\b(?:pushed|committed|posted|pasted|leaked|shared|exposed|checked in|hard-?coded) "
        r"(?:\w+ ){0,2}?(?:secrets?|credentials|passwords?|api keys?|private keys?|tokens?)\b",
        _STRONG,
        "error",
    ),
    # Letting a change through unexamined: "waved it through", "nodded the PR through".
    _term(
        r"\b(?:wav(?:ed|es|e|ing)|nodd(?:ed|ing)|nods?) (?:\w+ ){1,3}?through\b", _STRONG, "missed"
    ),
    # A quality the person lacks: "has zero discipline", "showed no care".
    _term(
        r"\b(?:has|have|had|shows?|showed|showing) (?:zero|no|little|absolutely no) (?:discipline|"
        r"judgement|judgment|care|sense|attention to detail|respect for|regard for|ownership)\b",
        _STRONG,
        "judgement",
    ),
    # Skipping a safeguard (not a meeting or a step of no consequence) is conduct.
    _term(
        r"\bskip(?:ped|s|ping)? (?:the |a |all (?:the )?|our |every )?(?:\w+ )?(?:checklist|"
        r"review|tests?|canary|runbook|dry run|approval|checks?|staging|backups?|rollback plan|"
        r"sign-?off)\b",
        _STRONG,
        "missed",
    ),
    _term(r"\bhuman error\b", _STRONG, "human_error"),
    _term(r"\bas (?:a |some )?(?:penalty|punishment)\b", _STRONG, "punish"),
    _term(
        r"\blet (?:\w+ ){0,3}?(?:lapse|expire|slip|slide|through|rot|fail|die|happen|run out)\b",
        _STRONG,
        "missed",
    ),
    _term(
        r"\b(?:caus(?:ed|es|ing)|triggered) (?:this|that|it|the (?:outage|incident|mess|problem|"
        r"issue|bug|regression|failure|breakage|data loss)|everything|all (?:of )?this)\b",
        _STRONG,
        "cause",
    ),
    _term(r"\b(?:at fault|to blame)\b", _STRONG, "fault"),
    _term(r"\bwrong\b", _WEAK, "error"),
    _term(r"\bskip(?:ped|ping|s)?\b", _WEAK, "missed"),
    _term(
        r"\b(?:delet(?:ed|es|ing)|wiped|nuked|leaked|purged|mangled|misconfigured|corrupted|"
        r"(?:took|take|brought|knocked) (?:\w+ ){0,2}?down|pushed (?:\w+ )?to (?:prod|main|master)|"
        r"dropped (?:the |a )?(?:table|database|db|prod)|untested|force-?push\w*|"
        r"merged (?:his|her|their|your) own|never (?:even )?heard of|"
        r"left (?:the |a )?(?:\w+ ){0,2}?(?:on|off|open|enabled|disabled|running) in (?:prod|"
        r"production)|"
        r"(?:turned|switched) off (?:the |all (?:the )?)?(?:\w+ )?(?:alerts?|alarms?|monitoring|"
        r"paging|checks?|tests?|canary|backups?)|(?:disabled|silenced|muted) (?:the |all "
        r"(?:the )?)?(?:\w+ )?(?:alerts?|alarms?|monitoring|paging|checks?|tests?|canary)|"
        r"(?:pushed|merged|shipped|deployed|applied) (?:\w+ ){0,2}?bad)\b",
        _WEAK,
        "error",
    ),
    _term(
        r"\bwithout (?:even |any )?(?:telling|asking|checking|testing|a review|review|reviewing|"
        r"waiting|approval|thinking|looking|reading|running|tests|(?:a single|one) test|"
        r"a (?:rollback|backout|back-out) plan)\b",
        _WEAK,
        "missed",
    ),
)

# Person as subject; "whoever" with its clause ("whoever approved that pr should ...").
_FAULT_GATE_RE: Final = re.compile("|".join(f"(?:{t.pattern.pattern})" for t in _FAULT_TERMS))

_P = r"(?:@p\d+(?! 's)|he|she|they|you|someone|somebody|whoever(?: [\w@']+){0,7}?)"
_PO = r"(?:@p\d+(?! 's)|him|her|them|you|someone|somebody|whoever)"  # person as object

# Sentence-level statements that put fault on a person whatever the clause structure.
_DIRECT_RULES: Final = (
    (
        re.compile(
            r"(?:@p\d+ 's|\bhis|\bher|\btheir|\byour) (?:own )?(?:fault|mistake|screw-?up|blunder|"
            r"negligence|carelessness|laziness|incompetence|sloppiness|mess|bad|sloppy \w+|"
            r"careless \w+|lazy \w+)\b"
        ),
        "fault",
    ),
    (
        re.compile(
            r"\b(?:it|this|that|this one|that one|this whole thing|the whole thing|all this|"
            r"this incident|the outage|this outage|(?:this|that|the) (?:\w+ )?(?:mess|outage|"
            r"incident|failure|breakage|screw-?up|disaster|downtime|data loss|problem|one|thing))"
            r" (?:is|was|are) (?:all |entirely |squarely |"
            r"totally |completely |100% |really |just )?on " + _PO + r"\b"
        ),
        "fault",
    ),
    (re.compile(r"\bblame " + _PO + r"\b"), "fault"),
    (
        re.compile(
            r"\b(?:outage|incident|mess|breakage|downtime|this|that)(?: one| whole thing)? "
            r"(?:is|was) (?:(?:100%|all|"
            r"entirely|totally|squarely|completely) )+@p\d+\b(?! 's)"
            r"|\bit (?:is|was) @p\d+ 's (?:\w+ ){1,2}?(?:that|which) (?:took|broke|caused|wiped|"
            r"killed|brought|deleted|corrupted|started|triggered)\b"
        ),
        "fault",
    ),
    (
        re.compile(
            r"\bit (?:is|was) @p\d+ 's (?:change|deploy|commit|pr|migration|config|script|push|"
            r"merge|release|call)\b"
        ),
        "weak fault",
    ),
    (
        re.compile(
            r"(?:@p\d+ 's|\bhis|\bher|\btheir|\byour) (?:code|work|changes?|prs?|reviews?|commits?|"
            r"migrations?|configs?|scripts?|"
            + "|".join(sorted(_CONDUCT))
            + r")(?: [\w@']+){0,3}? (?:is|are|was|were) (?:always |usually |often |constantly |"
            r"consistently |just |frankly |honestly |pretty |really |so |utterly |completely )?"
            r"(?:a mess|a disaster|a liability|a joke|a farce|a formality|a rubber stamp|laughable|"
            r"nonexistent|non-existent|"
            + "|".join(sorted(w.replace("-", "[- ]") for w in _POOR_QUALITIES))
            + r")\b"
        ),
        "judgement",
    ),
    (
        re.compile(
            r"\b(?:is|was) (?:all |entirely |completely |totally |solely |100% |squarely |purely |"
            r"wholly )?@p\d+ 's "
            r"(?:doing|fault|screw-?up)\b"
        ),
        "fault",
    ),
    (
        re.compile(
            r"\b(?:fault|blame|responsibility)(?: for(?: \w+){1,3}?)? (?:lies|is|rests|sits|was|"
            r"lands|landed|falls|fell|goes|went) (?:squarely |entirely |solely |fully |"
            r"directly )?(?:with|on) " + _PO + r"\b"
        ),
        "fault",
    ),
    (
        re.compile(r"\bno excuse for " + _PO + r"|\b" + _P + r" (?:has|have|had) no excuse\b"),
        "fault",
    ),
    (
        re.compile(
            r"\bhow (?:could|can) " + _P + r" (?!(?:have|possibly|know|tell|get|be expected|help|"
            r"find|reach|access)\b)\w+"
        ),
        "judgement",
    ),
    (re.compile(r"(?<!\w)" + _P + r" had one job\b"), "judgement"),
    # Questions that charge: "did you even test this", "would it have killed Tobiah to ask",
    # "you were on call, where were you?".
    (
        re.compile(
            r"\b(?:did|do|does) " + _P + r" (?:even|ever) (?:bother|care|think|" + _DUTY + r")"
            r"|\bwould it have killed " + _PO + r" to\b"
            r"|\bwhere (?:the hell |on earth )?were you\b"
        ),
        "judgement",
    ),
    # A rhetorical question that charges: "why would you deploy on a friday without telling".
    (
        re.compile(
            r"\bwhy (?:on earth |the hell |in the world )?(?:would|did|do|does) "
            + _P
            + r" (?:\w+ ){1,6}?without (?:telling|asking|checking|testing|a review|review|"
            r"approval|tests|waiting)\b"
        ),
        "judgement",
    ),
    (
        re.compile(
            _P + r" (?:was|were|is|are) (?:supposed|told|asked|reminded)(?: \w+)? to "
            r"[\w\s'@-]{0,60}?\b(?:and|but) (?:you |he |she |they )?(?:still )?(?:did not|never|"
            r"forgot|did nothing)\b"
        ),
        "missed",
    ),
    (
        re.compile(
            r"\bwhy (?:did|does|would|could|was|were|is|are) not " + _P + r"\b"
            r"|\bwhy (?:did|does|would|could) " + _P + r" not\b"
        ),
        "missed",
    ),
    (
        re.compile(
            r"\b(?:human error|sloppy work|careless work|lazy work|negligence|carelessness|"
            r"screw-?up|sloppiness)(?: \w+)? (?:by|from|of|on the part of) " + _PO + r"\b"
        ),
        "human_error",
    ),
)

_HARM = (
    r"(?:broke|caused|triggered|took (?:\w+ ){0,4}?(?:down|offline)|killed|started|wiped|corrupted|"
    r"brought (?:\w+ ){0,2}?down|deleted|nuked|destroyed|leaked|set off|kicked off|"
    r"knocked (?:\w+ ){0,2}?(?:over|out|down)|took out|crashed|tanked|sank|blew up)"
)
_OWNS = r"(?:@p\d+ 's|\bhis|\bher|\btheir|\byour)"  # a person's work: "Thabo's script"
_CAUSE = r"(?:cause|culprit|reason|problem|weak link|liability|root)"

# A person named as the cause: "the outage is down to Marco", "root cause: Ellie",
# "you're the reason customers lost data", "his change is what broke things".
_CAUSE_RULES: Final = (
    re.compile(
        r"\b" + _CAUSE + r"(?: here| of (?:this|it|the \w+))?(?:, [\w ]{1,30}?,)?\s*(?:is|was|:)\s*"
        r"(?:(?:just|simply|clearly|really|obviously) )?" + _PO + r"\b"
    ),
    re.compile(r"\breason (?:\w+ ){0,4}?(?:is|was) (?:that |because )?" + _P + r" \w+"),
    # "Anton rebooted the primary and that's what caused the data loss".
    re.compile(
        r"@p\d+ (?:\w+ ){1,6}?(?:and )?(?:that|this|which) is what (?:caused|triggered|broke|"
        r"started|took down|killed|set off)\b"
    ),
    # "the root of all this is Kaveh's shortcut": a person's work named as the root cause.
    re.compile(
        r"\broot(?: cause)?(?: of (?:all )?(?:this|that|it|the \w+))? (?:is|was|:) @p\d+ 's "
        r"(?:\w+ )?\w+"
    ),
    # "because of Solveig's typo": a person's slip named as the reason.
    re.compile(
        r"\b(?:because of|thanks to|due to|caused by|from) @p\d+ 's (?:\w+ )?(?:typo|mistake|"
        r"error|slip|shortcut|screw-?up|blunder|oversight|carelessness|negligence)\b"
    ),
    re.compile(
        r"\b(?:down to|caused by|courtesy of|blame on|(?:traces?|traced|goes|went|comes|came|"
        r"leads|led) (?:right |straight |all the way )?back to|(?:traces?|traced|points|"
        r"pointed) to|lies with|rests with)"
        r" (?:(?:one|a single) (?:person|engineer|dev|developer)\s*:?\s*)?" + _PO + r"\b"
    ),
    re.compile(
        _OWNS + r" (?:\w+ ){1,2}?(?:is|was) (?:what " + _HARM + r"|the (?:\w+ )?" + _CAUSE + r"|"
        r"(?:squarely |directly )?behind (?:the|this|that|all|it)\b)"
    ),
    re.compile(r"@p\d+ 's fingerprints (?:are )?all over\b"),
    # "the one who broke checkout is Ahanu"
    re.compile(
        r"\bthe (?:one|person|guy|dev|engineer) (?:who|that) " + _HARM + r"(?: \w+){0,4}? "
        r"(?:is|was) " + _PO + r"\b"
    ),
    # "a direct result of Wilhelmina ignoring the runbook"
    re.compile(
        r"\b(?:direct |the |a )?(?:result|consequence|fault) of " + _PO + r" (?!(?:noticing|"
        r"spotting|catching|finding|raising|reporting|flagging)\b)\w+ing\b"
    ),
    re.compile(_OWNS + r" (?:\w+ ){1,2}?" + _HARM + r"\b"),
    re.compile(
        r"(?<!\w)" + _P + r" (?:is|are|was|were) (?:\w+ )?(?:responsible|to blame|at fault) for "
        r"(?:this|that|it|the \w+)"
    ),
    re.compile(
        r"(?<!\w)" + _P + r" (?:was|is|are|were) the (?:one|person) (?:who|that) (?:\w+ ){0,2}?(?:"
        r"disabled|skipped|ignored|deleted|silenced|pushed|merged|removed|turned off|switched off|"
        r"muted|dropped|" + _HARM[3:-1] + r")\b"
    ),
)

# The same shapes give credit as often as blame ("Rangi is the reason we recovered so fast",
# "we caught it because of Priya"): they count only when no recovery follows.
_CAUSE_UNLESS_CREDIT_RULES: Final = (
    # "thanks to you, we lost a whole day of data" (but "thanks to you we recovered").
    re.compile(
        r"\b(?:thanks to|because of) (?:@p\d+(?! 's)|you|him|her|them) ?,? (?:we|customers|"
        r"everyone|prod|production|everything|the \w+) (?:\w+ )?(?:lost|went down|broke|were down|"
        r"was down|spent|got paged|missed|had to)\b"
    ),
    re.compile(
        r"\b(?:happened|broke|failed|went down|is down|was down|lost \w+) (?:all |just )?"
        r"because of " + _PO + r"\b"
    ),
    # "all of this started when Joaquin force-pushed": the trouble began with a person's act.
    re.compile(
        r"\b(?:all (?:of )?(?:this|that)|this (?:whole )?(?:mess|outage|incident)|it all|"
        r"everything|the (?:outage|incident|mess|trouble)) (?:started|began|kicked off|"
        r"went (?:sideways|wrong|south|bad|downhill|pear-shaped)|fell apart|broke) "
        r"(?:when|after|because|the moment|as soon as|right after|once) "
        + _P
        + r" (?!(?:noticed|spotted|saw|caught|found|"
        r"raised|reported|paged|flagged)\b)\w+"
    ),
    # "this whole mess is because of Rustam", "the outage happened thanks to Fernanda's
    # change": a bad thing, then a person (or their work) as its reason.
    re.compile(
        r"\b(?:mess|outage|incident|downtime|breakage|failure|problem|disaster|data loss|"
        r"happened|broke|failed|went down|is down|was down|lost \w+)(?: \w+){0,3}? "
        r"(?:all |just |entirely |only )?(?:because of|thanks to|due to) @p\d+\b"
    ),
    # "the data loss happened because Svetlana ran the wrong script", "Chidi is why we lost
    # six hours of orders" (but "Priya is why we recovered" credits her).
    re.compile(
        r"\b(?:mess|outage|incident|downtime|breakage|failure|problem|disaster|data loss|loss|"
        r"happened|broke|failed|went down|is down|was down|were down|lost \w+)(?: \w+){0,3}? "
        r"(?:all |just |entirely |only )?because (?:@p\d+(?! 's)|he|she|they|you|someone|"
        r"somebody) (?!(?:noticed|spotted|saw|caught|found|raised|reported|paged|flagged|was not|"
        r"were not|had no|did not have|could not(?! (?:wait|be bothered))|was on|were on|was off|"
        r"was out|was away)\b)\w+"
    ),
    re.compile(r"(?<!\w)" + _P + r" (?:is|was|are|were) (?:the reason )?why\b"),
    re.compile(
        r"(?<!\w)" + _P + r" (?:is|was|are|were) (?:\w+ )?(?:the|a) (?:real |root |main |actual |"
        r"whole |only |sole |single |biggest )?" + _CAUSE + r"\b"
    ),
)

# A call for punishment or accountability aimed at a person: "Harry needs to be held
# accountable", "I want Rob removed from the release team", "consequences for Megan".
_PUNISH = (
    r"(?:fired|sacked|punished|disciplined|demoted|written up|suspended|removed|banned|"
    r"kicked (?:off|out)|held (?:accountable|responsible)|put on a pip|taken off|let go|"
    r"put on (?:a )?(?:pip|performance (?:improvement )?plan|probation))"
)
_PUNISH_RULES: Final = (
    re.compile(
        r"(?<!\w)"
        + _P
        + r" (?:should|must|needs? to|has to|have to|ought to|better|will)(?: not)? "
        r"(?:\w+ ){0,2}?(?:be " + _PUNISH + r"|answer for|pay for|take the (?:fall|blame|heat)|"
        r"lose (?:\w+ ){0,2}?(?:access|job|rights|privileges|role)|"
        r"face (?:\w+ ){0,2}?consequences)"
    ),
    re.compile(
        r"(?<!\w)" + _PO + r" (?:(?:does|do|did) not )?(?:gets?|got|be|is|being|getting) "
        r"(?:\w+ )?" + _PUNISH
    ),
    re.compile(
        r"\b(?:want|need|get|expect|would like|want to see) "
        + _PO
        + r" (?:to be |to get )?(?:"
        + _PUNISH
        + r"|gone|out|off (?:the |our |@p\d+))"
    ),
    re.compile(
        r"(?<!\w)" + _P + r" (?:deserves?|deserved|has earned|earned) (?:a |an |to be |to get "
        r"|some )?(?:\w+ )?(?:warning|reprimand|punishment|write-?up|consequences|"
        + _PUNISH[3:-1]
        + r")\b"
    ),
    re.compile(
        r"\b(?:fire|sack|punish|discipline|demote|write up|suspend|hold) "
        + _PO
        + r"(?: (?:accountable|responsible|up))?\b"
    ),
    re.compile(r"\bconsequences for " + _PO + r"\b"),
    re.compile(
        r"\bmake an example (?:out )?of " + _PO + r"\b"
        r"|(?<!\w)" + _P + r" (?:needs?|deserves?|should get|is getting) (?:a |some )?(?:serious |"
        r"stern |real )?(?:talking[- ]to|dressing[- ]down|telling[- ]off|stern word)"
    ),
    re.compile(
        r"\b(?:needs? to|has to|must|should|will have to) explain "
        r"(?:himself|herself|themselves|themself|yourself)\b"
        r"|\bhave a (?:serious )?(?:word|talk|chat) with " + _PO + r" about (?:this|that|it)\b"
        r"|\bowes (?:\w+ ){0,3}?an? (?:apology|explanation)\b"
        r"|\b(?:own|apologi[sz]e for) (?:this|that|it|the \w+)(?: \w+)? (?:publicly|in public|in "
        r"front of)"
        r"|(?<!\w)" + _P + r" never (?:gets?|has|have) (?:\w+ ){0,2}?(?:access|rights|permissions|"
        r"keys) (?:\w+ )?again\b"
        r"|(?<!\w)" + _P + r" never (?:touches|touch|goes near|gets near|deploys to) (?:\w+ ){0,3}?"
        r"again\b"
        r"|\b(?:escalat\w+|report\w*|complain\w*) (?:this |it |that )?to @p\d+ 's "
        r"(?:manager|boss|lead|director|vp)\b"
    ),
    re.compile(
        r"\b(?:put|place) " + _PO + r" on (?:a )?(?:pip|performance (?:improvement )?plan|"
        r"probation|notice)\b|\b(?:take|kick|pull|remove) " + _PO + r" (?:off|out of|from)"
        r" (?:the |our )?(?:\w+ )?(?:rotation|rota|on-?call|team|project|release|prod)"
        r"|\b(?:take|took) @p\d+ 's (?:\w+ )?(?:access|rights|permissions|privileges|keys)"
        r" away\b"
        r"|\b(?:revoke|pull|remove|take away) @p\d+ 's (?:\w+ )?(?:access|rights|permissions|"
        r"privileges|keys)\b"
    ),
    re.compile(r"\b(?:and|but) (?:it|that) (?:is|should be|has to be) " + _PO + r"\s*$"),
)

# Passive voice with a person as agent: "the config was wiped by Chen". A harmful participle
# blames on its own; a neutral one ("made by", "approved by") when the sentence says harm.
_PASSIVE_RE: Final = re.compile(
    r"\b(?:was|were|got|been|get|gets) (?:(?:just|accidentally|completely|all|then|also) )?"
    r"(?P<verb>\w+)(?: up)?(?: (?!(?:was|were|got|been|get|gets)\b)\w+){0,4}? by "
    r"(?P<who>@p\d+|him|her|them|you|someone|whoever)"
    r"\b(?P<owns> 's)?"
)
_HARMFUL_PARTICIPLES: Final = _words(
    """
    leaked deleted misconfigured mangled purged wiped broken dropped corrupted nuked destroyed
    skipped ignored botched bungled messed screwed caused triggered disabled overwritten killed
    taken brought missed rushed forced bypassed silenced forgotten truncated exposed clobbered
    hosed trashed overwrote mishandled neglected fumbled muted suppressed snoozed dismissed
    flooded overloaded ruined sabotaged
    """
)
# Every rule of _cause_hits needs one of these words.
_CAUSE_GATE_RE: Final = re.compile(
    r"\b(?:cause\w*|culprit|reason|problem|weak link|liability|down to|courtesy of|blame|"
    r"because|responsible|at fault|his|her|their|your|the one who|should|must|needs?|has to|"
    r"have to|ought|better|will|want|get|gets|got|fire|sack|punish|discipline|demote|write up|"
    r"suspend|hold|consequences|and|but|by|back to|started|began|kicked off|deserves?|off|"
    r"traced to|lies with|rests with|responsibility|thanks to|due to|because of|what|from|"
    r"put|place|take|kick|pull|remove|explain|word|talk|never|why|traces?|traced|points?|went|fell|"
    r"result|consequence|is|was|fingerprints|expect|like|"
    r"pointed|"
    r"escalat\w+|report\w*|complain\w*|owes|own|apologi[sz]e|revoke|root)\b|'s\b"
)
# Doing something, neither harm nor rescue: "the DNS change that killed us was made by ...".
# "caught by", "mitigated by" are rescues and never count.
_NEUTRAL_PARTICIPLES: Final = _words(
    """
    made pushed merged written done shipped approved deployed run changed applied added
    configured edited updated released set introduced started executed kicked rolled committed
    migrated
    """
)
_HARM_RE: Final = re.compile(
    r"\b(?:killed|broke|broken|took (?:\w+ ){0,2}?down|caused|outage|bad|without|wrong|never|"
    r"failed|cost us|corrupt\w*|lost|wiped|deleted|mess|nobody caught|public|exposed|leak\w*)\b"
)

# Counterfactuals about a person: "if Alice had just checked", "had he read the runbook",
# "if Tom was paying attention". The word after the auxiliary is checked in code.
_CF_IF_RE: Final = re.compile(
    r"\bif (?:only )?(?P<who>" + _P + r") (?P<aux>had|would have|would|did) (?P<neg>not |never )?"
    r"(?:(?:just|only|actually|simply|even|bothered to|taken the time to|cared to) )*"
    r"(?P<verb>\w+)(?: (?P<after>\w+))?"
)
_CF_HAD_RE: Final = re.compile(
    r"(?:^|[,;] )had (?P<who>" + _P + r") (?P<neg>not |never )?"
    r"(?:(?:just|only|actually|simply|even|bothered to) )*(?P<verb>\w+)(?: (?P<after>\w+))?"
)
_CF_WAS_RE: Final = re.compile(
    r"\bif (?P<who>" + _P + r") (?:was|were|had been|would have been) (?:not |more |so |actually "
    r"|even |just |a bit |less )*(?P<verb>paying attention|careful|careless|awake|around|sober|"
    r"focused|on the ball|doing (?:his|her|their|your) job|listening|watching|lazy|sloppy)\b"
)
_CF_JUST_RE: Final = re.compile(
    r"\bif (?P<who>" + _P + r") (?:just|only|actually|simply) (?P<verb>\w+ed|read|ran|did|took|"
    r"wrote|made|follows|checks|reads|tests|looks|listens|waits|asks)\b"
    # "none of this happens if Cristina follows the checklist"
    r"|\bnone of (?:this|that|it) (?:would (?:have )?)?(?:happen\w*|would \w+) if "
    r"(?P<who2>" + _P + r")\b"
)

# Sarcasm: praise for a person next to a bad outcome, with no sign of a real rescue.
_PRAISE_RE: Final = re.compile(
    r"\b(?:(?:great|nice|good|excellent|amazing|awesome|brilliant|fantastic|stellar|lovely|"
    r"superb|outstanding|wonderful|top|flawless|perfect|terrific|splendid) (?:[\w-]+ )?(?:job|"
    r"work|one|going|call|stuff|move|effort|idea|shift|plan|decision|performance|thinking)|"
    r"well done|bravo|way to go|kudos|thanks a (?:lot|bunch|ton)|thanks so much|"
    r"thank you so much|thanks for nothing|(?:really |truly )?appreciate (?:you|it|@p\d+)|"
    r"(?:flawless|perfect|smooth|stellar|spotless|textbook) (?:deploy|release|rollout|"
    r"migration|change|work|execution|handover)|"
    r"shout-?out to|props to|hats off|congrat\w*|nailed it|just great|good going|smooth move|"
    r"real smooth|(?:truly |really )?inspiring|genius|thank(?:s| you) @p\d+ for|oh (?:great|"
    r"fantastic|wonderful|brilliant|perfect|lovely|nice|super|terrific|good|cool)|"
    r"what could (?:possibly )?go wrong|love (?:how|that) @p\d+|masterpiece|thank @p\d+ for|"
    r"(?:big |huge |many )?thanks to @p\d+ for|10/10|cheers,? @p\d+|"
    r"^(?:wonderful|great|perfect|brilliant|fantastic|lovely|awesome|nice|splendid)(?=,)|"
    r"thanks for the|(?:really |just |absolutely )?lov(?:ed|e|ing) (?:getting|being|waking|"
    r"spending|debugging|cleaning))\b"
)
_BAD_OUTCOME_RE: Final = re.compile(
    r"\b(?:delet\w*|wip(?:ed|ing)|nuk(?:ed|ing)|broke|break\w*|broken|"
    r"(?:is|was|went|are|were|been|go|goes|gone|took|take|taking|takes|brought|knocked) down|"
    r"down for|outages?|downtime|5\d\ds|5xx|typo|wrong|(?:nobody|no one) can|locked out|"
    r"data loss|lost (?:\w+ )?data|pager|gone off|went off|corrupt\w*|on fire|sev ?[12]s?|"
    r"paged (?:the whole|the entire|everyone|everybody)|in the middle of the night|"
    # Shipping late in the week is the classic target of ops sarcasm.
    r"(?:ship|deploy|push|releas|merg)\w* on (?:a )?friday|friday (?:deploy|release|push|merge)\w*|"
    r"not like|skip\w*|ignor\w*|what not to do|surprise|at [4-9] ?pm|[1-5] ?am|"
    r"(?:turn|switch)\w* off|disabl\w*|silenc\w*|yolo\w*|cowboy\w*|untested|"
    r"without (?:a |any )?(?:review|testing|tests|checks|approval|telling|asking)|"
    r"slept through|(?:during|at) (?:the )?peak|peak (?:hours|traffic|time)|"
    r"test(?:ed|ing)? (?:\w+ )?in prod(?:uction)?|(?:during|mid) (?:the |an )?(?:incident|outage)|"
    r"nothing like a|none at all)\b"
)
_RECOVERY_RE: Final = re.compile(
    r"\b(?:recover\w*|restor\w*|fix\w*|roll(?:ed)? ?back|rollback|mitigat\w*|sav(?:ed|ing)|"
    r"back up|caught|catch\w*|spott\w*|found|helpful|help\w*|handl\w*|quick\w*|fast\w*|clean\w*|"
    r"prevent\w*|stopp\w*|"
    r"clear\w*|write-?up|without you|response)\b"
)
_THANKS_FOR_NOTHING_RE: Final = re.compile(r"\bthanks for nothing\b")
# A whole reply of just "thanks a lot Dave." thanks nobody for anything: read as sarcasm.
# Sincere thanks say what for, or carry an exclamation mark or emoji.
_BARE_THANKS_RE: Final = re.compile(
    r"^(?:thanks|thank you) (?:a lot|a bunch|a ton|so much),? (?:@p\d+|you)\s*\.{0,3}$"
)
_ANY_PERSON_RE: Final = re.compile(r"@p\d+|\b(?:you|your|he|she|him|her)\b")

# Emphasis that tips a weak cue over the line, but never blames anyone by itself.
_INTENSIFIER_RE: Final = re.compile(
    r"\b(?:again|typical|classic|as usual|per usual|seriously|obviously|clearly|who trusts|"
    r"unbelievably|incredibly|predictably|naturally|of course|once again|"
    r"who gave (?:him|her|them)|who let)\b"
    # A cleft ("it was Greg who ...") or "that's what triggered it" points at one person.
    r"|\bit (?:is|was) @p\d+ (?:who|that)\b"
    r"|\b(?:that|this|which) is what (?:caused|triggered|broke|started|set off|took down|"
    r"killed|kicked off)\b|\b(?:did|does) (?:skip|ignore|delete|break)"
    # A hedge before a charge announces the charge: "no offense, but ...".
    r"|\bnot (?:saying|trying to|to) (?:\w+ ){0,2}?(?:blame|point|throw|single)|\bno offen[cs]e"
    r"|\bnot (?:blaming|pointing fingers|throwing \w+ under)"
    r"|\bdo not want to (?:blame|point|throw)|\bno disrespect|\bwith (?:all )?due respect"
    r"|\bsay it gently\b|\bhate to say\b|\bnot trying to start\b|\bi know (?:everyone|we)\b"
    r"|\b(?:that|this|which) is (?:why|how) (?:we|it|everything|the \w+)\b"
    r"|\b(?:you|he|she|they) (?:can |gets to |should |have to |has to )?(?:fix|clean up) "
    r"(?:it|this|that|the mess)\b"
    # A weak fault with its consequence: "pushed the bad record and everything fell over".
    r"|\b(?:and|so|then),? (?:everything|it all|prod|production|the site|we) (?:fell over|"
    r"went down|broke|died|crashed|blew up|lost)\b|, we lost\b"
    # A deadpan one-word verdict after the fact: "dropped the prod index, great".
    r"|, (?:great|perfect|wonderful|brilliant|lovely|awesome|fantastic|nice)(?:$|[.!\n])"
    r"|(?:^|[.!?\n] ?)(?:great|perfect|wonderful|brilliant|lovely|awesome|fantastic|nice|"
    r"classic|genius|amazing|cool)[.!]*$"
)
_SCORN_RE: Final = re.compile(r"\b(?:genius|idiot|clown|bright spark|so-called)\b")
# Face palm (any person: the gendered ones are sequences starting with it), upside-down face,
# rolling eyes, unamused, expressionless, pouting, angry, steam from nose, disappointed.
_EXASPERATED_EMOJI: Final = frozenset(
    "\U0001f926\U0001f643\U0001f644\U0001f612\U0001f611\U0001f621\U0001f620\U0001f624\U0001f61e"
)
_ACRONYMS: Final = _words(
    """
    API DB DBS DNS TLS SSL CI CD PR PRS EU US UK APAC EMEA TTL SRE QA DBA AWS GCP HTTP HTTPS
    SLO SLA VPN DST CPU RAM OOM IP ID UI UX URL SQL TABLE DROP OK ETA RCA PM AM UTC ASAP
    """
)

_REFRAMES: Final = {
    "forgot": (
        "What would have made this step hard to forget, like a checklist or an automated check?"
    ),
    "missed": (
        "What would have made this check happen by default, instead of relying on someone "
        "remembering it?"
    ),
    "should": "What did they know at that moment, and what made that choice look reasonable?",
    "counterfactual": (
        "What would have made the safer path the easy, default one for anyone in that seat?"
    ),
    "ignored": (
        "What made this signal easy to miss or dismiss: noise, routing, or too many alerts at once?"
    ),
    "judgement": (
        "What conditions (time pressure, fatigue, unclear ownership) made this harder than it "
        "looks in hindsight?"
    ),
    "error": "What made this easy to get wrong?",
    "fault": "What made this easy to get wrong?",
    "human_error": (
        "Which guardrail or confirmation would have stopped a single slip from reaching production?"
    ),
    "cause": (
        "What let one change or one person's action reach this far, and which safeguard "
        "was missing?"
    ),
    "punish": (
        "What would make this less likely for anyone in that seat, rather than who pays for it?"
    ),
    "sarcasm": (
        "What let a single action have this much impact, and how could we limit the blast radius?"
    ),
}
_CAUGHT_EARLIER: Final = "What would have caught this earlier?"

_CODE_BLOCK_RE: Final = re.compile(r"```.*?(?:```|$)", re.DOTALL)
_CODE_SPAN_RE: Final = re.compile(r"`[^`\n]*`")
_BARE_URL_RE: Final = re.compile(r"https?://\S+")
# Leading blanks only: `\s*` would also swallow line breaks and rescan every blank line.
_QUOTE_LINE_RE: Final = re.compile(r"^[^\S\n]*+>.*$", re.MULTILINE)
_STRIKE_RE: Final = re.compile(r"(?<!\w)~[^~\n]+~(?!\w)")
_EMPHASIS_RE: Final = re.compile(r"(?<!\w)[*_]+|[*_]+(?!\w)")
# A curly quote ends at the next opening one too, and an aside at the next "(": otherwise
# every unclosed opener rescans the rest of the line (quadratic on a line of openers).
_DOUBLE_QUOTED_RE: Final = re.compile(r"\"([^\"\n]*+)\"|\u201c([^\u201c\u201d\n]*+)\u201d")
_APPOSITION_RE: Final = re.compile(r"\b(?:they|them|it)\s*+\(([^()]*+)\)", re.IGNORECASE)

_CONTRACTIONS: Final = (
    (re.compile(r"\b(?:can'?t|cannot)\b"), "can not"),
    (re.compile(r"\bwon'?t\b"), "will not"),
    (
        re.compile(
            r"\b(do|does|did|is|are|was|were|has|have|had|should|would|could|must|need)n'?t\b"
            r"(?!'?ve\b)"
        ),
        r"\1 not",
    ),
    (re.compile(r"\b(should|could|would|must|might)n'?t'?ve\b"), r"\1 not have"),
    (re.compile(r"\b(should|could|would|must|might)'?ve\b"), r"\1 have"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"\b(i|you|we|they|he|she|it|that|there|who)'d\b"), r"\1 would"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"\bi'm\b"), "i am"),
    (re.compile(r"\b(they|you)re\b"), r"\1 are"),
    (re.compile(r"\b(it|that|there|what|who|he|she|here|where|how)'s\b"), r"\1 is"),
    (re.compile(r"\bthats\b"), "that is"),
    (re.compile(r"\blet's\b"), "let us"),
    # "Rebecca's been careless", "he's never checked": "'s" is "has" or "is" before these.
    (re.compile(r"'s (?=been\b|got\b|gotten\b|had\b)"), " has "),
    (
        re.compile(
            r"'s (?=never\b|always\b|clearly\b|obviously\b|not\b|just\b|so\b|too\b|on\b|"
            r"down\b|going\b)"
        ),
        " is ",
    ),
    (re.compile(r"'s\b"), " 's"),
)

# Matches start only where a run of punctuation or blanks starts and never backtrack into
# it, so "." * 24,999 + "x" is split in linear time.
_SENTENCE_SPLIT_RE: Final = re.compile(r"(?<![.!?])[.!?]++(?:\s+|$)|\n+")
_CLAUSE_SPLIT_RE: Final = re.compile(
    r"(?<!\s)\s*+(?:[,;:()\[\]]|(?<=\s)[-\u2013\u2014]+\s|\u2014|\b(?:and|but|so|because|since|while|although|"
    r"though|whereas|which|then|until|unless|or|cause|cuz|bc|plus|yet|after|when|once)\b|"
    r"(?<!have )(?<!had )\b(?:says|said|asked|asks|mentioned|noted|notes|pointed out|reported|"
    r"confirmed|"
    r"told (?:us|me|them)|explained|suggested)(?: that)?\b|"
    # "the dev who wrote this cron job" is a relative clause, "Olga wrote that" is reporting.
    r"\b(?:wrote|thinks|thought|claims|claimed|agreed) that\b)\s*"
)
_CLAUSE_START_RE: Final = re.compile(r"[,;:]|\b(?:and|but|so|because)\b")
_CLAUSE_JUNK_RE: Final = re.compile(r"[^\w@'\-\s]")
_SPACES_RE: Final = re.compile(r"\s+")
_INLINE_SPACES_RE: Final = re.compile(r"[ \t\r\f\v]+")
_SHOUTED_RE: Final = re.compile(r"\b[A-Z][A-Z']+\b")


@dataclass(slots=True)
class _Doc:
    text: str  # lowercase, contractions expanded, people as @p0, @p1, ...
    people: list[str]  # display form of each placeholder
    emoji: frozenset[str]
    emphatic: bool  # shouting, "??" or "!!"


def _placeholder(display: str, people: list[str]) -> str:
    people.append(display)
    return f" @p{len(people) - 1} "


def _drop_formatting(text: str) -> str:
    text = _CODE_BLOCK_RE.sub(" ", text)
    text = _CODE_SPAN_RE.sub(" ", text)
    text = _QUOTE_LINE_RE.sub(" ", text)
    text = _BARE_URL_RE.sub(" ", text)
    # Struck-through text has been taken back by its writer.
    text = _STRIKE_RE.sub(" ", text)
    text = _EMPHASIS_RE.sub("", text)
    return text.replace("\u2019", "'").replace("\u2018", "'")


def _drop_reported_speech(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        inner = m.group(1) if m.group(1) is not None else m.group(2)
        # Scare quotes around one word stay; reported speech goes.
        return f" {inner} " if len(inner.split()) < 2 else " quote "

    return _DOUBLE_QUOTED_RE.sub(repl, text)


def _mark_people(text: str, people: list[str]) -> str:
    def mention(m: re.Match[str]) -> str:
        if m.group(1).lower() in _SPECIAL_HANDLES:
            return m.group(0)
        return _placeholder(m.group(0), people)

    text = _MENTION_RE.sub(mention, text)
    # "they (the alerts) should have fired": the aside says who "they" are.
    text = _APPOSITION_RE.sub(lambda m: f" {m.group(1)} ", text)

    def role(m: re.Match[str]) -> str:
        following = _NEXT_WORD_RE.match(text, m.end())
        # The word runs to the next space; one running into a line break is no thing head.
        word_ends = following is not None and following.group(2) in ("", " ")
        next_word = following.group(1).lower().strip(".,;:!?") if following and word_ends else ""
        if next_word in _THING_HEADS:
            return m.group(0)
        head = (m.group("head") or "").lower()
        # "the team" / "our team" without a qualifier is us; "the QA team" is someone else.
        if head in {"team", "squad", "crew", "folks", "guys"} and not m.group("mods"):
            return m.group(0)
        return _placeholder(m.group(0), people)

    text = _ROLE_RE.sub(role, text)

    def name(m: re.Match[str]) -> str:
        word = m.group(0)
        low = word.lower()
        if low in _NAMES or word in _TEAM_WORDS:
            return _placeholder(word, people)
        if low not in _AMBIGUOUS_NAMES:
            if (
                _is_name(word)
                or _is_name_in_subject_place(word, text, m.start(), m.end())
                or _is_syllable_name(word, text, m.start())
                or _is_lowercase_name(word, text, m.start(), m.end())
            ):
                return _placeholder(word, people)
            return word
        if not (word[0].isupper() and word[1:].islower()):
            return word
        if _starts_sentence(text, m.start()):
            after = _SHORT_NEXT_WORD_RE.match(text, m.end())
            if after and after.group(1).lower().strip(",.") in _NOT_AFTER_NAME:
                return word
        return _placeholder(word, people)

    return _WORD_RE.sub(name, text)


def _is_name_in_subject_place(word: str, text: str, start: int, end: int) -> bool:
    """A name that is also an English word ("Frank", "Victoria", "Maximilian") is a person
    when written in title case inside a sentence (where capitals are not just sentence
    case) and followed by what follows a subject: a verb form ("should", "was", "forgot",
    "pushed"). Tools and bots named like people are excluded as everywhere."""
    if not (word[0].isupper() and word[1:].islower()) or word.lower() in _NOT_PEOPLE:
        return False
    if _starts_sentence(text, start) or _after_capitalised(text, start):
        return False
    after = _NEXT_SHORT_WORD_RE.match(text, end)
    if after is None:
        return False
    following = after.group(1).lower().strip(",.;:!?")
    if following == "'s":
        # "the outage is squarely Florin's doing": a person's fault, named as theirs.
        owned = _NEXT_SHORT_WORD_RE.match(text, after.end())
        return owned is not None and owned.group(1).lower().strip(",.;:!?") in _FAULT_NOUNS
    return following in _SUBJECT_FOLLOWERS or (
        following.endswith("ed") and len(following) > 4 and following not in _ENGLISH_ADJ_ED
    )


def _is_lowercase_name(word: str, text: str, start: int, end: int) -> bool:
    """A name typed in lower case ("marcelo is just careless"): a word that is no English
    word, tool or bot, opening a sentence and followed by what follows a subject."""
    if not word.islower() or len(word) < 3 or "-" in word or word.endswith("bot"):
        return False
    if word in _NOT_PEOPLE or _is_english(word) or not _starts_sentence(text, start):
        return False
    after = _NEXT_SHORT_WORD_RE.match(text, end)
    return after is not None and after.group(1).lower().strip(",.;:!?") in _SUBJECT_FOLLOWERS


def _is_syllable_name(word: str, text: str, start: int) -> bool:
    """ "Sung-min", "Soo-ah", "Ji-hoon" inside a sentence: two short syllables, the first
    capitalised. At a sentence's start "Back-up" or "Roll-out" is a compound word."""
    parts = word.split("-")
    return (
        len(parts) == 2
        and all(2 <= len(part) <= 4 and part[1:].islower() for part in parts)
        and parts[0][:1].isupper()
        and parts[1][:1].islower()
        and word.lower() not in _NOT_PEOPLE
        and not _starts_sentence(text, start)
        and not _after_capitalised(text, start)
    )


def _after_capitalised(text: str, at: int) -> bool:
    """Whether the word before `at` is capitalised: "GitHub Actions", "Cloud Build" are
    products. Looks back over at most one blank and one word's first letter."""
    at -= 1
    if at < 0 or text[at] != " ":
        return False
    at -= 1
    end = at + 1
    while at >= 0 and end - at <= _PRODUCT_WORD and (text[at].isalnum() or text[at] in "-'"):
        at -= 1
    before = text[at + 1 : end]
    # "If Wen had ...": an English word before the name is no product's first half.
    return before[:1].isupper() and (
        not _is_english(before.lower()) or before[1:] != before[1:].lower()
    )


_PRODUCT_WORD: Final = 24

# What follows a person as subject: auxiliaries, modals and the adverbs before them.
_SUBJECT_FOLLOWERS: Final = _words(
    """
    should shouldn't was wasn't is isn't has hasn't had hadn't did didn't does doesn't never
    just really clearly obviously again always forgot broke caused ignored skipped made must
    needs deserves could couldn't would wouldn't can't cannot will won't who that
    """
)
# What a person's fault is called: "Florin's doing", "Frank's mistake".
_FAULT_NOUNS: Final = _words(
    "doing fault mistake screw-up screwup typo carelessness negligence blunder error "
    "sloppiness laziness incompetence"
)
# Words ending in "ed" that are no verb after a name ("Frank red ..." never; "Will bed").
_ENGLISH_ADJ_ED: Final = _words("red bed need seed feed speed shed")
_NEXT_SHORT_WORD_RE: Final = re.compile(r"[^\S\n]*+(\S{1,12}+)")


def _is_name(word: str) -> bool:
    """A capitalised word that is no English word, tool or bot: names from anywhere in the
    world ("Katarzyna", "Seo-yeon", "Adaeze"), not only the list in names.txt."""
    parts = word.split("-")
    if len(word) < 2 or not all(p[:1].isupper() and p[1:] == p[1:].lower() for p in parts[:1]):
        return False  # "PagerDuty", "CircleCI", "SLA": a capital inside is a product
    if not all(p[1:] == p[1:].lower() for p in parts[1:]):
        return False  # "Mei-Ling" and "Seo-yeon" are names, "Wi-FI" is not
    low = word.lower()
    if low in _NOT_PEOPLE or low.endswith("bot"):
        return False
    parts = low.split("-")
    if low in _ENGLISH:
        return False
    # "Hye-jin", "Jae-won": syllables of a name, each too short to be a telling word.
    if len(parts) > 1 and all(len(part) <= 3 for part in parts):
        return True
    return not all(_is_english(part) for part in parts)


@lru_cache(maxsize=4096)
def _is_english(word: str) -> bool:
    """Whether `word`, or the word it inflects ("retries", "deploys", "rolled"), is English."""
    if word in _ENGLISH or len(word) < 3:
        return True
    for suffix, replacement in _INFLECTIONS:
        root = word[: -len(suffix)] + replacement
        # A short root matches too much: "Anders" is no "and" + "ers", "Hans" no "han" + "s".
        if word.endswith(suffix) and len(root) >= 4 and root in _ENGLISH:
            return True
    return False


# Plurals and verb forms only: GCIDE lists head words, not "retries" or "deploys".
_INFLECTIONS: Final = (
    ("s", ""),
    ("es", ""),
    ("ies", "y"),
    ("ied", "y"),
    ("ed", ""),
    ("ed", "e"),
    ("ing", ""),
    ("ing", "e"),
    # Adverbs: "Unbelievably, ..." opens a sentence as a word, not a name.
    ("ly", ""),
    ("ily", "y"),
    ("ably", "able"),
    ("ibly", "ible"),
)


def _starts_sentence(text: str, at: int) -> bool:
    # Walks back over blanks only: no copy of the text before `at` (one per name, quadratic).
    at -= 1
    while at >= 0 and text[at].isspace():
        at -= 1
    return at < 0 or text[at] in ".!?\n"


def _is_emphatic(text: str) -> bool:
    if "??" in text or "!!" in text:
        return True
    shouted = [w for w in _SHOUTED_RE.findall(text) if w.replace("'", "") not in _ACRONYMS]
    return len(shouted) >= 3


# Blame reported without quotes is still reported: "someone asked if Chen should be held
# accountable" asks, and "saying Tom broke it does not help us" discourages. The rest of the
# sentence goes, as a double-quoted phrase does. Both stop at the sentence's end and never
# backtrack into it, and the second starts only where a sentence does: linear.
_ASKED_IF_RE: Final = re.compile(
    r"\b(?:asked|asks|asking|wondered|wonders|wondering|question is) (?:if|whether)\b[^.;!?\n]*+"
)
_DISCOURAGED_RE: Final = re.compile(
    r"(?:^|(?<=[.!?\n])) ?(?:saying|to say|claiming|calling it|blaming)\b[^.;!?\n]{0,200}?"
    r"(?:\b(?:does|do|will|would|is) not (?:help|fair|useful|the point)|\b(?:ignores|misses|"
    r"overlooks|hides|obscures|is unfair|skips over)\b)"
)

# Blame that someone else voiced, reported in order to push back on it: "in the retro someone
# said Lars should be fired; we agreed that is not how we work". The report (to the end of
# its sentence) goes when the reply also disapproves of it. Two linear passes.
_REPORTED_RE: Final = re.compile(
    r"(?<![\w@])(?:someone|somebody|people|a few people|folks|they|@p\d+|he|she|others)\s+"
    r"(?:(?:in|on|at) (?:the )?\w+ )?(?:said|says|called|blamed|accused|"
    r"suggested|suggests|wrote|claimed|claims|insisted|kept saying|were saying|was saying|"
    r"posted|commented)\b[^.;!?\n]*+"
)
_DISAPPROVAL_RE: Final = re.compile(
    r"\bnot how we\b|\b(?:does|do|did|will|would|is) not help\b|\bnot (?:helpful|fair|ok|okay|"
    r"useful|blameless|the point)\b|\b(?:let us|please) (?:not|avoid|stop)\b|\bstop (?:saying|"
    r"writing|blaming)\b|\bwe do not (?:blame|do|point)\b|\bdisagree\w*\b|\bpushed back\b"
    r"|\bkeep (?:it|this|things) (?:about|on|focused on) (?:the )?(?:system|process|facts)\b"
)


def _is_emoji(character: str) -> bool:
    # Pictographs are "other symbols" above the Latin and punctuation blocks (not "©").
    return character >= "\u2190" and unicodedata.category(character) == "So"


def _is_emoji_joiner(character: str) -> bool:
    """Zero-width joiner, variation selector or skin tone: parts of an emoji, not text."""
    return character in "\u200d\ufe0f" or "\U0001f3fb" <= character <= "\U0001f3ff"


def _normalise(text: str) -> _Doc:
    people: list[str] = []
    text = _drop_formatting(text)
    emoji = frozenset(c for c in text if _is_emoji(c))
    if emoji:
        text = "".join(" " if c in emoji or _is_emoji_joiner(c) else c for c in text)
    text = _drop_reported_speech(text)
    emphatic = _is_emphatic(text)
    text = _mark_people(text, people).lower()
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    text = _ASKED_IF_RE.sub(" quote ", text)
    text = _DISCOURAGED_RE.sub(" quote ", text)
    if _DISAPPROVAL_RE.search(text):
        text = _REPORTED_RE.sub(" quote ", text)
    text = _INLINE_SPACES_RE.sub(" ", text).strip()
    return _Doc(text=text, people=people, emoji=emoji, emphatic=emphatic)


@dataclass(frozen=True, slots=True)
class _Hit:
    weight: float
    kind: str
    reason: str


def _show(fragment: str, people: list[str]) -> str:
    def person(m: re.Match[str]) -> str:
        # "mail@p5.com" looks like a placeholder without being one: show it as typed.
        index = m.group(1)
        return people[int(index)] if len(index) < 6 and int(index) < len(people) else m.group(0)

    shown = _PLACEHOLDER_RE.sub(person, fragment)
    return shown.replace(" 's", "'s").strip()


def _negated(before: str) -> bool:
    """A negator shortly before a fault phrase, in the same clause, cancels it."""
    clause = _CLAUSE_START_RE.split(before)[-1]
    words = clause.split()[-_NEGATION_WINDOW:]
    # "without" negates the word it governs ("without testing"), not a later verb
    # ("whoever merged this without review broke prod").
    return any(
        w in _NEGATORS and (w != "without" or i == len(words) - 1) for i, w in enumerate(words)
    )


def _classify(tokens: list[str], inherited: Subject) -> tuple[Subject, str]:
    """Who a clause (or the part of it before a fault word) is about."""
    if not tokens:
        return inherited, ""
    first = tokens[0]
    if _PLACEHOLDER_RE.fullmatch(first):
        # "Jake's laptop failed": the subject is the laptop; "Rachel's attitude" is Rachel.
        if len(tokens) > 2 and tokens[1] == "'s" and tokens[2] in _CONDUCT:
            return "person", first
        if len(tokens) > 1 and tokens[1] == "'s":
            return "thing", first
        return "person", first
    # "the tenant got migrated by Lorenzo, who didn't double check": "who" is that person.
    if first == "who":
        return ("person", "") if inherited == "person" else ("thing", first)
    # A relative clause about a person: "..., which he never tested".
    if first in _RELATIVES and len(tokens) > 1 and tokens[1:3] != [tokens[1], "'s"]:
        second = tokens[1]
        if _PLACEHOLDER_RE.fullmatch(second) or second in _PERSON_WORDS:
            return "person", second
    if first in _PERSON_WORDS:
        return "person", first
    if first in _THEY_WORDS:
        # "the replicas were lagging and they should have ...": they are the replicas.
        return ("thing" if inherited == "thing" else "person"), first
    if first in _SELF_WORDS:
        return "self", first
    if first in _NOBODY_WORDS or tokens[:2] == ["no", "one"]:
        return "nobody", first
    if first in _DETERMINERS:
        return "thing", first
    # An unknown opener ("yesterday", "btw") right before a person: the person is the subject.
    for i in (1, 2):
        if i < len(tokens) and tokens[i - 1] not in _DETERMINERS:
            nxt = tokens[i]
            if (_PLACEHOLDER_RE.fullmatch(nxt) and tokens[i + 1 : i + 2] != ["'s"]) or (
                nxt in _PERSON_WORDS
            ):
                return "person", nxt
    return "thing", first


def _subject_tokens(fragment: str) -> list[str]:
    return _LEADING_FILLER_RE.sub("", fragment.strip() + " ").split()


def _clause_subject(clause: str, last: Subject, last_who: str) -> tuple[Subject, str]:
    tokens = _subject_tokens(clause)
    if not tokens:
        return last, last_who
    return _opener_subject(tokens, last, last_who)


def _opener_subject(tokens: list[str], last: Subject, last_who: str) -> tuple[Subject, str]:
    subject, who = _classify(tokens, last)
    # A clause opening with a verb ("clicked merge") keeps the previous subject.
    first = tokens[0]
    known_opener = (
        subject != "thing"
        or first in _DETERMINERS
        or first in _THEY_WORDS
        or _PLACEHOLDER_RE.fullmatch(first) is not None
    )
    return (subject, who) if known_opener else (last, last_who)


class _Prefixes:
    """What the rules ask about `text[:at]` (its last words, its subject), answered without
    copying or rescanning the prefix, so a sentence of 10,000 fault words ("skip skip ...")
    costs linear time, not quadratic. `text` is stripped (a sentence or a clause); the
    answers are those of _negated and _subject_tokens on the prefix."""

    # _classify looks at four tokens at most.
    SUBJECT_TOKENS: Final = 4
    # Beyond this many tokens a copula-only subject can only be repeating adverbs.
    _COPULA_TOKENS: Final = 16

    def __init__(self, text: str) -> None:
        self.text = text
        self._indexed = False

    def _index(self) -> None:
        # On first use only: most sentences and clauses have no fault language to pair.
        self._indexed = True
        text = self.text
        spans = [m.span() for m in _TOKEN_RE.finditer(text)]
        self._starts = [start for start, _ in spans]
        self._ends = [end for _, end in spans]
        # Leading filler lies wholly inside every prefix that reaches past it, so it is the
        # same for all of them.
        filler = _LEADING_FILLER_RE.match(text + " ")
        self._filler_end = filler.end() if filler else 0
        self._first = bisect_left(self._starts, self._filler_end)
        self._adverbs_end: int | None = None

    def _count(self, at: int) -> int:
        """Tokens starting before `at`; the last may be cut at `at`."""
        if not self._indexed:
            self._index()
        return bisect_left(self._starts, at)

    def _token(self, i: int, at: int) -> str:
        return self.text[self._starts[i] : min(self._ends[i], at)]

    def tail(self, at: int, words: int) -> str:
        """`text[:at]` from the start of its `words`-th last token."""
        count = self._count(at)
        return self.text[self._starts[max(0, count - words)] : at] if count else ""

    def negated(self, at: int) -> bool:
        return _negated(self.tail(at, _NEGATION_WINDOW))

    def subject_tokens(self, at: int, most: int) -> tuple[list[str], int]:
        """The first `most` tokens of _subject_tokens(text[:at]), and how many there are."""
        count = self._count(at)
        if at < self._filler_end:  # rare: a fault word inside leading filler
            tokens = _subject_tokens(self.text[:at])
            return tokens[:most], len(tokens)
        first = self._first
        shown = [self._token(i, at) for i in range(first, min(count, first + most))]
        return shown, count - first

    def copula_only(self, at: int) -> bool:
        """Whether the words before `at` are only "that was (just ...)": a judgement after
        them is about the previous clause's subject."""
        tokens, count = self.subject_tokens(at, self._COPULA_TOKENS)
        if _COPULA_ONLY_RE.match(" ".join(tokens)) is None:
            return False
        if count <= self._COPULA_TOKENS:
            return True
        # Longer only by repeating adverbs ("it was just just ..."): every later token is one.
        if self._adverbs_end is None:
            i = self._first + self._COPULA_TOKENS
            while i < len(self._starts) and self._token(i, self._ends[i]) in _COPULA_ADVERBS:
                i += 1
            self._adverbs_end = i
        last = self._first + count - 1
        return self._adverbs_end >= last and self._token(last, at) in _COPULA_ADVERBS


def _pair_hits(clause: str, last: Subject, last_who: str, people: list[str]) -> list[_Hit]:
    hits: list[_Hit] = []
    # One scan to see whether any fault term occurs: most clauses have none, and a reply cut
    # into 2,000 one-word clauses (":a" * 20,000) would otherwise cost a scan per term each.
    if _FAULT_GATE_RE.search(clause) is None:
        return hits
    prefixes = _Prefixes(clause)
    for term in _FAULT_TERMS:
        for m in term.pattern.finditer(clause):
            at = m.start()
            # "hard to forget": two words and a space before the match.
            if term.veto_before and term.veto_before.search(prefixes.tail(at, 2)):
                continue
            phrase = m.group(0)
            if term.kind == "should" and not _judgemental_should(phrase):
                continue
            if prefixes.negated(at):
                continue
            tokens, count = prefixes.subject_tokens(at, _Prefixes.SUBJECT_TOKENS)
            if not count or prefixes.copula_only(at):
                subject, who = last, last_who
            else:
                subject, who = _classify(tokens, last)
                # "Typical Rashid, pushing untested code": a clause that opens with a verb
                # form is about the previous clause's subject.
                if subject == "thing" and last == "person" and _is_verb_opener(tokens[0]):
                    subject, who = last, last_who
            if subject != "person":
                continue
            if term.kind == "should":
                phrase = _trim_should(phrase)
            phrase_shown = _show(phrase, people)
            who_shown = _show(who, people) if who else "someone named earlier"
            hits.append(
                _Hit(
                    term.weight,
                    term.kind,
                    f'pairs a person ("{who_shown}") with fault language ("{phrase_shown}")',
                )
            )
    return hits


def _is_verb_opener(word: str) -> bool:
    if word in _ADVERB_OPENERS:
        return True
    return _VERB_OPENER_RE.fullmatch(word) is not None and word not in _ING_NOUNS


# Adverbs that open a clause whose subject is the previous one: "... and still ignored it".
_ADVERB_OPENERS: Final = _words(
    "still later even eventually promptly immediately quietly happily somehow repeatedly "
    "proceeded casually conveniently"
)

_VERB_OPENER_RE: Final = re.compile(r"[a-z]{2,}(?:ing|ed)")
# Words ending like verb forms that name things in incident chat: "logging failed to ...".
_ING_NOUNS: Final = _words(
    """
    logging monitoring alerting paging testing caching routing billing scheduling building
    morning evening thing things setting settings mapping mappings tooling networking hosting
    staging pricing onboarding offboarding warning warnings ticketing tracing polling
    pooling batching sharding indexing sampling throttling feed seed speed need shed bed red
    """
)


def _judgemental_should(phrase: str) -> bool:
    """'should have checked' judges; 'should have the timeline' or 'should have been paged' not."""
    words = phrase.split()
    rest = words[words.index("have") + 1 :]
    if not rest or rest[0] in _NOT_A_PARTICIPLE:
        return False
    if rest[0] == "been":
        if len(rest) < 2:
            return False
        nxt = rest[1]
        return nxt in _BEEN_JUDGEMENT or nxt.endswith("ing")
    return True


def _trim_should(phrase: str) -> str:
    """'should have restarted the' -> 'should have restarted'; keeps 'should have been more'."""
    words = phrase.split()
    end = words.index("have") + 2
    if end < len(words) and words[end - 1] == "been":
        end += 1
    return " ".join(words[:end])


def _counterfactual_hits(sentence: str, people: list[str], prefixes: _Prefixes) -> list[_Hit]:
    hits: list[_Hit] = []
    for regex in (_CF_IF_RE, _CF_HAD_RE):
        for m in regex.finditer(sentence):
            verb = m.group("verb")
            if m.groupdict().get("aux") == "did" and not m.group("neg"):
                continue
            # "if Alice had been paged" / "if she had access" are about the system;
            # "if he had been paying attention" is not.
            after = m.group("after") or ""
            if verb in _CF_NOT_CONDUCT and not (verb == "been" and after in _BEEN_JUDGEMENT):
                continue
            if m.group("who") in _THEY_WORDS and _thing_before(prefixes, m.start()):
                continue
            shown_end = m.end("after") if verb == "been" and m.group("after") else m.end("verb")
            hits.append(_counterfactual_hit(sentence[m.start() : shown_end], people))
    for regex in (_CF_WAS_RE, _CF_JUST_RE):
        hits.extend(_counterfactual_hit(m.group(0), people) for m in regex.finditer(sentence))
    return hits


def _thing_before(prefixes: _Prefixes, at: int) -> bool:
    """Whether _clause_subject(sentence[:at]) finds a thing."""
    tokens, count = prefixes.subject_tokens(at, _Prefixes.SUBJECT_TOKENS)
    return bool(count) and _opener_subject(tokens, "none", "")[0] == "thing"


def _counterfactual_hit(fragment: str, people: list[str]) -> _Hit:
    shown = _show(fragment.strip(" ,;"), people)
    return _Hit(_STRONG, "counterfactual", f'counterfactual judgement about a person ("{shown}")')


def _direct_hits(sentence: str, people: list[str], prefixes: _Prefixes) -> list[_Hit]:
    hits: list[_Hit] = []
    for regex, kind in _DIRECT_RULES:
        for m in regex.finditer(sentence):
            if prefixes.negated(m.start()):
                continue
            shown = _show(m.group(0), people)
            # "it was Zofia's change" answers a question unless something tips it over.
            weight, kind = (_WEAK, "fault") if kind == "weak fault" else (_STRONG, kind)
            hits.append(_Hit(weight, kind, f'puts the fault on a person ("{shown}")'))
    # "whoever set the TTL to a week is an idiot": a person called a name of scorn (the role
    # pattern made "an idiot" a placeholder of its own).
    for m in _CALLED_RE.finditer(sentence):
        index = int(m.group("called"))
        if index < len(people) and _SCORN_RE.search(people[index].lower()):
            if prefixes.negated(m.start()):
                continue
            shown = _show(m.group(0), people)
            hits.append(_Hit(_STRONG, "judgement", f'calls a person names ("{shown}")'))
    return hits


_CALLED_RE: Final = re.compile(
    r"(?<!\w)" + _P + r" (?:is|was|are|were|being) (?:(?:such|a|an|total|complete|real|"
    r"absolute) )*@p(?P<called>\d{1,5})\b"
)


def _cause_hits(sentence: str, people: list[str], prefixes: _Prefixes) -> list[_Hit]:
    # One pass to see whether any rule below can match: a sentence of 800 names and no
    # cause, punishment or passive word skips a dozen scans (benchmarks/text_bounds.py).
    if _CAUSE_GATE_RE.search(sentence) is None:
        return []
    hits: list[_Hit] = []
    for rules, kind, says in (
        (_CAUSE_RULES, "cause", "names a person as the cause"),
        (_PUNISH_RULES, "punish", "calls for a person to be punished or held to account"),
    ):
        for regex in rules:
            for m in regex.finditer(sentence):
                if prefixes.negated(m.start()):
                    continue
                hits.append(_Hit(_STRONG, kind, f'{says} ("{_show(m.group(0), people)}")'))
    for regex in _CAUSE_UNLESS_CREDIT_RULES:
        for m in regex.finditer(sentence):
            if prefixes.negated(m.start()) or _RECOVERY_RE.search(sentence, m.end()):
                continue
            shown = _show(m.group(0), people)
            hits.append(_Hit(_STRONG, "cause", f'names a person as the cause ("{shown}")'))
    for m in _PASSIVE_RE.finditer(sentence):
        verb = m.group("verb")
        harmful = verb in _HARMFUL_PARTICIPLES
        # "taken down by Jae-won's script": harm done by a person's work names them too;
        # a neutral act by their work ("approved by Ana's team") does not.
        neutral = verb in _NEUTRAL_PARTICIPLES and not m.group("owns")
        if harmful or (neutral and _HARM_RE.search(sentence)):
            if prefixes.negated(m.start()):
                continue
            shown = _show(m.group(0), people)
            hits.append(_Hit(_STRONG, "cause", f'names a person as the agent of harm ("{shown}")'))
    return hits


def _sarcasm_hits(doc: _Doc) -> list[_Hit]:
    text = doc.text
    praise = _PRAISE_RE.search(text)
    if not praise or _negated(text[: praise.start()]) or not _ANY_PERSON_RE.search(text):
        return []
    who = _ANY_PERSON_RE.search(text[praise.start() :]) or _ANY_PERSON_RE.search(text)
    who_shown = _show(who.group(0), doc.people) if who else "someone"
    if _THANKS_FOR_NOTHING_RE.search(text) or (_BARE_THANKS_RE.match(text) and not doc.emoji):
        return [_sarcasm_hit(who_shown, praise.group(0), "thanks for nothing in particular")]
    outcome = _BAD_OUTCOME_RE.search(text)
    exasperated = doc.emoji & _EXASPERATED_EMOJI
    if _RECOVERY_RE.search(text) or not (outcome or exasperated):
        return []
    bad = outcome.group(0) if outcome else sorted(exasperated)[0]
    return [_sarcasm_hit(who_shown, praise.group(0), bad)]


def _sarcasm_hit(who: str, praise: str, bad: str) -> _Hit:
    return _Hit(
        _STRONG,
        "sarcasm",
        f'sarcasm aimed at a person ("{who}"): praise ("{praise}") for a bad outcome ("{bad}")',
    )


def _intensifier(doc: _Doc) -> str | None:
    if doc.emoji & _EXASPERATED_EMOJI:
        return sorted(doc.emoji & _EXASPERATED_EMOJI)[0]
    if doc.emphatic:
        return "shouting or ?? / !!"
    m = _INTENSIFIER_RE.search(doc.text)
    if m:
        return m.group(0)
    # A person named with scorn ("some genius on the infra team").
    return next((p for p in doc.people if _SCORN_RE.search(p.lower())), None)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_SPLIT_RE.split(text) if s and s.strip()]


def _clauses(sentence: str) -> list[str]:
    parts = (_CLAUSE_JUNK_RE.sub(" ", p) for p in _CLAUSE_SPLIT_RE.split(sentence) if p)
    return [_SPACES_RE.sub(" ", p).strip() for p in parts if p.strip()]


def _reframes(hits: list[_Hit]) -> tuple[str, ...]:
    ordered = sorted(hits, key=lambda h: -h.weight)
    chosen: list[str] = []
    for hit in ordered:
        question = _REFRAMES.get(hit.kind)
        if question is not None and question not in chosen:
            chosen.append(question)
        if len(chosen) == 2:
            return tuple(chosen)
    if _CAUGHT_EARLIER not in chosen:
        chosen.append(_CAUGHT_EARLIER)
    return tuple(chosen[:2])


def assess(text: str) -> BlameVerdict:
    """Say whether a reply (plain text) blames a person, why, and how to ask about the system
    instead."""
    text = text[:COACH_LIMIT]
    if not text or not text.strip():
        return _NOT_BLAME
    doc = _normalise(text)
    if not doc.text:
        return _NOT_BLAME

    hits: list[_Hit] = []
    last: Subject = "none"
    last_who = ""
    for sentence in _sentences(doc.text):
        prefixes = _Prefixes(sentence)
        hits.extend(_direct_hits(sentence, doc.people, prefixes))
        hits.extend(_counterfactual_hits(sentence, doc.people, prefixes))
        hits.extend(_cause_hits(sentence, doc.people, prefixes))
        for clause in _clauses(sentence):
            hits.extend(_pair_hits(clause, last, last_who, doc.people))
            last, last_who = _clause_subject(clause, last, last_who)
    hits.extend(_sarcasm_hits(doc))

    score = sum(h.weight for h in hits)
    if hits and score < _THRESHOLD:
        boost = _intensifier(doc)
        if boost is not None:
            hits.append(_Hit(_WEAK, "emphasis", f'adds emphasis ("{boost}")'))
            score += _WEAK
    if score < _THRESHOLD:
        return _NOT_BLAME

    reasons = list(dict.fromkeys(hit.reason for hit in sorted(hits, key=lambda h: -h.weight)))
    return BlameVerdict(
        blames=True, reasons=tuple(reasons[:_MAX_REASONS]), reframes=_reframes(hits)
    )
