"""How far the reader's tokens limit its spans, on reader-dev (dev data only).

The reader answers with whole tokens, and e5's tokenizer (XLM-R's sentencepiece) joins Chinese
characters across word boundaries (`在中国`, `市场的`, `年开始`), so an answer such as `中国市场`
cannot be given without `在` or `的`. This measures:

- `aligned`: the share of reader-dev answers (each question's first answer context) whose first
  and last characters fall on token boundaries: the most exact matches the tokens allow;
- `tokens`: context tokens per question, which the reading time follows;
- with `--read N`: the shipped weights' reader-dev F1 / EM / AUC (`train.reader.evaluate`) over the
  first N questions, as shipped and with every Han character its own token (untrained for it).

Both tokenizations are measured; `han-per-token` is a probe, not what answers run.
Usage: python bench/reader_tokens.py [--read 200] [--out FILE]
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from index import Settings  # noqa: E402
from qa.reader import reading_text  # noqa: E402
from qa.reader_runtime import Reader  # noqa: E402
from train.data import ReaderExample, read_examples, write_examples  # noqa: E402
from train.reader import evaluate  # noqa: E402

HAN = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"


def han_per_token(tokenizer: Any) -> Any:
    """A copy of the tokenizer that splits every Han character into a token of its own (after
    the usual whitespace split and `▁` marks, so word starts are marked as before)."""
    from tokenizers import Regex, pre_tokenizers

    split = copy.deepcopy(tokenizer)
    split.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [tokenizer.backend_tokenizer.pre_tokenizer,
         pre_tokenizers.Split(Regex(HAN), behavior="isolated")])
    return split


def boundaries(tokenizer: Any, examples: list[ReaderExample]) -> dict[str, float]:
    """Share of answers on token boundaries, and context tokens per question."""
    aligned = tokens = 0
    for example in examples:
        context = example.positives[0]
        spans = tokenizer(reading_text(context.text), add_special_tokens=False,
                          return_offsets_mapping=True)["offset_mapping"]
        tokens += len(spans)
        aligned += (context.start in {a for a, _ in spans} and context.end in {b for _, b in spans})
    return {"aligned": aligned / len(examples), "tokens_per_context": tokens / len(examples)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("artifacts/reader-data"),
                        help="training data folder (built from the train pool when missing)")
    parser.add_argument("--read", type=int, default=0,
                        help="also read the first N reader-dev questions with each tokenization")
    parser.add_argument("--out", type=Path, default=Path("docs/bench/reader-tokens.json"))
    args = parser.parse_args(argv)
    if not (args.data / "dev.jsonl").exists():
        write_examples(args.data)
    dev = read_examples(args.data / "dev.jsonl")
    reader = Reader(Settings())
    result: dict[str, Any] = {"questions": len(dev)}
    for name, tokenizer in (("shipped", reader.tokenizer),
                            ("han-per-token", han_per_token(reader.tokenizer))):
        row: dict[str, Any] = boundaries(tokenizer, dev)
        if args.read:
            started = time.perf_counter()
            row["read"] = evaluate(reader.forward, tokenizer, dev[: args.read], reader.config)
            row["read"]["seconds"] = round(time.perf_counter() - started, 1)
        result[name] = row
        print(name, json.dumps(row))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
