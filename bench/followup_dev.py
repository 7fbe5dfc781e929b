"""Follow-up resolution on the dev gold conversations: raw and resolved question of every turn.

A follow-up counts as helped when its resolved query holds a key term of the gold evidence that the
raw question lacks (key terms: jieba words of two or more characters, without digits). Turns whose
evidence has no such term missing from the raw question cannot gain and are left out of the rate.
Usage: python bench/followup_dev.py [--gold eval/gold/builtin-dev.jsonl]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from eval.gold import GoldItem, conversation_history, load_gold
from index.text import search_key, tokenize
from qa.followup import Turn, resolve_followup

_STOP = frozenset({"已经", "以及", "其中", "目前", "我们", "他们", "这些", "这个", "并且", "通过", "进行"})


def key_terms(text: str) -> set[str]:
    """Content words of a text: jieba words of 2+ characters without digits, minus a few fillers."""
    return {t for t in tokenize(text) if len(t) >= 2 and not any(c.isdigit() for c in t) and t not in _STOP}


def evaluate(items: list[GoldItem]) -> tuple[list[dict], int, int]:
    """Resolve every turn >= 2 in order; rows, helped count and count of turns that could gain."""
    rows: list[dict] = []
    resolved: dict[str, str] = {}
    helped = gainable = 0
    for item in sorted((i for i in items if i.conversation), key=lambda i: (i.conversation, i.turn)):
        earlier = conversation_history(items, item)
        history = [Turn(e.question, resolved=resolved.get(e.id)) for e in earlier]
        res = resolve_followup(item.question, history)
        resolved[item.id] = res.query
        row = {"id": item.id, "conversation": item.conversation, "turn": item.turn,
               "raw": item.question, "query": res.query, "reason": res.reason, "gain": None}
        if item.turn and item.turn >= 2 and item.evidence:
            terms = set().union(*(key_terms(e) for e in item.evidence))
            raw_key, query_key = search_key(item.question), search_key(res.query)
            missing = {t for t in terms if t not in raw_key}
            if missing:
                gainable += 1
                gain = sorted(t for t in missing if t in query_key)
                helped += bool(gain)
                row["gain"] = gain
        rows.append(row)
    return rows, helped, gainable


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=Path("eval/gold/builtin-dev.jsonl"))
    args = parser.parse_args(argv)
    rows, helped, gainable = evaluate(load_gold(args.gold))
    for row in rows:
        if row["turn"] == 1:
            print(f"\n== {row['conversation']}")
        mark = ""
        if row["gain"] is not None:
            mark = "  + " + ", ".join(row["gain"]) if row["gain"] else "  (no gain)"
        print(f"  {row['turn']}. {row['raw']}")
        if row["query"] != row["raw"]:
            print(f"     -> {row['query']}   [{row['reason']}]{mark}")
        elif mark:
            print(f"     (unchanged){mark}")
    rate = helped / gainable if gainable else 0.0
    print(f"\nfollow-ups helped: {helped}/{gainable} = {rate:.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
