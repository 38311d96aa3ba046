"""RecBole SASRec run, executed by the python of RecBole's own venv: ``python recbole_runner.py CONFIG``.

It imports only the standard library, torch and RecBole (the project is not installed in that venv),
trains with the given RecBole config, tests the best checkpoint, ranks the test targets again with
each user's input history masked (our protocol), and prints ``SHOPASSIST_RECBOLE_RESULT {json}`` as
its last stdout line. See :mod:`assistant.evaluation.recommend.recbole` for the protocol, the snapshot
after every epoch (resume) and the time budget.

``metrics`` and ``ranks_of`` restate :mod:`assistant.interest.metrics` (same tie rule) because the
project is not importable here; the unmasked recomputation must reproduce RecBole's own figures,
which checks them.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from logging import getLogger
from typing import Any

import torch

RESULT_PREFIX = "SHOPASSIST_RECBOLE_RESULT "
_orig_load = torch.load


def _load(*args: Any, **kwargs: Any) -> Any:
    # RecBole 1.2.1 reloads its own checkpoints (config object inside) with torch.load, whose default
    # became weights_only=True in torch 2.6. The files are the ones this run wrote: allow full pickle.
    kwargs.setdefault("weights_only", False)
    return _orig_load(*args, **kwargs)


class OutOfTime(Exception):
    """The time budget is used up: test the best checkpoint so far."""


def metrics(ranks: list[torch.Tensor]) -> dict[str, float]:
    """Hit/NDCG/MRR at 10 from 0-based ranks (RecBole's metric names)."""
    r = torch.cat(ranks).double()
    hit = (r < 10).double()
    return {
        "hit@10": float(hit.mean()),
        "ndcg@10": float((hit / torch.log2(r + 2)).mean()),
        "mrr@10": float((hit / (r + 1)).mean()),
    }


def ranks_of(scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """0-based rank of each row's target: items scored higher, plus tied items of lower index."""
    tgt = scores.gather(1, targets[:, None])
    cols = torch.arange(scores.shape[1])[None, :]
    return (scores > tgt).sum(1) + ((scores == tgt) & (cols < targets[:, None])).sum(1)


def _histories(cfg: dict[str, Any], dataset: Any) -> dict[int, torch.Tensor]:
    """Each user's input history for the test target (all but the last item), as RecBole ids."""
    seqs: dict[str, list[str]] = {}
    path = os.path.join(cfg["data_path"], cfg["dataset"], cfg["dataset"] + ".inter")
    with open(path) as fh:
        next(fh)
        for line in fh:
            u, i, _ = line.rstrip("\n").split("\t")
            seqs.setdefault(u, []).append(i)
    uid, iid = dataset.uid_field, dataset.iid_field
    return {
        int(dataset.token2id(uid, u)): torch.as_tensor(dataset.token2id(iid, items[:-1]), dtype=torch.long)
        for u, items in seqs.items()
        if len(items) >= 2
    }


def main(config_path: str) -> dict[str, Any]:
    torch.load = _load
    import recbole
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.utils import get_model, get_trainer, init_logger, init_seed

    with open(config_path) as fh:
        cfg: dict[str, Any] = json.load(fh)
    opts = cfg.pop("shopassist")
    budget = opts.get("max_train_seconds")
    best_ckpt, last_ckpt, state_file = opts["best_checkpoint"], opts["last_checkpoint"], opts["state_file"]

    config = Config(model=cfg["model"], dataset=cfg["dataset"], config_dict=cfg)
    init_seed(config["seed"], config["reproducibility"])
    init_logger(config)
    getLogger().info(config)
    dataset = create_dataset(config)
    getLogger().info(dataset)
    train_data, valid_data, test_data = data_preparation(config, dataset)
    init_seed(config["seed"] + config["local_rank"], config["reproducibility"])
    model = get_model(config["model"])(config, train_data._dataset).to(config["device"])
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)

    state: dict[str, Any] = {"seconds": 0.0, "best_valid_result": None, "train_loss": {}}
    if os.path.exists(state_file) and os.path.exists(last_ckpt) and os.path.exists(best_ckpt):
        with open(state_file) as fh:
            state = json.load(fh)
        trainer.resume_checkpoint(last_ckpt)
        trainer.best_valid_result = state["best_valid_result"]
        trainer.train_loss_dict.update({int(k): v for k, v in state["train_loss"].items()})
    trainer.saved_model_file = best_ckpt
    t0 = time.perf_counter()

    def after_epoch(epoch_idx: int, valid_score: float) -> None:
        # A snapshot after every epoch lets a killed or budget-stopped run resume where it was.
        trainer._save_checkpoint(epoch_idx, verbose=False, saved_model_file=last_ckpt + ".tmp")
        os.replace(last_ckpt + ".tmp", last_ckpt)
        snap = {
            "seconds": state["seconds"] + time.perf_counter() - t0,
            "best_valid_result": {k: float(v) for k, v in dict(trainer.best_valid_result or {}).items()},
            "train_loss": {str(k): float(v) for k, v in trainer.train_loss_dict.items()},
        }
        with open(state_file + ".tmp", "w") as fh:
            json.dump(snap, fh)
        os.replace(state_file + ".tmp", state_file)
        if trainer.cur_step > trainer.stopping_step:
            return  # early stopping ends the run in this epoch anyway
        if budget is not None and time.perf_counter() - t0 > budget:
            raise OutOfTime()

    stopped_by = None
    try:
        trainer.fit(train_data, valid_data, saved=True, show_progress=config["show_progress"], callback_fn=after_epoch)
    except OutOfTime:
        stopped_by = "time budget"
        getLogger().info("time budget of %ss used up: testing the best checkpoint so far", budget)
    if stopped_by is None:
        stopped_by = "early stopping" if trainer.cur_step > trainer.stopping_step else "epoch cap"
    train_seconds = state["seconds"] + time.perf_counter() - t0
    test_result = trainer.evaluate(test_data, load_best_model=True, model_file=best_ckpt, show_progress=False)

    # Our protocol masks each user's input history (RecBole masks none for sequential models).
    history = _histories(cfg, dataset)
    uid = dataset.uid_field
    trainer.model.eval()
    masked: list[torch.Tensor] = []
    unmasked: list[torch.Tensor] = []
    with torch.no_grad():
        for interaction, _hist, positive_u, positive_i in test_data:
            interaction = interaction.to(config["device"])
            scores = trainer.model.full_sort_predict(interaction).view(-1, dataset.item_num).float()
            scores[:, 0] = -math.inf
            rows = scores[positive_u]
            unmasked.append(ranks_of(rows, positive_i))
            for r, u in enumerate(interaction[uid][positive_u].tolist()):
                rows[r, history[u]] = -math.inf
            masked.append(ranks_of(rows, positive_i))

    return {
        "test_result": metrics(masked),
        "test_result_unmasked": {k: float(v) for k, v in dict(test_result).items()},
        "test_result_unmasked_check": metrics(unmasked),
        "best_valid_result": {k: float(v) for k, v in dict(trainer.best_valid_result or {}).items()},
        "best_valid_score": float(trainer.best_valid_score),
        "train_seconds": train_seconds,
        "epochs_run": len(trainer.train_loss_dict),
        "best_epoch": max(trainer.train_loss_dict) - trainer.cur_step * trainer.eval_step,
        "stopped_by": stopped_by,
        "n_users": int(dataset.user_num) - 1,
        "n_items": int(dataset.item_num) - 1,
        "n_interactions": int(dataset.inter_num),
        "recbole_version": recbole.__version__,
        "torch_version": torch.__version__,
    }


if __name__ == "__main__":
    result = main(sys.argv[1])
    sys.stdout.flush()
    print(RESULT_PREFIX + json.dumps(result), flush=True)
