"""Secrets at rest: URL passwords masked for display, payment data and passwords never stored from chat."""

from __future__ import annotations

import json
import subprocess
import sys

from assistant.security.secrets import mask_url_passwords, redact_chat_secrets


def test_chat_secrets_are_redacted_and_order_details_kept() -> None:
    text = "Charge card 4111 1111 1111 1111, CVV 123. My password is Tr0ub4dor&3. Order #JP1001, zip 94610."
    out = redact_chat_secrets(text)
    assert "4111" not in out and "123." not in out and "Tr0ub4dor" not in out
    assert "<CARD>" in out and "<SECURITY_CODE>" in out and "<PASSWORD>" in out
    assert "#JP1001" in out and "94610" in out
    assert redact_chat_secrets("I forgot my password, can you reset it?") == "I forgot my password, can you reset it?"
    assert redact_chat_secrets("我的密码是abc123") == "我的密码是<PASSWORD>"


def test_url_passwords_are_masked() -> None:
    assert mask_url_passwords("postgresql+psycopg://shop:s3cr@t@db:5432/shop") == "postgresql+psycopg://shop:***@db:5432/shop"
    assert mask_url_passwords({"x": ["redis://:pw@cache:6379/0"]}) == {"x": ["redis://:***@cache:6379/0"]}
    assert mask_url_passwords("sqlite:////tmp/shop.db") == "sqlite:////tmp/shop.db"


def test_config_show_never_prints_url_passwords(tmp_path: object) -> None:
    env = {
        "SHOPASSIST_DATABASE_URL": "postgresql+psycopg://shop:db-pass-123@db/shop",
        "SHOPASSIST_RATE_LIMIT_STORAGE": "redis://:redis-pass-456@cache:6379",
        "PATH": "/usr/bin:/bin",
        "HF_HUB_OFFLINE": "1",
    }
    for args in (["config", "show", "--json"], ["config", "show"]):
        out = subprocess.run(
            [sys.executable, "-m", "assistant.cli", *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, out.stderr
        assert "db-pass-123" not in out.stdout and "redis-pass-456" not in out.stdout
        assert "***" in out.stdout
        if "--json" in args:
            assert json.loads(out.stdout)["database_url"] == "postgresql+psycopg://shop:***@db/shop"
