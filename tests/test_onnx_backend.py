"""The int8 ONNX embedding backend: built offline and checksummed, close to torch's vectors, part of
the model fingerprint (an index of the other backend's vectors is refused with the fix, or, for
the default index, re-embedded from its own articles)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from damage import flip_middle_byte

from index import Library, Settings, onnx_build
from index.embed import Embedder
from index.errors import ConfigError, IndexMismatchError
from index.ingest import article_from_text
from index.model_build import _VERIFIED, MARKER_NAME, model_dir_for
from index.onnx_build import (
    ONNX_BACKEND_ID,
    ONNX_FILE_NAME,
    ensure_onnx_int8,
    is_onnx_complete,
    onnx_dir_for,
)
from index.split import file_sha256

pytestmark = pytest.mark.slow

PASSAGES = [
    "閻家山TOD項目總投資26億元，由青島地鐵集團負責建設。",
    "平安銀行青島分行堅持金融為民，全力服務實體經濟發展。",
    "雁山科技生態城發展願景發布會在青島舉行，吸引了眾多企業參與。",
    "青科大TOD項目總投資3.5億元，計劃明年年底建成。",
    "今年前三季度，該行累計發放普惠小微貸款超過80億元。",
    "The city council approved a new science park on the northern shore on Tuesday.",
    "台北市政府宣布，捷運環狀線北段將於2030年通車。",
    "研究人員發現，每天步行三十分鐘可以顯著降低心血管疾病的風險。",
]
QUERIES = [
    "閻家山TOD項目總投資多少？",
    "平安銀行青島分行如何服務實體經濟？",
    "雁山科技生態城的發展願景在哪裡發布？",
    "青科大TOD项目什么时候建成？",
    "普惠小微貸款發放了多少？",
    "What did the city council approve?",
    "捷運環狀線北段何時通車？",
    "步行對心血管有什麼好處？",
]


@pytest.fixture(scope="session")
def torch_embedder(settings: Settings, embedder: Embedder) -> Embedder:
    """The fp32 sentence-transformers backend (the default, which the shared fixtures use)."""
    return embedder if settings.embed_backend == "torch" else Embedder(
        settings.with_(embed_backend="torch"))


def test_default_backend_is_torch_and_int8_selectable(
        embedder: Embedder, int8_embedder: Embedder, settings: Settings,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The default stays torch (the fixtures use it) until int8's cross-lingual recall and
    batch-independent vectors are settled; onnx-int8 is chosen by the setting."""
    monkeypatch.delenv("ARTICLEQA_EMBED_BACKEND", raising=False)
    assert Settings(home=settings.home).embed_backend == "torch"
    assert embedder.onnx is None and embedder.model is not None
    assert int8_embedder.onnx is not None and int8_embedder.model is None
    assert int8_embedder.fingerprint.backend == ONNX_BACKEND_ID
    assert int8_embedder.fingerprint.as_dict()["backend"] == ONNX_BACKEND_ID


def test_backend_setting_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARTICLEQA_EMBED_BACKEND", "torch")
    assert Settings(home=tmp_path).embed_backend == "torch"
    monkeypatch.setenv("ARTICLEQA_EMBED_BACKEND", "onnx-fp16")
    with pytest.raises(ConfigError, match="valid backends are: onnx-int8, torch"):
        Settings(home=tmp_path)


def test_cli_embed_backend_option(tmp_path: Path) -> None:
    from articleqa.cli import _settings, build_parser

    args = build_parser().parse_args(["list", "--home", str(tmp_path), "--embed-backend", "torch"])
    assert _settings(args).embed_backend == "torch"


def test_int8_vectors_close_to_torch(int8_embedder: Embedder, torch_embedder: Embedder) -> None:
    """Quality floor on real sentences: cosine to the fp32 vectors, and the same best passage."""
    int8_p, fp32_p = int8_embedder.embed_passages(PASSAGES), torch_embedder.embed_passages(PASSAGES)
    int8_q, fp32_q = int8_embedder.embed_queries(QUERIES), torch_embedder.embed_queries(QUERIES)
    passage_cos = np.sum(int8_p * fp32_p, axis=1)
    query_cos = np.sum(int8_q * fp32_q, axis=1)
    assert passage_cos.mean() >= 0.995 and passage_cos.min() >= 0.99, passage_cos
    assert query_cos.mean() >= 0.995 and query_cos.min() >= 0.99, query_cos
    np.testing.assert_allclose(np.linalg.norm(int8_p, axis=1), 1.0, atol=1e-4)
    top_int8 = (int8_q @ int8_p.T).argmax(axis=1)
    top_fp32 = (fp32_q @ fp32_p.T).argmax(axis=1)
    assert top_int8.tolist() == top_fp32.tolist() == list(range(len(QUERIES)))


def test_int8_vector_depends_on_the_text_alone(int8_embedder: Embedder) -> None:
    """Texts embedded side by side (one per core) come back in order, each the vector it has
    when embedded alone: neither its neighbours nor their order move it."""
    texts = PASSAGES + QUERIES
    together = int8_embedder.embed_passages(texts)
    reversed_ = int8_embedder.embed_passages(texts[::-1])[::-1]
    alone = np.stack([int8_embedder.embed_passages([text])[0] for text in texts])
    np.testing.assert_allclose(together, alone, atol=1e-6)
    np.testing.assert_allclose(reversed_, alone, atol=1e-6)
    assert len({tuple(np.round(row, 4)) for row in together}) == len(texts)


