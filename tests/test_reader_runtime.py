"""The shipped reader runs from an ONNX file built once, checksummed, window by window, reading as
torch does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from damage import flip_middle_byte

from index.embed import resolve_model_path
from index.model_build import _VERIFIED, MARKER_NAME
from index.split import file_sha256
from qa import reader_onnx
from qa.reader_onnx import (
    ONNX_FILE_NAME,
    READER_RUNTIME_ID,
    ensure_reader_onnx,
    is_reader_onnx_complete,
    load_torch_reader,
    reader_onnx_dir,
)
from qa.reader_runtime import SHIPPED_DIR, WEIGHTS_NAME, Reader, read_meta, shared_reader

CONTEXTS = [
    "閻家山TOD項目位於青島市城陽區，總投資26億元，規劃建設住宅、商業及公共交通設施。",
    "平安銀行青島分行成立於2009年，目前在青島共有營業網點15家。",
]


@pytest.fixture(scope="module")
def reader(settings) -> Reader:
    """The shipped reader of the session (its ONNX file built once into the session's models)."""
    return shared_reader(settings)


def test_the_reader_names_its_runtime_and_reads_a_span(reader: Reader) -> None:
    assert reader.fingerprint.as_dict()["runtime"] == READER_RUNTIME_ID
    spans = reader.read("閻家山TOD項目總投資多少？", CONTEXTS)
    best = max(spans, key=lambda s: s.margin)
    assert CONTEXTS[best.context_index][best.start:best.end] == "26億元"


def test_a_windows_logits_depend_on_that_window_alone(reader: Reader) -> None:
    """Windows are read one per call: reading one beside others gives the same logits."""
    ids = [reader.tokenizer("總投資多少？", c)["input_ids"] for c in CONTEXTS]
    alone = reader.forward([ids[1]])[0]
    together = reader.forward(ids)[1]
    assert np.array_equal(alone[0], together[0]) and np.array_equal(alone[1], together[1])


def test_the_onnx_file_reads_as_the_torch_reader_does(settings, reader: Reader) -> None:
    """The exported file is the trained reader: its logits match torch's on the same windows, so
    the margin calibrated and the figures measured with torch hold for it."""
    from train.reader import torch_forward

    base = Path(resolve_model_path(settings.with_(model=settings.reader_base_model)))
    model = load_torch_reader(SHIPPED_DIR / WEIGHTS_NAME, base)
    windows = [reader.tokenizer("總投資多少？", c)["input_ids"] for c in CONTEXTS]
    expected = torch_forward(model, reader.tokenizer.pad_token_id, bf16=False)(windows)
    for (start, end), (want_start, want_end) in zip(reader.forward(windows), expected, strict=True):
        n = len(start)
        assert np.allclose(start, want_start[:n], atol=1e-3) and np.allclose(end, want_end[:n], atol=1e-3)


def test_a_damaged_onnx_reader_is_detected_and_rebuilt(settings, reader: Reader, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """One flipped byte in the ONNX file is found by its checksum and the file is rebuilt. The
    rebuild's export writes the session's intact file (the real export ran when the session's
    file was built), so what is tested is the detection and the atomic install."""
    sha = read_meta(SHIPPED_DIR)["sha256"]
    base = Path(resolve_model_path(settings.with_(model=settings.reader_base_model)))
    source = reader_onnx_dir(settings.models_dir, sha)
    models = tmp_path / "models"
    target = reader_onnx_dir(models, sha)
    shutil.copytree(source, target)
    assert is_reader_onnx_complete(target, sha, base)
    recorded = json.loads((target / MARKER_NAME).read_text(encoding="utf-8"))["files"][ONNX_FILE_NAME]
    path = target / ONNX_FILE_NAME
    flip_middle_byte(path)
    _VERIFIED.pop(target, None)  # verified once per process; a new process would check again
    assert not is_reader_onnx_complete(target, sha, base)
    assert not is_reader_onnx_complete(target, "0" * 64, base)  # other weights: never this file

    exports: list[Path] = []

    def export_intact(module, example, input_names, output_names, axes, config, out: Path,
                      int8: bool) -> None:
        exports.append(out)
        shutil.copyfile(source / ONNX_FILE_NAME, out)

    monkeypatch.setattr(reader_onnx, "export_fused", export_intact)
    assert ensure_reader_onnx(SHIPPED_DIR / WEIGHTS_NAME, sha, base, models) == path
    assert len(exports) == 1 and file_sha256(path) == recorded["sha256"]
    assert is_reader_onnx_complete(target, sha, base)
    assert not list(models.glob(".building-reader-*"))  # nothing half-built left behind
