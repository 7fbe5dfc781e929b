"""Per-kind scores: each kind of request (`qa.kinds`) is judged by what its answer shape promises.

- descriptive: a cited sentence holds the gold evidence (any one string), and no short span is shown;
- summary: all citations from the named article(s) (those holding the gold key sentences), at least
  3 of them, precision against the gold key sentences, their recall, and coverage of the named
  articles (share with at least one citation);
- comparison: every part's figure (`answers`) is in a cited sentence, and the comparison is right
  (the short answer names a `conclusion` when the question asks for one);
- smalltalk: never a citation, and the reply (its first line) is in the question's language;
- factoid: `right` = the answer holds a gold answer (or abstains when there is none), the rest in
  the answer metrics of `eval.run`.

Pure functions over the answer's JSON form; `kind_metrics` averages them per gold kind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from index.text import detect_script

from .gold import KINDS, GoldItem
from .metrics import contains_answer, mean_metric, normalize_answer

#: Which scores each kind reports (all in [0, 1], higher is better; the first is its headline).
KIND_SCORES: dict[str, tuple[str, ...]] = {
    "descriptive": ("evidence_cited", "no_short_span", "cited_count"),
    "summary": ("all_from_named", "at_least_3", "key_precision", "key_recall", "article_coverage",
                "cited_count"),
    "comparison": ("parts_cited", "comparison_right", "cited_count"),
    "smalltalk": ("no_citation", "reply_language"),
    "factoid": ("right",),
}


def holds(container: str, part: str) -> bool:
    """Whether `container` holds `part` on normalized keys (script, punctuation, spaces folded)."""
    a, b = normalize_answer(container), normalize_answer(part)
    return bool(a and b and b in a)


def named_articles(evidence: Sequence[str], articles: Mapping[str, str]) -> set[str]:
    """The ids of the articles (id -> text) whose text holds some evidence string."""
    return {article_id for article_id, text in articles.items()
            if any(holds(text, e) for e in evidence)}


def kind_scores(item: GoldItem, answer: Mapping[str, Any],
                articles: Mapping[str, str]) -> dict[str, Any]:
    """The scores of one answer (`Answer.as_dict()` form) for its gold kind."""
    cited = [c["text"] for c in answer["citations"]]
    scores: dict[str, Any] = {"recognised": answer.get("kind", "factoid") == item.kind,
                              "cited_count": float(len(cited))}
    if item.kind == "descriptive":
        scores["evidence_cited"] = any(holds(c, e) for c in cited for e in item.evidence)
        scores["no_short_span"] = not answer.get("short_answer")
    elif item.kind == "summary":
        named = named_articles(item.evidence, articles)
        from_ids = [c["article_id"] for c in answer["citations"]]
        scores["all_from_named"] = bool(from_ids) and all(a in named for a in from_ids)
        scores["at_least_3"] = len(cited) >= 3
        good = [c for c in cited if any(holds(c, k) or holds(k, c) for k in item.evidence)]
        scores["key_precision"] = len(good) / len(cited) if cited else 0.0
        scores["key_recall"] = (sum(1 for k in item.evidence if any(holds(c, k) for c in cited))
                                / len(item.evidence))
        scores["article_coverage"] = (len(named & set(from_ids)) / len(named)) if named else None
    elif item.kind == "comparison":
        scores["parts_cited"] = all(any(contains_answer(c, [figure]) for c in cited)
                                    for figure in item.answers)
        short = answer.get("short_answer") or ""
        right = contains_answer(short, list(item.conclusion)) if item.conclusion else True
        scores["comparison_right"] = bool(scores["parts_cited"] and right)
    elif item.kind == "smalltalk":
        scores["no_citation"] = not cited
        first_line = answer["answer"].strip().splitlines()[0] if answer["answer"].strip() else ""
        scores["reply_language"] = bool(first_line) and detect_script(first_line) == detect_script(
            item.question)
    else:  # a factoid: the answer holds a gold answer, or, when there is none, it abstains
        scores["right"] = (contains_answer(answer["answer"], list(item.answers)) and not
                           answer.get("abstained") if item.answerable else bool(answer.get("abstained")))
    return scores


def kind_metrics(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per gold kind: how many, how often the kind was recognised, and the mean of each score."""
    out: dict[str, Any] = {}
    for kind in KINDS:
        rows = [r["kind_scores"] for r in records if r.get("kind", "factoid") == kind]
        if not rows:
            continue
        entry: dict[str, Any] = {"n": len(rows),
                                 "recognised": mean_metric(float(r["recognised"]) for r in rows)}
        for name in KIND_SCORES[kind]:
            entry[name] = mean_metric(None if r.get(name) is None else float(r[name]) for r in rows)
        out[kind] = entry
    return out
