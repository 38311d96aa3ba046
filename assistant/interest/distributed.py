"""Data-parallel training of the interest encoder under ``torchrun`` (DistributedDataParallel).

``shopassist train --nproc-per-node N`` starts ``torchrun --standalone --nproc-per-node N -m
assistant.interest.distributed ...``; every process loads the same data from the store, builds the
same model (same seed), wraps it in ``DistributedDataParallel`` (gloo on CPU, nccl on GPU, one GPU
per local rank) and trains on its share of each epoch's batches; DDP averages the gradients, so
every rank holds the same weights after every step. Every rank validates (same weights, same data:
same figures, hence the same early-stopping decision without any message); rank 0 saves the
checkpoint.

With N processes each step sees N batches, so an epoch takes N times fewer steps at N times the
effective batch size: the learning rate is left as configured (AdamW is not very sensitive to it at
N <= 4); the test in ``tests/ops/test_distributed.py`` states the tolerance against one process.

Example:
    $ shopassist train --nproc-per-node 2 --epochs 5 --out data/checkpoints/ddp.pt
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from assistant.interest.models import InterestModel, ModelInputs

REPORT_ENV = "_SHOPASSIST_DDP_REPORT"  # tests: each rank writes its weights digest and scores here


class _LossModule(nn.Module):
    """The model's training loss as ``forward``, which is what DDP hooks its gradient sync on."""

    def __init__(self, model: InterestModel) -> None:
        super().__init__()
        self.model = model

    def forward(
        self,
        items: torch.Tensor,
        events: torch.Tensor,
        text: torch.Tensor | None,
        has_text: torch.Tensor | None,
        targets: torch.Tensor,
        log_q: torch.Tensor | None,
    ) -> torch.Tensor:
        return self.model.loss(ModelInputs(items, events, text, has_text), targets, log_q)


@dataclass
class DistributedTraining:
    """What ``train_model`` asks of a data-parallel run (see its ``distributed`` argument)."""

    rank: int
    world_size: int
    device: str
    seed: int
    ddp: DistributedDataParallel | None = None
    # Per-rank randomness of each batch (text dropout, request phrasing); the batch order itself
    # comes from the shared generator, identical on every rank, so the shards never overlap.
    batch_generator: torch.Generator = field(default_factory=torch.Generator)

    def __post_init__(self) -> None:
        self.batch_generator.manual_seed(self.seed + 1000 * (self.rank + 1))

    def attach(self, model: InterestModel) -> None:
        """Wrap the freshly built model (identical on every rank: same seed; DDP also broadcasts rank 0's)."""
        ids = [torch.device(self.device).index or 0] if self.device.startswith("cuda") else None
        self.ddp = DistributedDataParallel(_LossModule(model), device_ids=ids, find_unused_parameters=True)

    def shard(self, batches: Sequence[np.ndarray]) -> list[np.ndarray]:
        """This rank's batches: every world_size-th, cut to the same count on every rank (same step count)."""
        per_rank = len(batches) // self.world_size
        if per_rank == 0:  # fewer batches than ranks: everyone trains on the first (identical gradients)
            return [batches[0]] if batches else []
        return list(batches[self.rank :: self.world_size][:per_rank])

    def loss(self, batch: ModelInputs, targets: torch.Tensor, log_q: torch.Tensor | None) -> torch.Tensor:
        assert self.ddp is not None, "attach() the model first"
        out: torch.Tensor = self.ddp(batch.items, batch.events, batch.text, batch.has_text, targets, log_q)
        return out


def init_from_env(device_setting: str = "auto") -> DistributedTraining:
    """Join the process group torchrun describes in the environment (RANK, WORLD_SIZE, MASTER_*)."""
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local = int(os.environ.get("LOCAL_RANK", rank))
    use_cuda = device_setting == "cuda" or (device_setting == "auto" and torch.cuda.is_available())
    if use_cuda:
        torch.cuda.set_device(local)
        device, backend = f"cuda:{local}", "nccl"
    else:
        device, backend = "cpu", "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    return DistributedTraining(rank=rank, world_size=world, device=device, seed=0)


def weights_digest(model: nn.Module) -> str:
    """SHA-256 of every parameter and buffer, in name order (equal digests: equal weights)."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def launch(nproc_per_node: int, args: Sequence[str]) -> int:
    """Run the worker below under torchrun; returns its exit status."""
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent)) or shutil.which("torchrun")
    base = [torchrun] if torchrun else [sys.executable, "-m", "torch.distributed.run"]
    cmd = [*base, "--standalone", f"--nproc-per-node={nproc_per_node}", "-m", "assistant.interest.distributed",
           *args]
    return subprocess.call(cmd)


def main(argv: Sequence[str] | None = None) -> int:
    """Worker: one rank of ``shopassist train --nproc-per-node N`` (started by torchrun)."""
    from assistant.config import load_settings
    from assistant.interest.data import leave_one_out, load_from_store
    from assistant.interest.text import TextEncoder
    from assistant.interest.training import ItemFeatures, new_checkpoint_path, save_checkpoint, train_model
    from assistant.store.db import Database

    parser = argparse.ArgumentParser(prog="assistant.interest.distributed")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--model", choices=["fusion", "gated"], default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--report", type=Path, default=None, help="Each rank writes <report>.rank<N>.json.")
    ns = parser.parse_args(argv)
    if ns.report is None and os.environ.get(REPORT_ENV):
        ns.report = Path(os.environ[REPORT_ENV])

    settings = load_settings()
    cfg = settings.interest
    if ns.seed is not None:
        cfg = cfg.model_copy(update={"seed": ns.seed})
    if ns.model is not None:
        cfg = cfg.model_copy(update={"model": ns.model})
    run = init_from_env(settings.device)
    run.seed = cfg.seed
    run.__post_init__()
    try:
        torch.set_num_threads(max(1, (cfg.num_threads or (os.cpu_count() or 1)) // run.world_size))
        db = Database(settings)
        data = load_from_store(db, max_chars=cfg.item_text_max_chars)
        split = leave_one_out(data)
        feats = ItemFeatures.build(
            data.catalog, cfg, TextEncoder(settings.embedding_model, settings.data_dir / "cache" / "interest")
        )
        res = train_model(
            cfg.model, cfg, data, split, feats, device=run.device, epochs=ns.epochs, progress=False,
            distributed=run,
        )
        digest = weights_digest(res.model)
        if ns.report is not None:
            report: dict[str, Any] = {
                "rank": run.rank, "world_size": run.world_size, "digest": digest, "best_valid": res.best_valid,
                "epochs_run": res.epochs_run, "seconds": res.seconds,
            }
            Path(f"{ns.report}.rank{run.rank}.json").write_text(json.dumps(report), encoding="utf-8")
        if run.rank == 0:
            from assistant.interest.blend import fit_served_blend

            # The served blend's weights, chosen on the validation customers (as TrainingService does).
            assert feats.train_request_text is not None
            device = str(next(res.model.parameters()).device)
            blend, _ = fit_served_blend(res.model, data.catalog, split, feats.train_request_text, cfg, device=device)
            path = ns.out or new_checkpoint_path(settings.checkpoint_dir)
            save_checkpoint(path, res, data, feats, blend=blend.to_dict())
            print(
                f"saved {path} after {res.epochs_run} epochs in {res.seconds:.1f}s on {run.world_size} processes; "
                f"validation NDCG@10 {res.best_valid.get('score', 0.0):.4f}; weights {digest[:12]}",
                flush=True,
            )
        dist.barrier()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
