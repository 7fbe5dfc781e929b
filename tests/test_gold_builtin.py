"""The hand-made gold set for the built-in corpus: format, size, split and verbatim evidence.

Fast (no model). Evidence is checked twice: against the raw page re-joined by a small generic rule
(always), and against the articles the real cleaner produces (when `index.clean` is importable).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path

import pytest

from eval.gold import GoldItem, load_gold

ROOT = Path(__file__).resolve().parents[1]
GOLD_DIR = ROOT / "eval" / "gold"
DEV = GOLD_DIR / "builtin-dev.jsonl"
TEST = GOLD_DIR / "builtin-test.jsonl"
CORPUS = ROOT / "index" / "data" / "qingdao-evening-news-page.txt"

LANG_TAGS = ("hant", "hans", "en")
SENTENCE_END = "。！？!?；;…"
CLOSERS = "”」』）)\"'"


def squash(text: str) -> str:
    """Text with all whitespace removed: the layout damage is all line breaks and blank lines."""
    return re.sub(r"\s+", "", text)


@cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def simplified_key(text: str) -> str:
    """NFKC, Simplified, whitespace removed: so `26亿元` matches evidence reading `26億元`."""
    return squash(_t2s().convert(unicodedata.normalize("NFKC", text)))


@cache
def splits() -> dict[str, list[GoldItem]]:
    return {"dev": load_gold(DEV), "test": load_gold(TEST)}


def all_items() -> list[GoldItem]:
    return [item for items in splits().values() for item in items]


def _ends_sentence(line: str) -> bool:
    return line.rstrip(CLOSERS)[-1:] in SENTENCE_END if line else False


def rejoined_page(raw: str) -> str:
    """The page with whitespace removed and mid-sentence figure captions lifted out.

    A caption is a short line ending in 。 that sits between a long body line cut off mid-sentence
    (no end punctuation) and a following line that carries the sentence on. Headings are short, so
    a heading followed by its paragraph is never taken for a cut body line.
    """
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    kept = []
    for i, line in enumerate(lines):
        prev = lines[i - 1] if i > 0 else ""
        is_caption = (
            0 < i < len(lines) - 1
            and len(line) <= 30
            and line.endswith("。")
            and len(prev) >= 40
            and not _ends_sentence(prev)
        )
        if not is_caption:
            kept.append(line)
    return squash("".join(kept))


def article_spans(page: str, titles: set[str]) -> dict[str, str]:
    """Each titled article's part of the squashed page: from its title up to the next title."""
    found = sorted((page.find(squash(t)), t) for t in titles)
    assert all(pos >= 0 for pos, _ in found), f"title not on the page: {found}"
    spans = {}
    for k, (pos, title) in enumerate(found):
        end = found[k + 1][0] if k + 1 < len(found) else len(page)
        spans[title] = page[pos:end]
    return spans


# --- format, size and split ------------------------------------------------------------------


def test_lines_are_json_objects_with_known_typed_fields():
    for path in (DEV, TEST):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            record = json.loads(line)
            where = f"{path.name}:{number}"
            assert isinstance(record, dict), where
            assert isinstance(record["id"], str) and record["id"].strip(), where
            assert isinstance(record["question"], str) and record["question"].strip(), where
            assert isinstance(record["answerable"], bool), where
            assert all(isinstance(a, str) and a.strip() for a in record["answers"]), where
            assert all(isinstance(e, str) and e.strip() for e in record["evidence"]), where
            assert all(isinstance(t, str) and t.strip() for t in record["tags"]), where
            if "article" in record:
                assert isinstance(record["article"], str) and record["article"].strip(), where
            if "conversation" in record or "turn" in record:
                assert isinstance(record["conversation"], str), where
                assert isinstance(record["turn"], int) and record["turn"] >= 1, where
    assert len(all_items()) > 0


def test_ids_unique_across_both_files():
    ids = Counter(item.id for item in all_items())
    assert not [i for i, n in ids.items() if n > 1]


def test_size_and_split_share():
    total = len(all_items())
    assert total >= 80
    share = len(splits()["test"]) / total
    assert 0.20 <= share <= 0.30, f"test split holds {share:.0%} of the items"


