"""Public SQuAD-style reading-comprehension sets (DRCD, CMRC 2018, ExpMRC, XQuAD) as gold sets.

Each benchmark becomes documents (one per paragraph) plus `GoldItem`s whose `article` is the
paragraph holding the question (retrieval gold) and whose `evidence` is the sentence(s) holding the
answer span (citation gold), or the human-marked evidence sentences where the file ships them
(ExpMRC). The data stays in the shared folder; nothing is copied into the project.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.errors import InputError
from index.text import detect_script

from .gold import GoldItem

DEFAULT_ROOT = Path("../shared/benchmarks")

# The benchmark README's gold sentence: split after 。！？；!? (a run of them, plus closing quotes).
_ZH_SENTENCE_END = re.compile(r"[。！？；!?]+[」』”’\"')）\]》]*")
# In English contexts a full stop followed by white space also ends a sentence.
_EN_SENTENCE_END = re.compile(r"(?:[。！？；!?]+|\.(?=\s))[」』”’\"')）\]]*")


@dataclass(frozen=True)
class BenchmarkDocument:
    """One benchmark paragraph: `id` is the paragraph id, `title` its article's title."""

    id: str
    title: str
    text: str
    article: str = ""  # the index of the file's article (`data[i]`) the paragraph belongs to


@dataclass(frozen=True)
class Benchmark:
    """A benchmark as a corpus of paragraphs and gold questions over them."""

    name: str
    documents: tuple[BenchmarkDocument, ...]
    items: tuple[GoldItem, ...]


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """Gold sentence spans of a context, whitespace trimmed; the benchmark's own definition."""
    pattern = _EN_SENTENCE_END if detect_script(text) == "en" else _ZH_SENTENCE_END
    cuts = [match.end() for match in pattern.finditer(text)]
    if not cuts or cuts[-1] != len(text):
        cuts.append(len(text))
    spans: list[tuple[int, int]] = []
    start = 0
    for end in cuts:
        left, right = start, end
        while left < right and text[left].isspace():
            left += 1
        while right > left and text[right - 1].isspace():
            right -= 1
        if right > left:
            spans.append((left, right))
        start = end
    return spans


def locate_answer(context: str, text: str, start: int) -> int | None:
    """Where an answer really starts: the given offset if it matches, else the nearest `find`.

    Offsets of -1 (free-form answers not in the context) are not located: they stay answer strings
    only. Wrong offsets (CMRC 2018 counts characters outside the BMP twice) are re-found nearby.
    """
    if start < 0 or not text:
        return None
    if context.startswith(text, start):
        return start
    positions: list[int] = []
    found = context.find(text)
    while found != -1:
        positions.append(found)
        found = context.find(text, found + 1)
    if not positions:
        return None
    return min(positions, key=lambda pos: (abs(pos - start), pos))


def _evidence_for(
    context: str, spans: list[tuple[int, int]], start: int, end: int
) -> str | None:
    """The sentence(s) a located answer span falls in, as one verbatim substring of the context."""
    hit = [(s, e) for s, e in spans if s < end and e > start]
    if not hit:
        return None
    return context[hit[0][0] : hit[-1][1]]


def _distinct(texts: list[str]) -> tuple[str, ...]:
    """Non-blank texts, stripped, first occurrence kept, order preserved."""
    seen: dict[str, None] = {}
    for text in texts:
        text = text.strip()
        if text:
            seen.setdefault(text, None)
    return tuple(seen)


