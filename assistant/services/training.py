"""The interest encoder's lifecycle, shared by ``shopassist train`` and the admin page: train on
the shop's events, evaluate a checkpoint on held-out events, list checkpoints, activate one.

Example:
    >>> result = services.training.train(epochs=5)  # doctest: +SKIP
    >>> result.best_valid["score"]  # doctest: +SKIP
    0.21
    >>> services.training.activate(result.checkpoint)  # doctest: +SKIP
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.config import Settings
from assistant.services.types import CheckpointInfo, Conflict, Invalid, NotFound, TrainingResult
from assistant.store.db import Database

if TYPE_CHECKING:
    from assistant.interest.online import InterestService

#: ``progress(fraction, description)``: what a long run reports (the admin page shows a bar).
Progress = Callable[[float, str], None]


def _quiet(_fraction: float, _desc: str) -> None:
    return None


class TrainingService:
    """Train, evaluate and activate interest-encoder checkpoints (``settings.checkpoint_dir``)."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        interest: Callable[[], InterestService],
        loaded_interest: Callable[[], InterestService | None],
    ) -> None:
        self.settings = settings
        self.db = db
        self._interest = interest
        self._loaded_interest = loaded_interest
        self.lock = threading.Lock()

    def train(
        self,
        *,
        epochs: int | None = None,
        seed: int | None = None,
        model: str | None = None,
        out: Path | None = None,
        activate: bool = True,
        progress: Progress | None = None,
        wait: bool = True,
    ) -> TrainingResult:
        """Train on the events and catalog in the store, save a checkpoint and (``activate``) serve it.

        :class:`Invalid` when the store has no usable data (no schema, no customer with 3+ events),
        :class:`Conflict` with ``wait=False`` when a run is in progress.
        """
        from assistant.interest.blend import fit_served_blend
        from assistant.interest.data import DataError, leave_one_out, load_from_store
        from assistant.interest.text import TextEncoder
        from assistant.interest.training import ItemFeatures, new_checkpoint_path, save_checkpoint, train_model

        report = progress or _quiet
        cfg = self.settings.interest
        if seed is not None:
            cfg = cfg.model_copy(update={"seed": seed})
        if model is not None:
            if model not in ("fusion", "gated"):
                raise Invalid(f"model: expected fusion or gated, got {model!r}")
            cfg = cfg.model_copy(update={"model": model})
        if not self.lock.acquire(blocking=wait):
            raise Conflict("Another training run is in progress. Try again when it finishes.")
        try:
            report(0.05, "Reading events and products")
            try:
                data = load_from_store(self.db, max_chars=cfg.item_text_max_chars)
            except DataError as exc:
                raise Invalid(str(exc)) from None
            except Exception as exc:  # e.g. no schema yet
                raise Invalid(
                    f"cannot read the events/products tables from {self.db.url} ({exc.__class__.__name__}); "
                    "ingest a catalog and events first"
                ) from None
            split = leave_one_out(data)
            if len(split.eval_users) == 0:
                raise Invalid("No customer has 3 or more events yet, so there is nothing to evaluate on.")
            report(0.15, "Embedding product texts")
            encoder = TextEncoder(self.settings.embedding_model, self.settings.data_dir / "cache" / "interest")
            feats = ItemFeatures.build(data.catalog, cfg, encoder)
            report(0.3, "Training")
            res = train_model(cfg.model, cfg, data, split, feats, device=self.settings.device, epochs=epochs)
            # The served ranking's blend weights, chosen on the validation users only (never the test events).
            report(0.85, "Choosing the ranking blend on validation customers")
            assert feats.train_request_text is not None
            device = str(next(res.model.parameters()).device)
            blend, _ = fit_served_blend(res.model, data.catalog, split, feats.train_request_text, cfg, device=device)
            path = out or new_checkpoint_path(self.settings.checkpoint_dir)
            save_checkpoint(path, res, data, feats, blend=blend.to_dict())
        finally:
            self.lock.release()
        if activate:
            report(0.95, "Loading the new model")
            self.activate(path)
        return TrainingResult(
            checkpoint=path,
            model_name=res.model_name,
            epochs_run=res.epochs_run,
            seconds=res.seconds,
            customers=len(data.users),
            products=data.catalog.num_items,
            fingerprint=data.fingerprint(),
            best_valid={k: float(v) for k, v in res.best_valid.items()},
            history=[{k: float(v) for k, v in h.items()} for h in res.history],
            activated=activate,
        )

    def evaluate(self, checkpoint: Path | None = None) -> dict[str, float]:
        """Behavior NDCG@10 / HR@10 / MRR@10 of a checkpoint (default: the active one) on the held-out
        validation events of the store, plus the validation metrics saved with it.

        :class:`Invalid` when the checkpoint was trained on other data than the store holds now.
        """
        from assistant.interest.data import leave_one_out, load_from_store
        from assistant.interest.metrics import ranking_metrics
        from assistant.interest.training import load_checkpoint, rank_targets

        path = checkpoint or self.active()
        if path is None:
            raise NotFound("There is no checkpoint yet: train one first.")
        if not Path(path).is_file():
            raise NotFound(f"No such checkpoint: {path}")
        ck = load_checkpoint(Path(path))
        cfg = self.settings.interest
        data = load_from_store(self.db, max_chars=cfg.item_text_max_chars)
        if list(ck.item_ids) != list(data.catalog.ids):
            raise Invalid(
                f"{Path(path).name} was trained on another catalog (data {ck.fingerprint}, store "
                f"{data.fingerprint()}); retrain to evaluate on this shop's data"
            )
        split = leave_one_out(data)
        if len(split.eval_users) == 0:
            raise Invalid("No customer has 3 or more events yet, so there is nothing to evaluate on.")
        inputs = [split.train_items[u] for u in split.eval_users]
        events = [split.train_events[u] for u in split.eval_users]
        ranks = rank_targets(ck.model, inputs, events, split.valid_target, ck.model.cfg, None, "cpu")
        out = {f"behavior_{k}": float(v) for k, v in ranking_metrics(ranks).items()}
        out.update({f"saved_{k}": float(v) for k, v in dict(ck.meta.get("best_valid") or {}).items()})
        return out

    def checkpoints(self) -> list[CheckpointInfo]:
        """The checkpoints in ``checkpoint_dir``, newest first, with the one serving marked active."""
        d = self.settings.checkpoint_dir
        active = self.active()
        found = sorted(d.glob("*.pt"), key=lambda p: p.stat().st_mtime, reverse=True) if d.is_dir() else []
        return [
            CheckpointInfo(
                path=p,
                name=p.name,
                modified=datetime.fromtimestamp(p.stat().st_mtime, UTC),
                size_bytes=p.stat().st_size,
                active=active is not None and p.resolve() == active.resolve(),
            )
            for p in found
        ]

    def active(self) -> Path | None:
        """The checkpoint serving recommendations (None: untrained, text similarity only)."""
        svc = self._loaded_interest()
        if svc is not None:
            return svc.checkpoint
        d = self.settings.checkpoint_dir
        found = sorted(d.glob("*.pt"), key=lambda p: p.stat().st_mtime) if d.is_dir() else []
        return found[-1] if found else None

    def activate(self, checkpoint: Path) -> None:
        """Serve recommendations from ``checkpoint`` now (over today's catalog)."""
        path = Path(checkpoint)
        if not path.is_file() or path.suffix != ".pt":
            raise NotFound(f"No such checkpoint: {path.name}")
        svc = self._interest()
        svc.refresh_catalog(checkpoint=path)
