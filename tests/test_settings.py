from pathlib import Path

import pytest

from index import Settings
from index.errors import ConfigError


def test_defaults_resolve_index_under_home(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert settings.resolved_index_dir == tmp_path / "indexes" / "default"
    assert settings.models_dir == tmp_path / "models"


def test_home_comes_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARTICLEQA_HOME", str(tmp_path / "aqa"))
    assert Settings().home == tmp_path / "aqa"


@pytest.mark.parametrize("field,value", [("passage_chars", 0), ("default_k", -1),
                                         ("hnsw_threshold", "many"), ("reader_first_passages", 0),
                                         ("reader_early_exit", -50.0), ("reader_early_exit", "soon"),
                                         ("reader_early_exit_lead", -1.0)])
def test_invalid_values_are_named(field: str, value: object, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=field):
        Settings(home=tmp_path, **{field: value})


def test_with_rejects_unknown_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown setting"):
        Settings(home=tmp_path).with_(colour="blue")
    assert Settings(home=tmp_path).with_(default_k=3).default_k == 3
