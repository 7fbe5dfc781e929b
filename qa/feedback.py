"""Thumbs up/down on answers, kept as JSON Lines, and turned into gold-set lines for evaluation.

One line per vote, appended under a lock and flushed to disk before `record` returns, so a crash
or a second writer never leaves a half-written line in the middle of the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index.errors import InputError

from .records import Answer

try:  # POSIX: also serialize writers in other processes
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

FEEDBACK_FILE = "feedback.jsonl"
VOTES = ("up", "down")
_MARKER = re.compile(r"\s*\[\d+\]")


def _vote(value: str | bool) -> str:
    """`up`/`down` from a vote given as text or as liked (True) / disliked (False)."""
    if isinstance(value, bool):
        return "up" if value else "down"
    vote = str(value).strip().lower()
    aliases = {"like": "up", "liked": "up", "+1": "up", "dislike": "down", "disliked": "down",
               "-1": "down"}
    vote = aliases.get(vote, vote)
    if vote not in VOTES:
        raise InputError(f"a vote must be 'up' or 'down'; got {value!r}")
    return vote


def feedback_record(answer: Answer | Mapping[str, Any], vote: str | bool,
                    comment: str | None = None) -> dict[str, Any]:
    """The JSON object stored for one vote on an answer (an Answer or its `as_dict()`)."""
    data = dict(answer.as_dict()) if isinstance(answer, Answer) else dict(answer)
    question = data.get("question")
    if not isinstance(question, str) or not question.strip():
        raise InputError("feedback needs the answer's question")
    record: dict[str, Any] = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "vote": _vote(vote),
        "question": question,
        "resolved_question": data.get("resolved_question") or question,
        "answer": data.get("answer") or "",
        "short_answer": data.get("short_answer"),
        "abstained": bool(data.get("abstained", False)),
        "citations": [dict(c) for c in data.get("citations") or []],
    }
    if comment:
        record["comment"] = comment
    return record


class FeedbackStore:
    """An append-only JSON Lines file of votes (`<home>/feedback.jsonl` by default)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()

    def record(self, answer: Answer | Mapping[str, Any], vote: str | bool,
               comment: str | None = None) -> dict[str, Any]:
        """Append one vote and make it durable (flush + fsync) before returning the record."""
        record = feedback_record(answer, vote, comment)
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "ab") as handle:
                if fcntl is not None:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
                try:
                    handle.write(line)
                    handle.flush()
                    os.fsync(handle.fileno())
                finally:
                    if fcntl is not None:
                        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return record

    def read(self) -> list[dict[str, Any]]:
        """Every stored vote, oldest first; a torn or foreign line is skipped, not fatal."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise InputError(f"cannot read feedback file {self.path}: {exc.strerror or exc}") from exc
        records = []
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and record.get("vote") in VOTES and record.get("question"):
                records.append(record)
        return records


def _gold_id(question: str, answer: str) -> str:
    """A stable id for a feedback gold line (the same question and answer give the same id)."""
    digest = hashlib.sha1(f"{question}\x1f{answer}".encode()).hexdigest()[:10]
    return f"feedback-{digest}"


def export_gold(records: Iterable[Mapping[str, Any]], only_positive: bool = True) -> list[dict[str, Any]]:
    """Gold-set lines (eval.gold's format) from feedback records, the latest vote per question.

    An upvoted answer becomes an answerable item (answers: the short answer or the answer text;
    evidence: the cited sentences). An upvoted abstention becomes an unanswerable item. Follow-ups
    are exported as their resolved, standalone question. With `only_positive=False` downvoted
    answers are included too, tagged `downvoted`, for review (their answers are not gold).
    """
    latest: dict[str, Mapping[str, Any]] = {}
    for record in records:
        question = str(record.get("resolved_question") or record.get("question") or "").strip()
        if question:
            latest[question] = record  # later votes override earlier ones
    lines: list[dict[str, Any]] = []
    for question, record in latest.items():
        vote = record.get("vote")
        if vote != "up" and (only_positive or vote != "down"):
            continue
        citations = [c for c in record.get("citations") or [] if isinstance(c, Mapping)]
        evidence = list(dict.fromkeys(str(c.get("text", "")).strip() for c in citations))
        evidence = [e for e in evidence if e]
        tags = ["feedback"] + (["downvoted"] if vote == "down" else [])
        if record.get("abstained"):
            if vote != "up":
                continue  # a disliked abstention says nothing certain about the answer
            lines.append({"id": _gold_id(question, ""), "question": question, "answers": [],
                          "evidence": [], "answerable": False, "tags": tags})
            continue
        answer = str(record.get("short_answer") or "").strip()
        if not answer:  # no short answer: the answer text without its [n] markers
            answer = _MARKER.sub("", str(record.get("answer") or "")).strip()
        if not answer or not evidence:
            continue  # not a usable gold line without an answer and its evidence
        line: dict[str, Any] = {"id": _gold_id(question, answer), "question": question,
                                "answers": [answer], "evidence": evidence, "answerable": True}
        title = citations[0].get("title") if citations else None
        if isinstance(title, str) and title.strip():
            line["article"] = title
        line["tags"] = tags
        lines.append(line)
    return lines
