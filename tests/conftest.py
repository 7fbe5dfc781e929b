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
