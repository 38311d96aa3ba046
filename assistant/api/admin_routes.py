"""The admin area's JSON routes (``/api/admin/*``, admin session required): analytics, collection
statistics, configuration warnings (status), users, interest-encoder checkpoints, forgetting a customer.
Thin: each calls a service.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from assistant.api.auth import AdminUser
from assistant.api.deps import ServiceRoute, ServicesDep
from assistant.services.types import Analytics, CheckpointInfo, NotFound
from assistant.services.users import ForgottenCustomer

router = APIRouter(prefix="/api/admin", tags=["admin"], route_class=ServiceRoute)


class UserOut(BaseModel):
    username: str
    role: str


class ActivateBody(BaseModel):
    name: str


@router.get("/analytics", response_model=Analytics)
def get_analytics(
    services: ServicesDep, user: AdminUser, days: Annotated[int, Query(description="1-365 (clamped).")] = 30
) -> Analytics:
    """Per-day analytics for the last ``days`` days."""
    return services.analytics.summary(user, days=days)


@router.get("/stats")
def get_stats(services: ServicesDep, user: AdminUser) -> dict[str, Any]:
    """Counts per vector collection, SQL table and source."""
    return services.catalog.stats()


class StatusOut(BaseModel):
    warnings: list[str]
    trusted_proxies: list[str]
    untrusted_forwarding: dict[str, Any] | None = None


@router.get("/status", response_model=StatusOut)
def get_status(services: ServicesDep, user: AdminUser) -> StatusOut:
    """Configuration warnings this worker has seen while serving (e.g. X-Forwarded-For from a peer missing from
    ``security.trusted_proxies``: a reverse proxy whose customers all share one address and its limits)."""
    from assistant.security.proxies import forwarding_watch_for

    return StatusOut(
        warnings=services.deployment_warnings(),
        trusted_proxies=list(services.settings.security.trusted_proxies),
        untrusted_forwarding=forwarding_watch_for(services.settings).summary(),
    )


@router.get("/users", response_model=list[UserOut])
def get_users(services: ServicesDep, user: AdminUser) -> list[UserOut]:
    return [UserOut(username=u.username, role=u.role) for u in services.users.accounts(user)]


@router.get("/checkpoints", response_model=list[CheckpointInfo])
def get_checkpoints(services: ServicesDep, user: AdminUser) -> list[CheckpointInfo]:
    """Interest-encoder checkpoints, newest first; ``active`` marks the one serving."""
    return services.training.checkpoints()


@router.post("/checkpoints/activate", response_model=CheckpointInfo)
def post_activate(body: ActivateBody, services: ServicesDep, user: AdminUser) -> CheckpointInfo:
    """Serve recommendations from the checkpoint named ``name`` (one of ``GET /checkpoints``)."""
    known = {c.name: c for c in services.training.checkpoints()}
    if body.name not in known:
        raise NotFound(f"No such checkpoint: {body.name}")
    services.training.activate(known[body.name].path)
    return known[body.name].model_copy(update={"active": True})


@router.delete("/customers/{customer_id}", response_model=ForgottenCustomer)
def delete_customer(customer_id: str, services: ServicesDep, user: AdminUser) -> ForgottenCustomer:
    """Forget a customer: their profile, conversations, events and conversation vectors are deleted,
    their orders and reviews lose the link to them (counts of what went). 404 if the id is unknown."""
    return services.users.forget_customer(user, customer_id)
