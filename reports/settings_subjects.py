"""The equality monitoring questions as a kind of setting (``permissions.settings_changes``):
what the report form asks, apart from the report, and counts unlinked (``reports.monitoring``).

Each answer says something about who gave it, and a report's month and unit are known to
those who handle it: the finer the answers, the nearer a tally comes to a person (a "yes"
counted once in a month of one report). So a change that lets the answers say more waits for
a second administrator: a question asked that was not (new, or brought back), a question
reworded (its answers then mean something else), or an answer added or renamed. Retiring a
question, taking an answer away, and changing a hint or the order are made at once.

A question is never deleted (its tallies name it by its short name, which is fixed), and
"Prefer not to say" is not one of its answers: the form always offers it first.
"""

from __future__ import annotations

import re

from permissions.settings_changes import SettingsRefused, Subject, Values, settings_row_save
from permissions.settings_changes import settings_row_locked as _locked
from reports.models import PREFER_NOT_TO_SAY, MonitoringQuestion

QUESTION_FIELDS = (
    "slug",
    "text",
    "hint",
    "answers",
    "text_cy",
    "hint_cy",
    "answers_cy",
    "is_active",
    "position",
)
# What a change proposed before the Welsh words were kept stands for: none given.
_WELSH_NONE = {"text_cy": "", "hint_cy": "", "answers_cy": {}}
SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
MIN_ANSWERS, MAX_ANSWERS = 2, 20
MAX_ANSWER_CHARS = 100


def _values(row: MonitoringQuestion | None) -> Values:
    if row is None:
        return {}
    return {
        "slug": row.slug,
        "text": row.text,
        "hint": row.hint,
        "answers": [[str(a[0]), str(a[1])] for a in row.answers],
        "text_cy": row.text_cy,
        "hint_cy": row.hint_cy,
        "answers_cy": dict(row.answers_cy) if isinstance(row.answers_cy, dict) else {},
        "is_active": row.is_active,
        "position": row.position,
    }


def questions_weaken(before: Values, after: Values) -> str:
    """Whether, after the change, a question that is asked lets its answers say more about
    who gave them than before: asked where it was not, reworded, or with an answer added or
    renamed, in English or in Welsh (a Welsh reporter reads only the Welsh). In a few words,
    or ``""``."""
    before, after = {**_WELSH_NONE, **before}, {**_WELSH_NONE, **after}
    if not after.get("is_active"):
        return ""  # not asked
    if not before.get("is_active"):
        return (
            "It asks reporters a question they were not asked: each answer says something "
            "about who gave it."
        )
    found = []
    # Welsh words taken away leave the English, already asked: not a rewording.
    reworded_cy = after["text_cy"] and after["text_cy"] != before["text_cy"]
    if before.get("text") != after.get("text") or reworded_cy:
        found.append("it rewords the question, so its answers mean something else")
    old = dict(before.get("answers", []))
    old_cy, new_cy = before["answers_cy"], after["answers_cy"]
    if any(old.get(slug) != label for slug, label in after.get("answers", [])) or any(
        old_cy.get(slug) != label for slug, label in new_cy.items()
    ):
        found.append("it adds or renames an answer, so the answers are split more finely")
    if not found:
        return ""
    return "Answers could say more about who gave them: " + "; ".join(found) + "."


def _check(target_id: int | None, before: Values, after: Values) -> None:
    after = {**_WELSH_NONE, **after}
    if set(after) != set(QUESTION_FIELDS):
        raise SettingsRefused("Give every part of the question.")
    slug = after["slug"]
    if not (isinstance(slug, str) and SLUG.match(slug) and len(slug) <= 50):
        raise SettingsRefused("The short name uses lower-case letters, numbers and hyphens.")
    if target_id is not None and slug != before.get("slug"):
        raise SettingsRefused("A question's short name cannot change: its counts are kept by it.")
    taken = MonitoringQuestion.objects.filter(slug=slug)
    if target_id is not None:
        taken = taken.exclude(pk=target_id)
    if taken.exists():
        raise SettingsRefused("That short name is already used by another question.")
    text, hint = after["text"], after["hint"]
    if not (isinstance(text, str) and text.strip() and len(text) <= 200):
        raise SettingsRefused("Write the question, in 200 characters or fewer.")
    if not (isinstance(hint, str) and len(hint) <= 300):
        raise SettingsRefused("The hint must be 300 characters or fewer.")
    answers = after["answers"]
    if not (isinstance(answers, list) and MIN_ANSWERS <= len(answers) <= MAX_ANSWERS):
        raise SettingsRefused(f"Give {MIN_ANSWERS} to {MAX_ANSWERS} answers.")
    seen: set[str] = set()
    for pair in answers:
        if not (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(part, str) for part in pair)
            and SLUG.match(pair[0])
            and pair[0] != PREFER_NOT_TO_SAY
            and pair[1].strip()
            and len(pair[1]) <= MAX_ANSWER_CHARS
            and pair[0] not in seen
        ):
            raise SettingsRefused(
                "Each answer needs a name of its own, in "
                f"{MAX_ANSWER_CHARS} characters or fewer (not “Prefer not to say”, which is "
                "always offered)."
            )
        seen.add(pair[0])
    _check_welsh(after, seen)
    if not isinstance(after["is_active"], bool):
        raise SettingsRefused("Say whether the question is asked.")
    position = after["position"]
    if not (isinstance(position, int) and not isinstance(position, bool) and 0 <= position <= 999):
        raise SettingsRefused("The place must be 0 to 999.")


def _check_welsh(after: Values, answers: set[str]) -> None:
    text, hint, labels = after["text_cy"], after["hint_cy"], after["answers_cy"]
    if not (isinstance(text, str) and len(text) <= 200):
        raise SettingsRefused("The question in Welsh must be 200 characters or fewer.")
    if not (isinstance(hint, str) and len(hint) <= 300):
        raise SettingsRefused("The hint in Welsh must be 300 characters or fewer.")
    if not (
        isinstance(labels, dict)
        and all(
            slug in answers
            and isinstance(label, str)
            and label.strip()
            and len(label) <= MAX_ANSWER_CHARS
            for slug, label in labels.items()
        )
    ):
        raise SettingsRefused(
            f"Each answer in Welsh must be one of the question's answers, in {MAX_ANSWER_CHARS} "
            "characters or fewer."
        )


def _apply(target_id: int | None, after: Values) -> int:
    after = {**_WELSH_NONE, **after}
    row = _locked(MonitoringQuestion.objects.all(), target_id) or MonitoringQuestion()
    for name in QUESTION_FIELDS:
        setattr(row, name, after[name])
    return settings_row_save(row)


MONITORING = Subject(
    key="monitoring",
    current=lambda target: _values(_locked(MonitoringQuestion.objects.all(), target)),
    apply=_apply,
    weakens=questions_weaken,
    check=_check,
)

SUBJECTS = (MONITORING,)
