"""Build the int8 ONNX Runtime file of a reader weights folder, offline, once per weights.

Why: the reader is most of an answer's time. On 2 AVX2 cores (no VNNI, no bf16) ONNX Runtime with
int8 weights reads the best four passages about 1.5x as fast as torch fp32, and a window read on its
own core needs no padding (figures: docs/bench/reader-backends.json).

The recipe is `index.onnx_build.export_int8` (the one the embedder's int8 file uses): the torch
reader (the rebuilt e5 weights with the shipped reader weights laid over them, eager attention)
exported, fused and quantized. The file is built in a temporary folder under the models folder and
renamed into place, with a marker written last recording the reader's sha256, the base model's
marker and every file's checksum (verified once per process); another reader's weights get their
own folder, and a damaged file is rebuilt.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from index.errors import ModelError
from index.model_build import MARKER_NAME, files_verified, finish_build, removed_on_failure
from index.onnx_build import export_int8, source_marker_sha

from .reader import FROZEN_PARAMETERS, build_span_reader

log = logging.getLogger(__name__)

#: Bump when the export recipe's output changes: folders built by another version are rebuilt.
READER_ONNX_VERSION = 1
#: How the reader runs, as its fingerprint records it.
READER_RUNTIME_ID = f"onnx-int8/v{READER_ONNX_VERSION}"
ONNX_FILE_NAME = "reader_int8.onnx"
_TMP_PREFIX = ".building-reader-"


def reader_onnx_dir(models_dir: Path, weights_sha256: str) -> Path:
    """The folder the int8 file of the reader weights with this sha256 is built into."""
    return Path(models_dir) / f"articleqa-reader-{weights_sha256[:16]}-onnx-int8-v{READER_ONNX_VERSION}"


def is_reader_onnx_complete(folder: Path, weights_sha256: str, base_dir: Path) -> bool:
    """True when `folder` holds an undamaged int8 file built by this recipe from these reader
    weights over the base model folder as it is now."""
    try:
        marker = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not (isinstance(marker, dict) and marker.get("builder_version") == READER_ONNX_VERSION
            and marker.get("reader_sha256") == weights_sha256
            and marker.get("base_marker_sha256") == source_marker_sha(base_dir)
            and isinstance(marker.get("files"), dict) and ONNX_FILE_NAME in marker["files"]):
        return False
    return files_verified(folder, marker["files"])


def load_torch_reader(weights: Path, base_dir: Path) -> Any:
    """The reader as a torch module (fp32, eager attention): the base encoder with the weights of
    `weights` (a `reader.safetensors`) laid over it."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    verbosity = transformers_logging.get_verbosity()
    transformers_logging.set_verbosity_error()  # the unused pooler is reported, harmlessly
    try:
        encoder = AutoModel.from_pretrained(str(base_dir), dtype=torch.float32, add_pooling_layer=False,
                                            attn_implementation="eager")
    except Exception as exc:  # any loader failure is one clear error
        raise ModelError(f"cannot load the reader's base model: {exc}") from exc
    finally:
        transformers_logging.set_verbosity(verbosity)
    model = build_span_reader(encoder)
    state = {k: v.float() for k, v in load_file(str(weights)).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or set(missing) - set(FROZEN_PARAMETERS):
        raise ModelError(f"the reader weights do not fit the base model ({len(missing)} missing, "
                         f"{len(unexpected)} unexpected tensors); reinstall articleqa")
    return model.eval()


def ensure_reader_onnx(weights: Path, weights_sha256: str, base_dir: Path, models_dir: Path) -> Path:
    """The int8 ONNX file of the (checked) reader weights `weights`, building it under
    `models_dir` if needed: about a minute once per weights, then a checksum check per process."""
    import torch

    models_dir = Path(models_dir)
    target = reader_onnx_dir(models_dir, weights_sha256)
    if is_reader_onnx_complete(target, weights_sha256, base_dir):
        return target / ONNX_FILE_NAME
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=_TMP_PREFIX, dir=models_dir))
    except OSError as exc:
        raise ModelError(f"Cannot create the reader's int8 ONNX folder under {models_dir}: {exc}") from exc
    started = time.perf_counter()
    log.info("building the int8 ONNX reader (about a minute, once)")
    with removed_on_failure(tmp, lambda exc: (
            f"Building the int8 ONNX reader from {weights} failed: {exc}. Retry; if it persists, "
            f"reinstall onnxruntime (`pip install --force-reinstall onnxruntime`).")):
        model = load_torch_reader(weights, base_dir)
        ids = torch.tensor([[0, 100, 200, 2, 300, 400, 2], [0, 5, 6, 2, 7, 2, 1]])
        mask = (ids != model.encoder.config.pad_token_id).long()
        axes = {name: {0: "batch", 1: "sequence"}
                for name in ("input_ids", "attention_mask", "start_logits", "end_logits")}
        export_int8(model, (ids, mask), ["input_ids", "attention_mask"], ["start_logits", "end_logits"],
                    axes, model.encoder.config, tmp / ONNX_FILE_NAME)
        del model
        marker = {
            "builder_version": READER_ONNX_VERSION,
            "reader_sha256": weights_sha256,
            "base_folder": base_dir.name,
            "base_marker_sha256": source_marker_sha(base_dir),
            "recipe": "index.onnx_build.export_int8 (TorchScript export, eager attention, onnxruntime "
                      "BERT fusions, quantize_dynamic QInt8 per channel)",
            "build_seconds": round(time.perf_counter() - started, 2),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        finish_build(tmp, target, marker,
                     lambda folder: is_reader_onnx_complete(folder, weights_sha256, base_dir))
    log.info("built %s in %.1f s", target, time.perf_counter() - started)
    return target / ONNX_FILE_NAME
