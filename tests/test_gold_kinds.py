"""The gold questions for the kinds of request (descriptive, summary, comparison, small talk) on the
built-in corpus: sizes, split, languages, and evidence verbatim in the cleaned articles. No model."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from eval.gold import GoldFormatError, GoldItem, load_gold

ROOT = Path(__file__).resolve().parents[1]
GOLD_DIR = ROOT / "eval" / "gold"
DEV = GOLD_DIR / "builtin-kinds-dev.jsonl"
TEST = GOLD_DIR / "builtin-kinds-test.jsonl"
CORPUS = ROOT / "index" / "data" / "qingdao-evening-news-page.txt"
#: At least this many questions of each kind, both splits together (issue 15).
MINIMUM = {"descriptive": 15, "summary": 8, "comparison": 8, "smalltalk": 8}


@cache
def splits() -> dict[str, list[GoldItem]]:
    return {"dev": load_gold(DEV), "test": load_gold(TEST)}


def all_items() -> list[GoldItem]:
    return [item for items in splits().values() for item in items]


@cache
def cleaned_articles() -> dict[str, str]:
    """Title -> text of the built-in page's articles, as the real cleaner makes them."""
    from index.clean import parse_document

    parsed = parse_document(CORPUS.read_text(encoding="utf-8"), "txt", CORPUS.stem)
    return {a.title: a.text for a in parsed}


def test_each_kind_has_enough_questions_in_both_splits() -> None:
    counts = Counter(item.kind for item in all_items())
    for kind, minimum in MINIMUM.items():
        assert counts[kind] >= minimum, kind
        for name, items in splits().items():
            assert any(item.kind == kind for item in items), f"{kind} missing from {name}"
    assert set(counts) == set(MINIMUM)
    share = len(splits()["test"]) / len(all_items())
    assert 0.25 <= share <= 0.45, f"test split holds {share:.0%}"


def test_ids_are_unique_and_apart_from_the_factoid_set() -> None:
    ids = Counter(item.id for item in all_items())
    assert not [i for i, n in ids.items() if n > 1]
    factoid = {item.id for name in ("builtin-dev.jsonl", "builtin-test.jsonl")
               for item in load_gold(GOLD_DIR / name)}
    assert not factoid & set(ids)


def test_questions_are_in_the_language_their_tag_says() -> None:
    from index.text import detect_script

    langs = Counter()
    for item in all_items():
        tags = [t for t in item.tags if t in ("hant", "hans", "en")]
        assert len(tags) == 1, item.id
        assert detect_script(item.question) == tags[0] or (tags[0] == "hant" and not re.search(
            r"[A-Za-z]", item.question)), item.id
        langs[tags[0]] += 1
    assert langs["hans"] >= 8 and langs["en"] >= 8 and langs["hant"] >= 15


def test_evidence_is_verbatim_in_the_cleaned_articles() -> None:
    articles = cleaned_articles()
    everything = "\n".join(articles.values())
    missing = []
    for item in all_items():
        where = articles[item.article] if item.article else everything
        missing += [(item.id, e) for e in item.evidence if e not in where]
    assert not missing


def test_each_kind_carries_what_its_score_needs() -> None:
    articles = cleaned_articles()
    for item in all_items():
        if item.kind == "smalltalk":
            assert not item.answerable and not item.answers and not item.evidence, item.id
        elif item.kind == "summary":
            assert len(item.evidence) >= 5, item.id  # the article's gold key sentences
            if item.article:
                assert all(e in articles[item.article] for e in item.evidence), item.id
        elif item.kind == "comparison":
            assert len(item.answers) >= 2, item.id  # every part's figure
            cited = "".join(item.evidence)
            assert all(a in cited for a in item.answers), item.id
        else:
            assert item.kind == "descriptive" and item.evidence, item.id


def test_the_loader_checks_kind_fields(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "question": "q", "answerable": true, "kind": "poem", '
                   '"answers": ["a"], "evidence": ["a"]}\n', encoding="utf-8")
    with pytest.raises(GoldFormatError, match=r"bad.jsonl:1: field 'kind'"):
        load_gold(bad)
    bad.write_text('{"id": "x", "question": "你好", "answerable": true, "kind": "smalltalk"}\n',
                   encoding="utf-8")
    with pytest.raises(GoldFormatError, match="smalltalk"):
        load_gold(bad)
    bad.write_text('{"id": "x", "question": "q", "answerable": true, "answers": ["a"], '
                   '"evidence": ["a"], "conclusion": ["A"]}\n', encoding="utf-8")
    with pytest.raises(GoldFormatError, match="conclusion"):
        load_gold(bad)
