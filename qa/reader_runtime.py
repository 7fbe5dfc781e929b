"""Load the shipped reader weights on top of the rebuilt e5 model and run them on the CPU.

The weights in `qa/reader_model/` (`reader.safetensors`: every encoder weight but the word
embeddings, plus the span head, in fp16) are checked against the sha256 in `reader.json` before use,
then laid over the rebuilt multilingual-e5-small, whose word embeddings they share. Inference runs
in bfloat16 where the CPU has native support (AVX-512 BF16 / AMX: about 2.5x faster than fp32,
same answers on reader-dev), else in fp32.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index import Settings
from index.compute import compute_turn
from index.errors import ModelError
from index.split import file_sha256

from .reader import FROZEN_PARAMETERS, READER_FORMAT, ReaderConfig, Span, bf16_supported, read_spans

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

    def as_dict(self) -> dict[str, object]:
        """JSON form."""
        return {"name": self.name, "sha256": self.sha256, "format": self.format}


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

    def __init__(self, settings: Settings) -> None:
        import torch
        from safetensors.torch import load_file
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as transformers_logging

        from index.embed import resolve_model_path

        from .reader import build_span_reader

        started = time.perf_counter()
        folder = reader_dir(settings)
        meta = read_meta(folder)
        self.config = ReaderConfig(**meta["config"])
        self.fingerprint = ReaderFingerprint("articleqa-reader", meta["sha256"], READER_FORMAT)
        transformers_logging.disable_progress_bar()
        base = resolve_model_path(settings.with_(model=settings.reader_base_model))
        verbosity = transformers_logging.get_verbosity()
        transformers_logging.set_verbosity_error()  # the unused pooler is reported, harmlessly
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(base)
            encoder = AutoModel.from_pretrained(base, dtype=torch.float32, add_pooling_layer=False)
        except Exception as exc:  # any loader failure is one clear error
            raise ModelError(f"cannot load the reader's base model: {exc}") from exc
        finally:
            transformers_logging.set_verbosity(verbosity)
        model = build_span_reader(encoder)
        state = {k: v.float() for k, v in load_file(str(folder / WEIGHTS_NAME)).items()}
        missing, unexpected = model.load_state_dict(state, strict=False)
        if unexpected or set(missing) - set(FROZEN_PARAMETERS):
            raise ModelError(f"the reader weights do not fit the base model ({len(missing)} missing, "
                             f"{len(unexpected)} unexpected tensors); reinstall articleqa")
        self.model = model.eval()
        self.bf16 = bf16_supported()
        log.info("loaded the reader (%s) in %.1fs", "bf16" if self.bf16 else "fp32",
                 time.perf_counter() - started)

    def read(self, question: str, contexts: list[str], batch_size: int = 16) -> list[Span]:
        """The best span of every window of every context (unordered)."""
        with compute_turn():  # one model call at a time in this process, both cores to it
            return read_spans(self.model, self.tokenizer, question, contexts, self.config, self.bf16,
                              batch_size)


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
