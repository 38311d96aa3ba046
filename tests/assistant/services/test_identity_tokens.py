"""Shop-signed customer identity tokens: what a shop's site mints and ShopAssist verifies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import stat

import pytest
from pydantic import SecretStr

from assistant.config import Settings
from assistant.services import Services
from assistant.services.types import Forbidden, Invalid
from assistant.services.users import mint_identity_token, verify_identity_token

NOW = 1_800_000_000.0


@pytest.fixture
def shop(settings: Settings) -> Settings:
    return settings.model_copy(update={"identity_secret": SecretStr("the-shop-and-shopassist-share-this")})


def test_a_minted_token_names_its_customer_until_it_expires(shop: Settings) -> None:
    token = mint_identity_token(shop, "C001", ttl_s=600, now=NOW)
    assert verify_identity_token(shop, token, now=NOW + 599) == "C001"
    with pytest.raises(Invalid, match="expired"):
        verify_identity_token(shop, token, now=NOW + 600)


def test_the_documented_format_is_what_a_shop_site_computes(shop: Settings) -> None:
    """A shop signs without our code: b64url(id).expiry.hex(HMAC-SHA256(secret, b64url(id).expiry))."""
    payload = base64.urlsafe_b64encode("客户-42".encode()).rstrip(b"=").decode() + f".{int(NOW) + 60}"
    secret = b"the-shop-and-shopassist-share-this"
    token = payload + "." + hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()
    assert verify_identity_token(shop, token, now=NOW) == "客户-42"


def test_forged_altered_and_malformed_tokens_are_refused(shop: Settings) -> None:
    token = mint_identity_token(shop, "C001", ttl_s=600, now=NOW)
    encoded, expiry, signature = token.split(".")
    other = base64.urlsafe_b64encode(b"C002").rstrip(b"=").decode()
    with pytest.raises(Invalid, match="signature"):
        verify_identity_token(shop, f"{other}.{expiry}.{signature}", now=NOW)  # someone else's id
    with pytest.raises(Invalid, match="signature"):
        verify_identity_token(shop, f"{encoded}.{int(expiry) + 3600}.{signature}", now=NOW)  # extended
    elsewhere = shop.model_copy(update={"identity_secret": SecretStr("another-shop-secret-entirely")})
    with pytest.raises(Invalid, match="signature"):
        verify_identity_token(elsewhere, token, now=NOW)
    for junk in ("", "C001", "a.b.c", f"{encoded}.{expiry}", "...."):
        with pytest.raises(Invalid):
            verify_identity_token(shop, junk, now=NOW)


def test_tokens_valid_for_too_long_are_refused(shop: Settings) -> None:
    token = mint_identity_token(shop, "C001", ttl_s=shop.identity_token_max_ttl_s * 10, now=NOW)
    with pytest.raises(Invalid, match="too far ahead"):
        verify_identity_token(shop, token, now=NOW)


def test_without_a_configured_secret_one_is_kept_private_in_the_data_dir(settings: Settings) -> None:
    token = mint_identity_token(settings, "C001", ttl_s=60)
    path = settings.data_dir / "identity_secret"
    assert path.is_file() and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert verify_identity_token(settings, token) == "C001"
    # Another process of the same shop (same data dir) accepts it too.
    assert verify_identity_token(Settings(data_dir=settings.data_dir, device="cpu"), token) == "C001"


def test_the_demo_picker_mints_tokens_only_for_demo_customers(settings: Settings) -> None:
    services = Services.build(settings)
    assert not services.users.demo_mode()
    with pytest.raises(Forbidden):
        services.users.demo_identity_token("C001")
