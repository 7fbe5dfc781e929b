"""The gold-set format: one question per JSON Lines line, with its answers and evidence.

A gold file is what every evaluation run is scored against, so the loader is strict: a bad line
names the file, its 1-based line number and the field at fault, instead of skewing a score.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.errors import InputError

REQUIRED_FIELDS = ("id", "question", "answerable")
OPTIONAL_FIELDS = ("answers", "evidence", "article", "conversation", "turn", "tags", "kind",
                   "conclusion")
#: The kinds of request (`qa.kinds.Kind`); a line without `kind` is a factoid. What the fields mean
#: per kind: factoid: `answers` are alternative short answers; descriptive: `evidence` holds the
#: text a cited sentence must contain (any one), `answers` optional; summary: `evidence` holds the
#: gold key sentences (their articles are the named ones); comparison: `answers` holds every
#: part's figure (all must be cited) and `conclusion` the acceptable winners, when one is asked;
#: smalltalk: no answers, no evidence, `answerable` false.
KINDS = ("factoid", "descriptive", "summary", "comparison", "smalltalk")
KNOWN_FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS


class GoldFormatError(InputError):
    """A gold file line is malformed; the message reads `FILE:LINE: field 'NAME' ...`."""


@dataclass(frozen=True)
class GoldItem:
    """One gold question: what is asked, what counts as right, and which source text supports it.

    `answers` is empty for unanswerable questions; `evidence` holds verbatim substrings of the
    source; `conversation` and `turn` (1-based) place a follow-up in its dialogue.
    """

    id: str
    question: str
    answers: tuple[str, ...]
    evidence: tuple[str, ...]
    answerable: bool
    article: str | None = None
    conversation: str | None = None
    turn: int | None = None
    tags: tuple[str, ...] = ()
    kind: str = "factoid"
    conclusion: tuple[str, ...] = ()


def _is_str_list(value: Any) -> bool:
    """True for a JSON list of non-blank strings."""
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def parse_item(record: Any, where: str) -> GoldItem:
    """Validate one decoded line and build its GoldItem; `where` is the `file:line` prefix."""

    def fail(field: str, problem: str) -> GoldFormatError:
        return GoldFormatError(f"{where}: field '{field}' {problem}")

    if not isinstance(record, dict):
        raise GoldFormatError(f"{where}: a line must be a JSON object, got {type(record).__name__}")
    unknown = sorted(set(record) - set(KNOWN_FIELDS))
    if unknown:
        names = ", ".join(f"'{name}'" for name in unknown)
        raise GoldFormatError(
            f"{where}: unknown field(s) {names}; known fields: {', '.join(KNOWN_FIELDS)}"
        )
    for field in REQUIRED_FIELDS:
        if field not in record:
            raise fail(field, "is missing")

    item_id = record["id"]
    if not isinstance(item_id, str) or not item_id.strip():
        raise fail("id", "must be a non-empty string")
    question = record["question"]
    if not isinstance(question, str) or not question.strip():
        raise fail("question", "must be a non-empty string")
    answerable = record["answerable"]
    if not isinstance(answerable, bool):
        raise fail("answerable", "must be true or false")
    answers = record.get("answers", [])
    if not _is_str_list(answers):
        raise fail("answers", "must be a list of strings (none blank)")
    evidence = record.get("evidence", [])
    if not _is_str_list(evidence):
        raise fail("evidence", "must be a list of strings (none blank)")
    kind = record.get("kind", "factoid")
    if kind not in KINDS:
        raise fail("kind", f"must be one of {', '.join(KINDS)}; got {kind!r}")
    conclusion = record.get("conclusion", [])
    if not _is_str_list(conclusion):
        raise fail("conclusion", "must be a list of strings (none blank)")
    if conclusion and kind != "comparison":
        raise fail("conclusion", "is only for kind 'comparison'")
    if kind == "smalltalk" and (answerable or answers or evidence):
        raise fail("kind", "'smalltalk' takes no answers or evidence and 'answerable' false")
    if kind in ("factoid", "comparison") and answerable and not answers:
        raise fail("answers", "must not be empty when 'answerable' is true")
    if answerable and not evidence:
        raise fail("evidence", "must not be empty when 'answerable' is true")
    if not answerable and answers:
        raise fail("answers", "must be empty when 'answerable' is false")

    article = record.get("article")
    if article is not None and (not isinstance(article, str) or not article.strip()):
        raise fail("article", "must be a non-empty string")
    conversation = record.get("conversation")
    if conversation is not None and (not isinstance(conversation, str) or not conversation.strip()):
        raise fail("conversation", "must be a non-empty string")
    turn = record.get("turn")
    if turn is not None and (isinstance(turn, bool) or not isinstance(turn, int) or turn < 1):
        raise fail("turn", "must be an integer >= 1")
    if conversation is not None and turn is None:
        raise fail("turn", "is required when 'conversation' is given")
    if turn is not None and conversation is None:
        raise fail("conversation", "is required when 'turn' is given")
    tags = record.get("tags", [])
    if not _is_str_list(tags):
        raise fail("tags", "must be a list of strings (none blank)")

    return GoldItem(
        id=item_id,
        question=question,
        answers=tuple(answers),
        evidence=tuple(evidence),
        answerable=answerable,
        article=article,
        conversation=conversation,
        turn=turn,
        tags=tuple(tags),
        kind=kind,
        conclusion=tuple(conclusion),
    )


def load_gold(path: str | Path) -> list[GoldItem]:
    """Read a gold JSON Lines file, rejecting any malformed line with its file, line and field.

    Blank lines are skipped; duplicate ids and repeated (conversation, turn) pairs are errors.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise InputError(f"gold file not found: {path}") from exc
    except UnicodeDecodeError as exc:
        raise GoldFormatError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise InputError(f"cannot read gold file {path}: {exc.strerror or exc}") from exc

    items: list[GoldItem] = []
    id_lines: dict[str, int] = {}
    turn_lines: dict[tuple[str, int], int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldFormatError(f"{where}: not valid JSON ({exc.msg})") from exc
        item = parse_item(record, where)
        if item.id in id_lines:
            raise GoldFormatError(
                f"{where}: field 'id' duplicates '{item.id}' (first on line {id_lines[item.id]})"
            )
        id_lines[item.id] = number
        if item.conversation is not None and item.turn is not None:
            key = (item.conversation, item.turn)
            if key in turn_lines:
                raise GoldFormatError(
                    f"{where}: field 'turn' repeats turn {item.turn} of conversation "
                    f"'{item.conversation}' (first on line {turn_lines[key]})"
                )
            turn_lines[key] = number
        items.append(item)
    return items


def gold_record(item: GoldItem) -> dict[str, Any]:
    """The JSON object for one item (optional fields only when set), as `dump_gold` writes it."""
    record: dict[str, Any] = {
        "id": item.id,
        "question": item.question,
        "answers": list(item.answers),
        "evidence": list(item.evidence),
        "answerable": item.answerable,
    }
    if item.article is not None:
        record["article"] = item.article
    if item.conversation is not None:
        record["conversation"] = item.conversation
    if item.turn is not None:
        record["turn"] = item.turn
    if item.tags:
        record["tags"] = list(item.tags)
    if item.kind != "factoid":
        record["kind"] = item.kind
    if item.conclusion:
        record["conclusion"] = list(item.conclusion)
    return record


def dump_gold(items: Iterable[GoldItem], path: str | Path) -> None:
    """Write items as gold JSON Lines (UTF-8, characters unescaped) that `load_gold` reads back."""
    lines = [json.dumps(gold_record(item), ensure_ascii=False) + "\n" for item in items]
    Path(path).write_text("".join(lines), encoding="utf-8")


def conversation_history(items: Sequence[GoldItem], item: GoldItem) -> list[GoldItem]:
    """The earlier turns of `item`'s conversation, ordered by turn (empty for a standalone item)."""
    if item.conversation is None or item.turn is None:
        return []
    earlier = [
        other
        for other in items
        if other.conversation == item.conversation
        and other.turn is not None
        and other.turn < item.turn
    ]
    return sorted(earlier, key=lambda other: other.turn or 0)