def _read_json(path: Path) -> dict[str, Any]:
    """Decode a benchmark file, turning a missing or broken file into an InputError."""
    try:
        with path.open(encoding="utf-8-sig") as handle:
            data = json.load(handle)
    except FileNotFoundError as exc:
        raise InputError(f"benchmark file not found: {path}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read benchmark file {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise InputError(f"{path}: not a SQuAD-style file (no top-level 'data' list)")
    return data


@dataclass(frozen=True)
class SquadQuestion:
    """One question as read from the file, with its paragraph's position and id."""

    id: str
    question: str
    paragraph_id: str
    paragraph_index: int
    answers: tuple[tuple[str, int], ...]
    evidences: tuple[str, ...] | None
    impossible: bool


def read_squad(path: Path) -> tuple[list[BenchmarkDocument], list[SquadQuestion]]:
    """Paragraphs and questions of a SQuAD-style file, in file order, with checked structure."""
    data = _read_json(path)
    documents: list[BenchmarkDocument] = []
    questions: list[SquadQuestion] = []
    seen_paragraphs: set[str] = set()
    seen_questions: set[str] = set()
    for a_index, article in enumerate(data["data"]):
        where = f"{path}: data[{a_index}]"
        try:
            title = str(article.get("title", ""))
            for p_index, paragraph in enumerate(article["paragraphs"]):
                where = f"{path}: data[{a_index}].paragraphs[{p_index}]"
                paragraph_id = str(paragraph.get("id") or f"{a_index}-{p_index}")
                if paragraph_id in seen_paragraphs:
                    raise InputError(f"{where}: duplicate paragraph id '{paragraph_id}'")
                seen_paragraphs.add(paragraph_id)
                context = paragraph["context"]
                if not isinstance(context, str):
                    raise TypeError("'context' is not a string")
                documents.append(BenchmarkDocument(id=paragraph_id, title=title, text=context,
                                                    article=str(a_index)))
                for qa in paragraph["qas"]:
                    question_id = str(qa["id"])
                    if question_id in seen_questions:
                        raise InputError(f"{where}: duplicate question id '{question_id}'")
                    seen_questions.add(question_id)
                    evidences = qa.get("evidences")
                    questions.append(
                        SquadQuestion(
                            id=question_id,
                            question=str(qa["question"]),
                            paragraph_id=paragraph_id,
                            paragraph_index=len(documents) - 1,
                            answers=tuple(
                                (str(ans["text"]), int(ans.get("answer_start", -1)))
                                for ans in qa.get("answers") or []
                            ),
                            evidences=(
                                tuple(str(e) for e in evidences)
                                if isinstance(evidences, list)
                                else None
                            ),
                            impossible=bool(qa.get("is_impossible", False)),
                        )
                    )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"{where}: not a SQuAD-style record ({exc!r})") from exc
    return documents, questions


def _gold_item(
    question: SquadQuestion, question_text: str, context: str, name: str,
    spans: list[tuple[int, int]],
) -> GoldItem:
    """Build one GoldItem: distinct answers, evidence from the file or from located answer spans."""
    if question.impossible:
        answers: tuple[str, ...] = ()
        evidence: tuple[str, ...] = ()
    else:
        answers = _distinct([text for text, _ in question.answers])
        if question.evidences:
            evidence = _distinct(list(question.evidences))
        else:
            found: list[str] = []
            for text, start in question.answers:
                position = locate_answer(context, text, start)
                if position is None:
                    continue
                # Trim the span to the stripped answer so that stray spaces never pull in a
                # neighbouring sentence.
                left = position + (len(text) - len(text.lstrip()))
                right = position + len(text.rstrip())
                sentence = _evidence_for(context, spans, left, max(right, left + 1))
                if sentence is not None:
                    found.append(sentence)
            # Document order, each sentence once.
            evidence = tuple(sorted(_distinct(found), key=context.find))
    return GoldItem(
        id=question.id,
        question=question_text,
        answers=answers,
        evidence=evidence,
        answerable=bool(answers),
        article=question.paragraph_id,
        tags=(detect_script(question_text), name),
    )


def load_squad_benchmark(
    path: str | Path, name: str | None = None, questions_path: str | Path | None = None
) -> Benchmark:
    """Load a SQuAD-style JSON file as a Benchmark (paragraphs as documents, questions as items).

    With `questions_path`, the question texts come from that file instead (a translation with the
    same question ids in the same paragraph order, checked), while documents, answers and evidence
    come from `path`: this is how a cross-lingual set is built.
    """
    path = Path(path)
    name = name or path.stem
    documents, questions = read_squad(path)
    texts = {question.id: question.question for question in questions}
    if questions_path is not None:
        questions_path = Path(questions_path)
        other_documents, other_questions = read_squad(questions_path)
        _check_aligned(path, questions, len(documents), questions_path, other_questions,
                       len(other_documents))
        texts = {question.id: question.question for question in other_questions}
    contexts = {document.id: document.text for document in documents}
    spans = {document.id: _sentence_spans(document.text) for document in documents}
    items = tuple(
        _gold_item(
            question, texts[question.id], contexts[question.paragraph_id], name,
            spans[question.paragraph_id],
        )
        for question in questions
    )
    return Benchmark(name=name, documents=tuple(documents), items=items)


