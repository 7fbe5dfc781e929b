"""Load the shipped reader and run it on the CPU with ONNX Runtime.

The weights in `qa/reader_model/` (`reader.safetensors`: every encoder weight but the word
embeddings, plus the span head, in fp16) are checked against the sha256 in `reader.json`, laid over
the rebuilt multilingual-e5-small and built once into a fused fp32 ONNX file (`qa.reader_onnx`).
Each window runs alone on one core, as many side by side as there are cores: no padding to
compute, and a window's logits depend on that window only.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index import Settings
from index.compute import compute_turn
from index.errors import ModelError
from index.split import file_sha256

from .reader import READER_FORMAT, ReaderConfig, Span, load_tokenizer, read_spans
from .reader_onnx import READER_RUNTIME_ID, ensure_reader_onnx

log = logging.getLogger(__name__)

#: The reader shipped with articleqa.
SHIPPED_DIR = Path(__file__).with_name("reader_model")
WEIGHTS_NAME = "reader.safetensors"
META_NAME = "reader.json"


@dataclass(frozen=True)
class ReaderFingerprint:
    """What identifies the reader an answer came from (recorded beside the index's model)."""

    name: str
    sha256: str
    format: int
    runtime: str  # how it runs (`qa.reader_onnx.READER_RUNTIME_ID`)

    def as_dict(self) -> dict[str, object]:
        """JSON form."""
        return {"name": self.name, "sha256": self.sha256, "format": self.format, "runtime": self.runtime}


def reader_dir(settings: Settings) -> Path:
    """The folder holding the reader weights: the configured one, or the shipped one."""
    return Path(settings.reader_dir) if settings.reader_dir is not None else SHIPPED_DIR


def read_meta(folder: Path) -> dict[str, Any]:
    """The reader's metadata, checked: right format and weights matching their sha256."""
    try:
        meta = json.loads((folder / META_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"the reader's {META_NAME} is missing or unreadable ({exc.__class__.__name__}); "
                         "reinstall articleqa") from exc
    if meta.get("format") != READER_FORMAT:
        raise ModelError(f"the reader weights have format {meta.get('format')}, this articleqa reads "
                         f"format {READER_FORMAT}; retrain them with `python -m train.reader`")
    try:
        digest = file_sha256(folder / WEIGHTS_NAME)
    except OSError as exc:
        raise ModelError(f"the reader weights {WEIGHTS_NAME} are missing; reinstall articleqa") from exc
    if digest != meta.get("sha256"):
        raise ModelError(f"the reader weights {WEIGHTS_NAME} are damaged (sha256 differs from "
                         f"{META_NAME}); reinstall articleqa")
    return meta


class Reader:
    """The trained span reader, ready to read (question, contexts) pairs."""

    def __init__(self, settings: Settings, threads: int | None = None) -> None:
        from index.embed import resolve_model_path

        started = time.perf_counter()
        folder = reader_dir(settings)
        meta = read_meta(folder)
        self.config = ReaderConfig(**meta["config"])
        self.fingerprint = ReaderFingerprint("articleqa-reader", meta["sha256"], READER_FORMAT,
                                             READER_RUNTIME_ID)
        base = Path(resolve_model_path(settings.with_(model=settings.reader_base_model)))
        onnx_file = ensure_reader_onnx(folder / WEIGHTS_NAME, meta["sha256"], base, settings.models_dir)
        try:
            import onnxruntime as ort

            self.tokenizer = load_tokenizer(str(base))
            options = ort.SessionOptions()
            # One core per window, as many windows at once as there are cores (the embedder's
            # choice too, `index.onnx_embed`); no spinning threads burning cores between calls.
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self.session = ort.InferenceSession(str(onnx_file), options,
                                                providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime and the tokenizer raise their own types
            raise ModelError(f"cannot load the reader from {onnx_file}: {exc}; delete "
                             f"{onnx_file.parent} so it is rebuilt") from exc
        self._workers = ThreadPoolExecutor(max(1, threads or os.cpu_count() or 1),
                                           thread_name_prefix="reader")
        log.info("loaded the reader (%s) in %.1fs", READER_RUNTIME_ID, time.perf_counter() - started)

    def _window(self, ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
        array = np.asarray([ids], dtype=np.int64)
        start, end = self.session.run(None, {"input_ids": array, "attention_mask": np.ones_like(array)})
        return start[0], end[0]

    def forward(self, windows: list[list[int]]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Start and end logits of every window (`qa.reader.Forward`), windows side by side."""
        if len(windows) == 1:
            return [self._window(windows[0])]
        return list(self._workers.map(self._window, windows))

    def read(self, question: str, contexts: list[str]) -> list[Span]:
        """The best span of every window of every context (unordered)."""
        with compute_turn():  # one model call at a time in this process, all cores to it
            return read_spans(self.forward, self.tokenizer, question, contexts, self.config)


_SHARED: dict[tuple[str, str], Reader] = {}
_SHARED_LOCK = threading.Lock()


def shared_reader(settings: Settings) -> Reader:
    """One Reader per weights folder and models folder in this process (it takes ~1 s to load)."""
    key = (str(reader_dir(settings)), str(settings.models_dir))
    with _SHARED_LOCK:
        reader = _SHARED.get(key)
        if reader is None:
            reader = _SHARED[key] = Reader(settings)
        return reader


if __name__ == "__main__":  # `python -m qa.reader_runtime` (the Makefile's `model` target)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(Reader(Settings()).fingerprint.as_dict())
