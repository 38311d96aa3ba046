"""A serving process runs torch and numpy's BLAS on ``serve_torch_threads`` threads."""

from __future__ import annotations

import torch
from threadpoolctl import threadpool_info, threadpool_limits

from assistant.config import Settings
from assistant.ops.startup import open_services


def _blas_threads() -> set[int]:
    return {int(p["num_threads"]) for p in threadpool_info() if p["user_api"] == "blas"}


def test_open_services_limits_torch_and_blas_threads(shop: Settings) -> None:
    torch_before = torch.get_num_threads()
    with threadpool_limits(limits=2, user_api="blas"):  # restores the test process's own limits after
        assert _blas_threads() == {2}
        services = open_services(shop.model_copy(update={"serve_torch_threads": 1}))
        try:
            assert torch.get_num_threads() == 1
            assert _blas_threads() == {1}
        finally:
            services.db.engine.dispose()
            torch.set_num_threads(torch_before)