def test_fingerprints_differ_between_backends(int8_embedder: Embedder, torch_embedder: Embedder) -> None:
    """The torch fingerprint is the one indexes recorded before backends existed (no backend key),
    so their indexes stay readable with `--embed-backend torch`; int8 vectors get their own key."""
    assert "backend" not in torch_embedder.fingerprint.as_dict()
    assert int8_embedder.fingerprint.as_dict() != torch_embedder.fingerprint.as_dict()
    assert int8_embedder.fingerprint.key != torch_embedder.fingerprint.key
    assert int8_embedder.fingerprint.differs_only_in_backend(torch_embedder.fingerprint.as_dict())
    assert not int8_embedder.fingerprint.differs_only_in_backend(int8_embedder.fingerprint.as_dict())


def _torch_index(settings: Settings, torch_embedder: Embedder, folder: Path,
                 seed_builtin: bool = False) -> Library:
    library = Library(settings.with_(index_dir=folder, embed_backend="torch"),
                      embedder=torch_embedder,
                      seed_builtin=seed_builtin)
    library.apply(add=[article_from_text("青島新聞", "\n".join(PASSAGES[:5]), "test:qingdao"),
                       article_from_text("其他新聞", "\n".join(PASSAGES[5:]), "test:other")])
    return library


def test_index_of_other_backend_is_refused_then_rebuilt(settings: Settings, int8_embedder: Embedder,
                                                        torch_embedder: Embedder, tmp_path: Path) -> None:
    """A user index built with fp32 vectors is refused with the fix; the fix keeps every article."""
    from articleqa.cli import main

    folder = tmp_path / "index"
    before = _torch_index(settings, torch_embedder, folder)
    titles = sorted(a.title for a in before.snapshot.articles.values())
    with pytest.raises(IndexMismatchError) as caught:
        Library(settings.with_(index_dir=folder, embed_backend="onnx-int8"),
                      embedder=int8_embedder)
    message = str(caught.value)
    assert "'torch' embedding backend" in message and ONNX_BACKEND_ID in message
    assert "articleqa ingest --rebuild" in message and "--embed-backend" in message
    # Still readable with the backend it was built with.
    assert Library(settings.with_(index_dir=folder, embed_backend="torch"),
                      embedder=torch_embedder)
    assert main(["ingest", "--rebuild", "--home", str(settings.home), "--index", str(folder),
                 "--embed-backend", "onnx-int8"]) == 0
    after = Library(settings.with_(index_dir=folder, embed_backend="onnx-int8"),
                      embedder=int8_embedder)
    assert sorted(a.title for a in after.snapshot.articles.values()) == titles
    assert after.snapshot.fingerprint["backend"] == ONNX_BACKEND_ID
    assert after.snapshot.passages and len(after.snapshot.vectors) == len(after.snapshot.passages)


def test_default_index_of_other_backend_is_reembedded(settings: Settings, int8_embedder: Embedder,
                                                      torch_embedder: Embedder, tmp_path: Path) -> None:
    """The default index (the built-in corpus, plus whatever was ingested into it) keeps working
    after an upgrade: it is re-embedded from its own articles, none lost."""
    folder = tmp_path / "default"
    before = _torch_index(settings, torch_embedder, folder, seed_builtin=True)
    ids = set(before.snapshot.articles)
    assert len(ids) >= 4  # the built-in corpus's articles and the two added here
    after = Library(settings.with_(index_dir=folder, embed_backend="onnx-int8"),
                      embedder=int8_embedder, seed_builtin=True)
    assert set(after.snapshot.articles) == ids
    assert after.snapshot.fingerprint["backend"] == ONNX_BACKEND_ID
    hit = after.snapshot.search(int8_embedder.embed_queries([QUERIES[0]]), 1)[1][0][0]
    assert "閻家山" in after.snapshot.passages[int(hit)].text


def test_flipped_byte_is_detected_and_rebuilt(settings: Settings, int8_embedder: Embedder,
                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The int8 file is checksummed like the e5 folder: one flipped byte is found and rebuilt.
    The rebuild's export writes the session's intact file (the export itself ran when the
    session's file was built, about 50 s), so what is tested is the detection and the install."""
    source = onnx_dir_for(settings.models_dir)
    models = tmp_path / "models"
    models.mkdir()
    model_dir_for(models).symlink_to(model_dir_for(settings.models_dir), target_is_directory=True)
    target = onnx_dir_for(models)
    shutil.copytree(source, target)
    assert is_onnx_complete(target, model_dir_for(models))
    marker = json.loads((target / MARKER_NAME).read_text(encoding="utf-8"))
    recorded = marker["files"][ONNX_FILE_NAME]["sha256"]
    assert file_sha256(target / ONNX_FILE_NAME) == recorded

    path = target / ONNX_FILE_NAME
    flip_middle_byte(path)
    _VERIFIED.pop(target, None)  # verified once per process; a new process would check again
    assert not is_onnx_complete(target, model_dir_for(models))
    exports: list[Path] = []

    def export_intact(e5_dir: Path, out: Path) -> None:
        exports.append(out)
        shutil.copyfile(source / ONNX_FILE_NAME, out / ONNX_FILE_NAME)

    monkeypatch.setattr(onnx_build, "_export", export_intact)
    assert ensure_onnx_int8(models) == target
    assert len(exports) == 1 and file_sha256(path) == recorded
    assert is_onnx_complete(target, model_dir_for(models))
    rebuilt = json.loads((target / MARKER_NAME).read_text(encoding="utf-8"))
    assert file_sha256(path) == rebuilt["files"][ONNX_FILE_NAME]["sha256"]
    assert not list(models.glob(".building-onnx-*"))  # nothing half-built left behind
