"""Shared pytest fixtures. Nothing here may reach the network (the hub is forced offline)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO_ROOT = Path(__file__).resolve().parents[1]


def _test_home() -> Path:
    """`$ARTICLEQA_TEST_HOME`, or `<repo>/.articleqa-test` (git-ignored, kept between runs)."""
    env = os.environ.get("ARTICLEQA_TEST_HOME")
    return Path(env).expanduser() if env else REPO_ROOT / ".articleqa-test"


@pytest.fixture(scope="session")
def e5_model_dir() -> Path:
    """The rebuilt multilingual-e5-small folder, built once and cached under `<home>/models`."""
    from index.model_build import ensure_e5_model

    return ensure_e5_model(_test_home() / "models")


@pytest.fixture(scope="session")
def aqa_home(e5_model_dir: Path) -> Path:
    """The articleqa home for the session: model cache kept, indexes rebuilt once per session."""
    import shutil

    home = _test_home()
    shutil.rmtree(home / "indexes", ignore_errors=True)
    return home


@pytest.fixture(scope="session")
def settings(aqa_home: Path):
    """Default settings over the session home."""
    from index import Settings

    return Settings(home=aqa_home)


@pytest.fixture(scope="session")
def embedder(settings):
    """The real embedding model, loaded once per session."""
    from index import Embedder

    return Embedder(settings)


@pytest.fixture(scope="session")
def int8_embedder(aqa_home: Path):
    """The int8 ONNX Runtime backend (its file built once into the session's model cache). It
    starts in about 3 s where torch takes about 18 s, so tests that start `articleqa` processes
    whose backend does not matter use it."""
    from index import Embedder, Settings

    return Embedder(Settings(home=aqa_home, embed_backend="onnx-int8"))


@pytest.fixture(scope="session")
def builtin_library(settings, embedder):
    """The default index (the built-in corpus), built once per session; tests must not change it."""
    from index import Library

    return Library(settings, embedder=embedder)


#: The stores every retrieval, ingest and API test runs against (index.search).
STORES = ("faiss", "milvus-lite")


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> str:
    """Each store in turn: the local FAISS + bm25s files, and a Milvus Lite database."""
    return request.param


@pytest.fixture
def fresh_library(settings, embedder, tmp_path: Path, store: str):
    """An empty index of its own for a test that writes, in each store."""
    from index import Library

    library = Library(settings.with_(index_dir=tmp_path / "index", store=store), embedder=embedder,
                      seed_builtin=False)
    yield library
    library.close()
