"""Tune the answerer on dev splits: sentence choice and the abstention rule.

Collects, per question, the best candidate's support signals and whether the cited sentence holds a
gold answer, on the built-in dev gold set (which has unanswerable questions) and a DRCD dev sample
(all answerable), then sweeps the abstention weights and threshold. Dev splits only.
Usage: python bench/tune_answer.py [--drcd-limit 600]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

from eval.benchmarks import load_benchmark
from eval.gold import load_gold
from eval.metrics import contains_answer
from eval.run import benchmark_corpus
from index import Settings
from qa import ArticleQA
from qa.followup import Turn, resolve_followup


def collect(engine: ArticleQA, items, label: str) -> list[dict]:
    """Per-question signals and correctness, following conversations like a user would."""
    rows = []
    history: dict[str, list[Turn]] = {}
    for item in items:
        turns = history.setdefault(item.conversation, []) if item.conversation else []
        query = resolve_followup(item.question, turns).query
        snapshot = engine.library.snapshot
        scores = engine.retriever.score(query, snapshot=snapshot)
        hits = engine.retriever.rank(scores, engine.settings.answer_passages, snapshot)
        candidates = engine.answerer.candidates(query, hits, scores, snapshot)
        best = candidates[0]
        support = engine.answerer.support(query, best, scores)
        correct = bool(item.answerable and contains_answer(best.sentence.text, list(item.answers)))
        if item.conversation:
            turns.append(Turn(item.question, None, query))
        rows.append({"set": label, "id": item.id, "answerable": item.answerable, "correct": correct,
                     "dense": support.dense, "coverage": support.coverage, "short": support.short_score,
                     "unknown": support.unknown,
                     "same_script": support.same_script, "tags": list(item.tags)})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmarks", type=Path, default=Path("../shared/benchmarks"))
    parser.add_argument("--drcd-limit", type=int, default=600)
    parser.add_argument("--out", type=Path, default=Path("/tmp/tune_answer.jsonl"))
    args = parser.parse_args(argv)
    settings = Settings()
    builtin = ArticleQA(settings)
    rows = collect(builtin, load_gold(Path("eval/gold/builtin-dev.jsonl")), "builtin-dev")
    bench = load_benchmark("drcd-dev", root=args.benchmarks)
    library = benchmark_corpus(bench, settings, builtin.library.embedder, sys.stderr.isatty()).library
    drcd = ArticleQA(library.settings, library=library)
    rows += collect(drcd, bench.items[: args.drcd_limit], "drcd-dev")
    args.out.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")

    def rates(rows, cw, uw, off, th):
        out = {}
        for name in ("builtin-dev", "drcd-dev"):
            sel = [r for r in rows if r["set"] == name]
            conf = np.array([r["dense"] + off if not r["same_script"] else
                             r["dense"] + cw * r["coverage"] - uw * r["unknown"] for r in sel])
            abst = conf < th
            ans = np.array([r["answerable"] for r in sel])
            out[name] = {
                "abstain_recall": float(abst[~ans].mean()) if (~ans).any() else None,
                "false_abstention": float(abst[ans].mean()),
                "cited_correct": float(np.mean([r["correct"] and not a
                                                for r, a in zip(sel, abst, strict=True)
                                                if r["answerable"]])),
            }
        return out

    grid = []
    for cw, uw, off in itertools.product([0.0, 0.1, 0.2, 0.3, 0.5], [0.0, 0.1, 0.2, 0.4],
                                         [0.0, 0.05, 0.1]):
        for th in np.arange(0.70, 1.10, 0.005):
            r = rates(rows, cw, uw, off, th)
            b, d = r["builtin-dev"], r["drcd-dev"]
            if b["false_abstention"] <= 0.05 and d["false_abstention"] <= 0.05:
                grid.append((b["abstain_recall"], -d["false_abstention"], cw, uw, off,
                             round(float(th), 3), r))
    grid.sort(key=lambda g: (g[0], g[1]), reverse=True)
    for g in grid[:8]:
        print(json.dumps({"coverage_weight": g[2], "unknown_weight": g[3], "cross_offset": g[4],
                          "threshold": g[5], **g[6]}))
    base = rates(rows, 0.0, 0.0, 0.0, -1)
    print("no abstention:", json.dumps(base))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
