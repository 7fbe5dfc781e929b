"""Build the ONNX Runtime file of a reader weights folder, offline, once per weights.

Why: the reader is most of an answer's time. On 2 AVX2 cores ONNX Runtime runs the fused fp32
graph one window per core 1.37x as fast as torch reads the same windows in a padded batch, with
the same logits (about 1e-5 apart), so answers and their calibration do not move. Int8 weights would
read 1.8x as fast but lost reader-dev EM (0.579 -> 0.554) and, recalibrated, raised the built-in
dev split's false abstentions from 6.7% to 11.2%, so they are not used (the comparison:
`qa/reader_model/MODEL_CARD.md`, `docs/bench/reader-backends.json`).

The recipe is `index.onnx_build.export_fused` (the one the embedder's int8 file uses, without its
quantization): the torch reader (the rebuilt e5 weights with the shipped reader weights laid over
them, eager attention) exported and fused. The file is built in a temporary folder under the
models folder and renamed into place, with a marker written last recording the reader's sha256,
the base model's marker and every file's checksum (verified once per process); another reader's
weights get their own folder, and a damaged file is rebuilt.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from index.errors import ModelError
from index.model_build import MARKER_NAME, build_folder, files_verified
from index.onnx_build import export_fused, source_marker_sha

from .reader import FROZEN_PARAMETERS, build_span_reader

#: Bump when the export recipe's output changes: folders built by another version are rebuilt.
READER_ONNX_VERSION = 1
#: How the reader runs, as its fingerprint records it.
READER_RUNTIME_ID = f"onnx-fp32/v{READER_ONNX_VERSION}"
ONNX_FILE_NAME = "reader.onnx"
_TMP_PREFIX = ".building-reader-"


def reader_onnx_dir(models_dir: Path, weights_sha256: str) -> Path:
    """The folder the ONNX file of the reader weights with this sha256 is built into."""
    return Path(models_dir) / f"articleqa-reader-{weights_sha256[:16]}-onnx-v{READER_ONNX_VERSION}"


def is_reader_onnx_complete(folder: Path, weights_sha256: str, base_dir: Path) -> bool:
    """True when `folder` holds an undamaged ONNX file built by this recipe from these reader
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


def export_reader(model: Any, target: Path, int8: bool = False) -> None:
    """Write the torch reader `model` to `target` as a fused ONNX graph (int8 weights with `int8`,
    which only `bench/reader_backends.py` asks for), inputs `input_ids` / `attention_mask`."""
    import torch

    ids = torch.tensor([[0, 100, 200, 2, 300, 400, 2], [0, 5, 6, 2, 7, 2, 1]])
    mask = (ids != model.encoder.config.pad_token_id).long()
    axes = {name: {0: "batch", 1: "sequence"}
            for name in ("input_ids", "attention_mask", "start_logits", "end_logits")}
    export_fused(model, (ids, mask), ["input_ids", "attention_mask"], ["start_logits", "end_logits"],
                 axes, model.encoder.config, target, int8=int8)


def ensure_reader_onnx(weights: Path, weights_sha256: str, base_dir: Path, models_dir: Path) -> Path:
    """The ONNX file of the (checked) reader weights `weights`, building it under
    `models_dir` if needed: about 30 s once per weights, then a checksum check per process."""
    models_dir = Path(models_dir)
    target = reader_onnx_dir(models_dir, weights_sha256)
    if is_reader_onnx_complete(target, weights_sha256, base_dir):
        return target / ONNX_FILE_NAME

    def build(tmp: Path) -> dict[str, Any]:
        export_reader(load_torch_reader(weights, base_dir), tmp / ONNX_FILE_NAME)
        return {"builder_version": READER_ONNX_VERSION, "reader_sha256": weights_sha256,
                "base_folder": base_dir.name, "base_marker_sha256": source_marker_sha(base_dir),
                "recipe": "index.onnx_build.export_fused (TorchScript export, eager attention, "
                          "onnxruntime BERT fusions), fp32"}

    build_folder(models_dir, _TMP_PREFIX, target, "ONNX Runtime reader", build,
                 lambda folder: is_reader_onnx_complete(folder, weights_sha256, base_dir), lambda exc: (
                     f"Building the ONNX Runtime reader from {weights} failed: {exc}. Retry; if it "
                     f"persists, reinstall onnxruntime (`pip install --force-reinstall onnxruntime`)."))
    return target / ONNX_FILE_NAME