def _check_aligned(
    path: Path, questions: list[SquadQuestion], n_paragraphs: int,
    other_path: Path, other: list[SquadQuestion], other_paragraphs: int,
) -> None:
    """Raise InputError unless both files hold the same question ids in the same paragraphs."""
    if n_paragraphs != other_paragraphs:
        raise InputError(
            f"{other_path} has {other_paragraphs} paragraphs but {path} has {n_paragraphs}: "
            "the files are not translations of each other"
        )
    # Paragraph ids may differ between translations, so compare (position, question id) pairs.
    ours = [(q.paragraph_index, q.id) for q in questions]
    theirs = [(q.paragraph_index, q.id) for q in other]
    if ours != theirs:
        for index, (mine, yours) in enumerate(zip(ours, theirs, strict=False)):
            if mine != yours:
                raise InputError(
                    f"question {index + 1} differs: {path} has {mine[1]!r} in paragraph "
                    f"{mine[0] + 1}, {other_path} has {yours[1]!r} in paragraph {yours[0] + 1}"
                )
        raise InputError(
            f"{path} has {len(ours)} questions but {other_path} has {len(theirs)}"
        )


def load_xquad_crosslingual(zh_path: str | Path, en_path: str | Path) -> Benchmark:
    """XQuAD English questions over the Chinese paragraphs (answers and gold from the Chinese)."""
    return load_squad_benchmark(zh_path, name="xquad-en-zh", questions_path=en_path)


def _file_loader(relative: str, name: str) -> Callable[[Path], Benchmark]:
    """A registry loader reading `root / relative` under the short name `name`."""

    def load(root: Path) -> Benchmark:
        return load_squad_benchmark(Path(root) / relative, name=name)

    load.__doc__ = f"Load {name} from ROOT/{relative}."
    return load


def _load_xquad_en_zh(root: Path) -> Benchmark:
    """Load xquad-en-zh from ROOT/xquad (English questions, Chinese paragraphs)."""
    root = Path(root)
    return load_xquad_crosslingual(root / "xquad" / "xquad.zh.json", root / "xquad" / "xquad.en.json")


BENCHMARKS: dict[str, Callable[[Path], Benchmark]] = {
    "drcd-dev": _file_loader("drcd/DRCD_dev.json", "drcd-dev"),
    "drcd-test": _file_loader("drcd/DRCD_test.json", "drcd-test"),
    "cmrc2018-dev": _file_loader("cmrc2018/cmrc2018_dev.json", "cmrc2018-dev"),
    "expmrc-cmrc2018-dev": _file_loader("expmrc/expmrc-cmrc2018-dev.json", "expmrc-cmrc2018-dev"),
    "expmrc-squad-dev": _file_loader("expmrc/expmrc-squad-dev.json", "expmrc-squad-dev"),
    "xquad-zh": _file_loader("xquad/xquad.zh.json", "xquad-zh"),
    "xquad-en-zh": _load_xquad_en_zh,
}


def load_benchmark(name_or_path: str | Path, root: str | Path = DEFAULT_ROOT) -> Benchmark:
    """Load a benchmark by registry name (files under `root`) or from a SQuAD JSON file path.

    Raises InputError listing the valid names when the name is unknown or a file is missing.
    """
    valid = ", ".join(BENCHMARKS)
    key = str(name_or_path)
    if key in BENCHMARKS:
        root = Path(root)
        if not root.is_dir():
            raise InputError(
                f"benchmark folder not found: {root} (needed for '{key}'); "
                "pass the folder that holds drcd/, cmrc2018/, expmrc/ and xquad/"
            )
        return BENCHMARKS[key](root)
    path = Path(name_or_path)
    if path.is_file():
        return load_squad_benchmark(path)
    raise InputError(
        f"unknown benchmark '{key}': not a registry name and no such file; valid names: {valid}"
    )
