"""Key-sentence choice for summaries: centrality (LexRank) against the lead-sentences baseline.

For every article that the gold summary questions name, each method picks k key sentences
(qa.summarize.key_sentences, k = 3, 4, 5) and is scored against the gold key sentences written
for that article (the `evidence` of the summary questions): precision (picked sentences that are
key) and recall (key sentences picked). The gold key sentences come from the dev split only
unless `--gold` says otherwise.

    python bench/summary_bench.py [--gold eval/gold/builtin-kinds-dev.jsonl] [--out docs/bench/summary.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval.gold import load_gold  # noqa: E402
from eval.kinds import holds  # noqa: E402
from index import Library, Settings  # noqa: E402
from qa.summarize import candidates, key_sentences  # noqa: E402

#: (label, method, damping): the configurations compared.
METHODS = (("lead", "lead", 0.85), ("lexrank", "lexrank", 0.85),
           ("lexrank-position d=0.85", "lexrank-position", 0.85),
           ("lexrank-position d=0.5", "lexrank-position", 0.5),
           ("lexrank-position d=0.95", "lexrank-position", 0.95))
KS = (3, 4, 5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=ROOT / "eval" / "gold" / "builtin-kinds-dev.jsonl")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench" / "summary.json")
    args = parser.parse_args()
    settings = Settings()
    snapshot = Library(settings).snapshot
    keys: dict[str, set[int]] = {}
    for item in load_gold(args.gold):
        if item.kind != "summary":
            continue
        for article in snapshot.articles.values():
            for i in candidates(article):
                if any(holds(article.sentences[i].text, e) for e in item.evidence):
                    keys.setdefault(article.id, set()).add(i)
    results: dict[str, dict[str, float]] = {}
    for label, method, damping in METHODS:
        row: dict[str, float] = {}
        for k in KS:
            precision = recall = 0.0
            for article_id, gold in keys.items():
                picked = key_sentences(snapshot.articles[article_id], snapshot, k, method, damping)
                hits = len(set(picked) & gold)
                precision += hits / len(picked)
                recall += hits / len(gold)
                row[f"{snapshot.articles[article_id].title[:8]} precision@{k}"] = round(
                    hits / len(picked), 3)
            row[f"precision@{k}"] = round(precision / len(keys), 3)
            row[f"recall@{k}"] = round(recall / len(keys), 3)
        results[label] = row
        print(f"{label:24s} " + "  ".join(f"{n} {v:.2f}" for n, v in row.items()))
    out = {"gold": str(args.gold.relative_to(ROOT)), "articles": len(keys),
           "key_sentences": {snapshot.articles[a].title: sorted(g) for a, g in keys.items()},
           "candidates": {snapshot.articles[a].title: len(candidates(snapshot.articles[a]))
                          for a in keys},
           "results": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