def test_answerability_is_consistent():
    unanswerable = [item for item in all_items() if not item.answerable]
    assert len(unanswerable) >= 15
    assert any(not item.answerable for item in splits()["test"])
    for item in all_items():
        if item.answerable:
            assert item.answers and item.evidence, item.id
            assert "unanswerable" not in item.tags, item.id
        else:
            assert not item.answers and not item.evidence, item.id
            assert "unanswerable" in item.tags, item.id


def test_language_tags_and_coverage():
    for item in all_items():
        langs = [t for t in item.tags if t in LANG_TAGS]
        assert len(langs) == 1, f"{item.id}: needs exactly one of {LANG_TAGS}"
        if langs[0] == "hans":
            assert _t2s().convert(item.question) == item.question, f"{item.id}: not Simplified"
        if langs[0] == "en":
            assert re.search(r"[A-Za-z]{3,}", item.question), item.id
    tags = Counter(t for item in all_items() for t in item.tags)
    assert tags["hans"] >= 15
    assert tags["en"] >= 15
    assert tags["paraphrase"] >= 10
    for kind in ("number", "money", "percent", "date", "person", "place", "org", "list", "quote"):
        assert tags[kind] > 0, kind


def test_hans_items_accept_the_simplified_answer():
    for item in all_items():
        if item.answerable and "hans" in item.tags:
            forms = set(item.answers)
            assert all(_t2s().convert(a) in forms for a in item.answers), item.id


def test_conversations_are_whole_and_in_one_split():
    turns: dict[str, list[int]] = defaultdict(list)
    split_of: dict[str, set[str]] = defaultdict(set)
    for name, items in splits().items():
        for item in items:
            if item.conversation is not None:
                turns[item.conversation].append(item.turn)
                split_of[item.conversation].add(name)
                assert "follow-up" in item.tags, item.id
    assert len(turns) >= 5
    for conv, numbers in turns.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), conv
        assert len(split_of[conv]) == 1, f"{conv} is split across files"
    by_turn = {(item.conversation, item.turn): item for item in all_items() if item.conversation}
    tod = [item for item in all_items() if item.question == "閻家山TOD項目總投資多少？"]
    assert len(tod) == 1 and tod[0].turn == 1 and "26億元" in tod[0].answers
    second = by_turn[(tod[0].conversation, 2)]
    assert second.question == "那青科大TOD呢？" and "3.5億元" in second.answers


# --- answers and evidence --------------------------------------------------------------------


def test_answers_occur_in_their_evidence():
    for item in all_items():
        if not item.answerable:
            continue
        evidence = squash("".join(item.evidence))
        assert squash(item.answers[0]) in evidence, f"{item.id}: first answer not in evidence"
        if "hant" in item.tags:
            key = simplified_key("".join(item.evidence))
            for answer in item.answers:
                assert simplified_key(answer) in key, f"{item.id}: {answer!r} not in evidence"


def test_evidence_is_verbatim_in_the_rejoined_page():
    raw = CORPUS.read_text(encoding="utf-8")
    page = rejoined_page(raw)
    titles = {item.article for item in all_items() if item.article}
    spans = article_spans(page, titles)
    missing = []
    for item in all_items():
        where = spans[item.article] if item.article else page
        missing += [(item.id, e) for e in item.evidence if squash(e) not in where]
    assert not missing


def test_evidence_is_verbatim_in_the_cleaned_articles():
    clean = pytest.importorskip("index.clean")
    raw = CORPUS.read_text(encoding="utf-8")
    parsed = clean.parse_document(raw, "txt", CORPUS.stem)
    articles = {squash(a.title): squash(a.text) for a in parsed}
    everything = "\n".join(articles.values())
    missing = []
    for item in all_items():
        if item.article is not None:
            assert squash(item.article) in articles, f"{item.id}: no article {item.article!r}"
            where = articles[squash(item.article)]
        else:
            where = everything
        missing += [(item.id, e) for e in item.evidence if squash(e) not in where]
    assert not missing
