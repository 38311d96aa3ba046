"""The OpenAPI document tells clients (and schema-driven testers) what every route needs: each route
behind a credential declares its security scheme, each role-checked one its role (``x-required-role``),
and the routes without any are exactly the intended public ones. Anonymous calls prove it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from assistant.api.app import create_app
from assistant.api.openapi import ROLE_KEY, api_routes, required_role
from assistant.services import Services

#: Operations anyone may call without a credential (method, path).
PUBLIC = {
    ("get", "/healthz"),
    ("post", "/api/conversations"),  # opening a conversation issues its token
    ("post", "/api/auth/login"),
    ("post", "/api/auth/logout"),
}
#: Operations that read a credential only when one is given (OpenAPI's empty requirement ``{}``).
OPTIONAL = {("get", "/api/search")}
SCHEMES = {"agent": {"AgentSession"}, "admin": {"AgentSession", "AdminToken"}}


@pytest.fixture(scope="module")
def api(services: Services) -> FastAPI:
    settings = services.settings.model_copy(update={"admin_token": SecretStr("an-admin-token-for-tests")})
    return create_app(Services.build(settings), warm=False)


def _operations(app: FastAPI) -> dict[tuple[str, str], dict[str, Any]]:
    return {(m, p): op for p, ops in app.openapi()["paths"].items() for m, op in ops.items()}


def test_every_role_checked_route_declares_its_scheme_and_role(api: FastAPI) -> None:
    ops = _operations(api)
    checked = 0
    for route, path, methods in api_routes(api):
        role = required_role(route)
        for method in methods:
            op = ops[(method.lower(), path)]
            if role is None:
                assert ROLE_KEY not in op, path
                continue
            checked += 1
            declared = {name for req in op.get("security", []) for name in req}
            assert declared & SCHEMES[role], f"{method} {path} declares no credential for {role}"
            assert {} not in op.get("security", []), f"{method} {path}: the credential is required"
            assert op[ROLE_KEY] == role, f"{method} {path}"
    assert checked >= 25
    ingest = ops[("post", "/api/ingest")]
    assert ingest["security"] == [{"AdminToken": []}] and ingest[ROLE_KEY] == "admin"
    scheme = api.openapi()["components"]["securitySchemes"]["AdminToken"]
    assert scheme["type"] == "http" and scheme["scheme"].lower() == "bearer"


def test_the_routes_without_a_credential_are_the_intended_public_ones(api: FastAPI) -> None:
    ops = _operations(api)
    public = {key for key, op in ops.items() if not op.get("security")}
    assert public == PUBLIC
    optional = {key for key, op in ops.items() if {} in op.get("security", [])}
    assert optional == OPTIONAL


def test_anonymous_calls_are_refused_wherever_a_credential_is_declared(api: FastAPI) -> None:
    owner = TestClient(api, client=("10.3.0.2", 50000))
    cid = owner.post("/api/conversations", json={}).json()["conversation_id"]
    bodies = {
        "/messages": {"text": "Where is my order?"},
        "/clicks": {"product_id": "JP-001"},
        "/api/feedback": {"conversation_id": cid, "message_id": 1, "rating": 1},
        "/decision": {"action": "approve"},
        "/reply": {"text": "hello"},
        "/activate": {"name": "x"},
        "/approve": {"ids": [1]},
        "/reject": {"ids": [1]},
    }
    anonymous = TestClient(api, client=("10.3.0.1", 50000))
    refused = 0
    for (method, path), _op in sorted(_operations(api).items()):
        if (method, path) in PUBLIC | OPTIONAL:
            continue
        concrete = path
        for name, value in (
            ("conversation_id", cid),
            ("draft_id", "1"),
            ("candidate_id", "1"),
            ("customer_id", "C001"),
        ):
            concrete = concrete.replace("{" + name + "}", value)
        body = next((b for suffix, b in bodies.items() if path.endswith(suffix)), {})
        r = anonymous.request(method.upper(), concrete, json=body)
        assert r.status_code in (401, 403), f"{method} {path}: {r.status_code} {r.text[:200]}"
        refused += 1
    assert refused >= 30
