"""Compare the ways to run the shipped reader on reader-dev (dev data only): quality and speed.

- `torch-fp32`: the torch model training evaluates with (padded batches of 32 windows, fp32);
- `onnx-fp32`: what answers run (`qa.reader_runtime.Reader`: the fused fp32 ONNX file, each window
  alone on one core, two side by side);
- `onnx-int8`: the same file dynamically quantized (int8 weights), run the same way; built here
  into a temporary folder, for the record (not shipped: see `qa.reader_onnx`).

Per backend: reader-dev F1 / EM and the AUC of the margin between "answer here" and "answer hidden"
(`train.reader.evaluate`: each question over its answer contexts and ~7.5 no-answer ones), and the
time to read a question's best four contexts, as an answer does (p50 / p95 over the first
`--timed` questions). Usage: python bench/reader_backends.py [--timed 200] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.embed_backends import cpu_description  # noqa: E402 - after the path is set
from index import Settings  # noqa: E402
from index.embed import resolve_model_path  # noqa: E402
from qa.reader import Forward  # noqa: E402
from qa.reader_onnx import export_reader, load_torch_reader  # noqa: E402
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


def int8_forward(model: Any, reader: Reader) -> Forward:
    """The reader quantized to int8 (`export_fused(int8=True)`), run as the shipped file is."""
    import onnxruntime as ort

    folder = Path(tempfile.mkdtemp(prefix="reader-int8-"))
    export_reader(model, folder / "int8.onnx", int8=True)
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(str(folder / "int8.onnx"), options, providers=["CPUExecutionProvider"])
    shutil.rmtree(folder)
    workers = ThreadPoolExecutor(os.cpu_count() or 1)

    def one(window: list[int]) -> tuple[np.ndarray, np.ndarray]:
        array = np.asarray([window], dtype=np.int64)
        start, end = session.run(None, {"input_ids": array, "attention_mask": np.ones_like(array)})
        return start[0], end[0]

    return lambda windows: list(workers.map(one, windows))


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
        "onnx-fp32": reader.forward,
        "onnx-int8": int8_forward(model, reader),
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
        "what": "the shipped reader on reader-dev (641 questions, the train pool's dev side), three ways",
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
