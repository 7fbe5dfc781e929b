"""Build the int8 ONNX Runtime file of the rebuilt multilingual-e5-small, fully offline.

Why: on 2 CPU cores torch fp32 embeds about 15 passages per second; ONNX Runtime with int8
weights (AVX-512 VNNI / AVX2 integer kernels) embeds several times as fast, at cosine ~0.997 to
the fp32 vectors (figures: docs/bench/embed-backends.json).

The recipe, from the e5 folder `index.model_build` writes: the BERT encoder with mean pooling
and L2 normalisation (exactly what the folder's `1_Pooling` and `2_Normalize` do) exported by
torch's TorchScript exporter (eager attention) with dynamic batch and sequence axes; ONNX
Runtime's BERT graph fusions (attention, layer norm, GELU); then dynamic quantization of every
MatMul and Gather to QInt8 weights, per output channel. The file is built in a temporary sibling
folder and renamed into place, with a marker written last recording every file's size and sha256
(verified once per process, like the e5 folder); a damaged file is rebuilt.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from .model_build import (
    MARKER_NAME,
    build_folder,
    ensure_e5_model,
    files_verified,
    model_dir_for,
)

#: Bump when the recipe's output changes: a folder built by another version is rebuilt, and the
#: version is part of the model fingerprint, so vectors of another recipe are never mixed in.
ONNX_BUILDER_VERSION = 2
#: The backend's identity as the model fingerprint records it.
ONNX_BACKEND_ID = f"onnx-int8/v{ONNX_BUILDER_VERSION}"
ONNX_FILE_NAME = "model_int8.onnx"
_TMP_PREFIX = ".building-onnx-"
_OPSET = 17


def onnx_dir_for(models_dir: Path) -> Path:
    """The folder `ensure_onnx_int8` builds into, beside the e5 folder it is built from."""
    e5 = model_dir_for(models_dir)
    return e5.with_name(f"{e5.name}-onnx-int8-v{ONNX_BUILDER_VERSION}")


def source_marker_sha(e5_dir: Path) -> str:
    """sha256 of the e5 folder's marker (which lists every file's sha256): the build's input."""
    from .split import file_sha256

    return file_sha256(e5_dir / MARKER_NAME)


def is_onnx_complete(folder: Path, e5_dir: Path) -> bool:
    """True when `folder` holds a finished, undamaged int8 file built by this recipe from the
    e5 folder as it is now (every file has the checksum its marker recorded)."""
    try:
        marker = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not (isinstance(marker, dict) and marker.get("builder_version") == ONNX_BUILDER_VERSION
            and marker.get("e5_marker_sha256") == source_marker_sha(e5_dir)
            and isinstance(marker.get("files"), dict) and ONNX_FILE_NAME in marker["files"]):
        return False
    return files_verified(folder, marker["files"])


def _pooled_encoder(bert: Any) -> Any:
    """BertModel -> mean pooling over the attention mask -> L2 normalisation, as one module."""
    import torch

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    return Encoder()


def export_fused(module: Any, example: tuple[Any, ...], input_names: list[str], output_names: list[str],
                 dynamic_axes: dict[str, dict[int, str]], config: Any, target: Path,
                 int8: bool) -> None:
    """Write `target`: a BERT-encoder torch `module` (built with eager attention) exported to ONNX
    and fused by ONNX Runtime's BERT optimizer (attention, layer norms, GELU); with `int8`, then
    dynamically quantized (QInt8 weights per output channel: MatMul, Attention, embeddings). The
    one recipe for every ONNX file articleqa runs (the int8 embedder here, the fp32 reader in
    `qa.reader_onnx`); intermediate files are removed."""
    import warnings

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    fp32, fused = target.with_name("fp32.onnx"), target.with_name("fused.onnx")
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, example, str(fp32), input_names=input_names,
                              output_names=output_names, dynamic_axes=dynamic_axes,
                              opset_version=_OPSET, dynamo=False)
        model = optimizer.optimize_model(str(fp32), model_type="bert",
                                         num_heads=config.num_attention_heads,
                                         hidden_size=config.hidden_size, opt_level=1)
        model.save_model_to_file(str(fused if int8 else target))
        del model
        fp32.unlink()
        if int8:
            quantize_dynamic(str(fused), str(target), weight_type=QuantType.QInt8, per_channel=True,
                             extra_options={"DefaultTensorType": 1})  # 1: FLOAT
    finally:
        fp32.unlink(missing_ok=True)
        fused.unlink(missing_ok=True)


def _export(e5_dir: Path, out: Path) -> None:
    """Write `out/model_int8.onnx`: the pooled e5 encoder through `export_fused`, quantized."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    # The eager attention exports as the classic BERT pattern, which ONNX Runtime fuses into one
    # Attention operator and quantizes (QAttention); torch's SDPA exports as a graph the fusion
    # does not recognise (v1 of this recipe): 1.2x the texts per second on 2 AVX2 cores, the
    # same cosine to fp32 (0.9967).
    bert = AutoModel.from_pretrained(str(e5_dir), dtype=torch.float32,
                                     attn_implementation="eager").eval()
    ids = torch.tensor([[0, 100, 200, 300, 2], [0, 5, 6, 2, 1]])
    mask = (ids != bert.config.pad_token_id).long()
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
            "embedding": {0: "batch"}}
    export_fused(_pooled_encoder(bert), (ids, mask), ["input_ids", "attention_mask"], ["embedding"],
                 axes, bert.config, out / ONNX_FILE_NAME, int8=True)


def ensure_onnx_int8(models_dir: Path) -> Path:
    """Return the folder holding the int8 ONNX file of the rebuilt e5 model, building it (and the
    e5 folder) if needed: about 30 s once, then a checksum check once per process."""
    models_dir = Path(models_dir)
    e5_dir = ensure_e5_model(models_dir)
    target = onnx_dir_for(models_dir)
    if is_onnx_complete(target, e5_dir):
        return target

    def build(tmp: Path) -> dict[str, Any]:
        _export(e5_dir, tmp)
        return {"builder_version": ONNX_BUILDER_VERSION, "e5_folder": e5_dir.name,
                "e5_marker_sha256": source_marker_sha(e5_dir),
                "recipe": "torch.onnx.export (TorchScript, eager attention) + onnxruntime BERT "
                          "fusions + quantize_dynamic(QInt8, per_channel)"}

    build_folder(models_dir, _TMP_PREFIX, target, "int8 ONNX embedding model", build,
                 lambda folder: is_onnx_complete(folder, e5_dir), lambda exc: (
                     f"Building the int8 ONNX embedding model from {e5_dir} failed: {exc}. Retry; if "
                     f"it persists, reinstall onnxruntime (`pip install --force-reinstall "
                     f"onnxruntime`) or choose the torch backend (`--embed-backend torch`)."))
    return target


if __name__ == "__main__":  # `python -m index.onnx_build` (the Makefile's `model` target)
    from .settings import Settings

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(ensure_onnx_int8(Settings().models_dir))
