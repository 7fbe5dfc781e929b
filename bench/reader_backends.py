"""Compare the ways to run the shipped reader on reader-dev (dev data only): quality and speed.

- `torch-fp32`: the torch model training evaluates with (padded batches of 32 windows, fp32);
- `onnx-int8`: what answers run (`qa.reader_runtime.Reader`: the int8 ONNX file, each window on its
  own core, several side by side).

Per backend: reader-dev F1 / EM and the AUC of the margin between "answer here" and "answer hidden"
(`train.reader.evaluate`: each question over its answer contexts and ~7.5 no-answer ones), and the
time to read a question's best four contexts, as an answer does (p50 / p95 over the first
`--timed` questions). Usage: python bench/reader_backends.py [--timed 200] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.embed_backends import cpu_description  # noqa: E402 - after the path is set
from index import Settings  # noqa: E402
from index.embed import resolve_model_path  # noqa: E402
from qa.reader import Forward  # noqa: E402
from qa.reader_onnx import load_torch_reader  # noqa: E402
from qa.reader_runtime import WEIGHTS_NAME, Reader, reader_dir  # noqa: E402
from train.data import ReaderExample, read_examples, write_examples  # noqa: E402
from train.reader import evaluate, torch_forward  # noqa: E402


def timed(forward: Forward, reader: Reader, examples: list[ReaderExample]) -> dict[str, float]:
    """Milliseconds to read the first four contexts of each question (p50 / p95)."""
    from qa.reader import read_spans

    times = []
    for example in examples:
        contexts = ([c.text for c in example.positives] + [c.text for c in example.negatives])[:4]
        started = time.perf_counter()
        read_spans(forward, reader.tokenizer, example.question, contexts, reader.config)
        times.append((time.perf_counter() - started) * 1000)
    return {"read4_p50_ms": round(float(np.percentile(times, 50)), 1),
            "read4_p95_ms": round(float(np.percentile(times, 95)), 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("artifacts/reader-data"),
                        help="reader-train/dev examples (built from the train pool when missing)")
    parser.add_argument("--timed", type=int, default=200, help="questions timed per backend")
    parser.add_argument("--out", type=Path, default=Path("docs/bench/reader-backends.json"))
    args = parser.parse_args(argv)

    if not (args.data / "dev.jsonl").exists():
        write_examples(args.data)
    dev = read_examples(args.data / "dev.jsonl")
    settings = Settings()
    reader = Reader(settings)  # builds the int8 file when missing
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    base = Path(resolve_model_path(settings.with_(model=settings.reader_base_model)))
    model = load_torch_reader(reader_dir(settings) / WEIGHTS_NAME, base)
    backends: dict[str, Forward] = {
        "torch-fp32": torch_forward(model, reader.tokenizer.pad_token_id, bf16=False),
        "onnx-int8": reader.forward,
    }
    results: dict[str, dict[str, float]] = {}
    for name, forward in backends.items():
        started = time.perf_counter()
        figures = evaluate(forward, reader.tokenizer, dev, reader.config)
        figures["eval_seconds"] = round(time.perf_counter() - started, 1)
        figures.update(timed(forward, reader, dev[: args.timed]))
        results[name] = figures
        print(name, json.dumps(figures), file=sys.stderr, flush=True)
    report = {
        "what": "the shipped reader on reader-dev (641 questions, dev side of the train pool), run two ways",
        "command": "python bench/reader_backends.py",
        "cpu": cpu_description(), "cores": os.cpu_count(),
        "reader_sha256": reader.fingerprint.sha256,
        "backends": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
