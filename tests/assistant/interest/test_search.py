"""The personalized search box on a real SQLite store with the real sentence encoder, and over HTTP."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.interest.online import InterestService
from assistant.interest.search import ProductSearch, SearchError
from assistant.services import Services
from tests.assistant.interest.test_online import _store


def test_text_guest_and_personalized_rankings_with_reasons(tmp_path: Path) -> None:
    settings, db = _store(tmp_path)
    search = ProductSearch(InterestService(settings, db))

    plain = search.search("waterproof rain jacket", personalized=False)
    assert plain.mode == "text"
    assert plain.hits[0].product_id == "P1"  # "Waterproof rain jacket with hood"
    assert all(h.reason for h in plain.hits) and "waterproof" in plain.hits[0].reason.lower()
    assert [h.score for h in plain.hits] == sorted((h.score for h in plain.hits), reverse=True)

    guest = search.search("waterproof rain jacket", None)
    assert guest.mode == "guest" and {h.product_id for h in guest.hits[:2]} <= {"P1", "P8", "P2"}

    # C1 bought the camp stove and looked at the pot: the personal ranking says so in its reasons.
    mine = search.search("something for cooking", "C1")
    assert mine.mode == "personalized"
    top = mine.hits[0]
    assert top.product_id in {"P6", "P7"}
    assert "bought it before" in top.reason or "Camp Stove" in top.reason  # the history speaks
    assert "searched for" in top.reason
    # A customer with no events is ranked like a guest.
    assert search.search("something for cooking", "C-new").mode == "guest"


def test_bad_queries_are_refused(tmp_path: Path) -> None:
    settings, db = _store(tmp_path)
    search = ProductSearch(InterestService(settings, db))
    with pytest.raises(SearchError, match="empty"):
        search.search("   ")
    with pytest.raises(SearchError, match="longer than"):
        search.search("x" * (settings.search.max_query_chars + 1))


def test_http_search_matches_the_service(tmp_path: Path) -> None:
    settings, _db = _store(tmp_path)
    services = Services.build(settings)
    client = TestClient(create_app(services, warm=False))
    direct = ProductSearch.of(services.interest).search("running shoe", None)
    r = client.get("/api/search", params={"q": "running shoe"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["mode"] == "guest"
    assert [h["product_id"] for h in body["hits"]] == [h.product_id for h in direct.hits]
    assert all(h["reason"] for h in body["hits"])
    plain = client.get("/api/search", params={"q": "running shoe", "plain": "true", "k": 2}).json()
    assert plain["mode"] == "text" and len(plain["hits"]) == 2
    assert client.get("/api/search", params={"q": ""}).status_code == 422
    assert client.get("/api/search", params={"q": "x" * 300}).status_code == 422
    assert client.get("/api/search", params={"q": "shoe", "k": 0}).status_code == 422
    # Someone else's conversation cannot be used to rank (its token is needed).
    assert client.get("/api/search", params={"q": "shoe", "conversation_id": "nope"}).status_code == 404


def test_chat_page_search_field_shows_the_same_results_with_reasons(tmp_path: Path) -> None:
    from ui.search import results_html, run_search

    settings, _db = _store(tmp_path)
    services = Services.build(settings)
    direct = ProductSearch.of(services.interest).search("waterproof rain jacket", None)
    res = run_search(services, "waterproof rain jacket", False, None, None)
    assert [h.product_id for h in res.hits] == [h.product_id for h in direct.hits] and res.mode == "guest"
    page = results_html(res, "USD")
    assert "data-mode='guest'" in page and page.count("sa-search-hit") == len(res.hits)
    assert all(f"data-product='{h.product_id}'" in page for h in res.hits)
    plain = results_html(run_search(services, "waterproof rain jacket", True, None, None), "USD")
    assert "data-mode='text'" in plain
    assert "<script>" not in results_html(run_search(services, "<script>alert(1)</script>", True, None, None), "USD")


def test_relevance_uses_the_catalog_vectors_exactly(tmp_path: Path) -> None:
    """The search's products run on torch (one thread pool with the encoder); same numbers as numpy."""
    from assistant.interest.search import _matvec

    settings, db = _store(tmp_path)
    svc = InterestService(settings, db)
    vec = svc.encoder.encode_query("warm jacket")
    got = _matvec(torch.from_numpy(np.ascontiguousarray(svc.item_text)), vec)
    assert got.shape == (len(svc.catalog.ids),)
    assert np.allclose(got, svc.item_text @ vec, atol=1e-5)
