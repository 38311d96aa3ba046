"""Answer mining on Bitext (issue 17, req 5): candidates, questions covered, personal details left.

Ingests the Bitext CSV into a data dir (skipped when it is already there; ingestion mines by
itself), re-mines with ``--remine``, and prints one JSON object:

- ``candidates``, ``intents`` (recurring intents in the data), ``candidates_per_intent``;
- ``questions_covered``: distinct customer questions (conversations) the candidates were mined
  from, of ``questions_total``;
- ``with_placeholders``: candidates whose answer holds at least one placeholder;
- ``with_personal_detail_share``: share of candidate texts (answer, question, examples) in which
  the trust issue's detector (:mod:`assistant.security.pii`, the output guard, store-aware) or
  the ingestion redactor's analyzer still finds a personal detail, or a claim. Must be 0.

Usage:
    nice -n 10 python benchmarks/knowledge_mining.py --data-dir /tmp/bitext-store [--remine] [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import delete  # noqa: E402

from assistant.config import Settings  # noqa: E402
from assistant.knowledge.distill import PLACEHOLDER_RE, Distiller  # noqa: E402
from assistant.knowledge.mining import mine  # noqa: E402
from assistant.knowledge.repository import list_candidates  # noqa: E402
from assistant.store.db import Database  # noqa: E402
from assistant.store.models import AnswerCandidate, ApprovedAnswer  # noqa: E402
from assistant.vectors import VectorStore  # noqa: E402
from ingest.pipeline import ingest_paths  # noqa: E402

BITEXT = (REPO.parent / "shared" / "data" / "bitext-customer-support"
          / "Bitext_Sample_Customer_Support_Training_Dataset.csv")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--csv", type=Path, default=BITEXT)
    ap.add_argument("--remine", action="store_true", help="Forget candidates and mine again.")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    settings = Settings(data_dir=args.data_dir, device="cpu")
    db = Database(settings)
    db.migrate()
    vectors = VectorStore(settings)
    started = time.perf_counter()
    if vectors.count("conversations") == 0:
        report = ingest_paths([args.csv], "bitext", settings=settings, db=db, vectors=vectors)
        print(json.dumps({"ingested": report.total("written"), "notes": report.notes}), file=sys.stderr)
    mining_seconds = None
    if args.remine or not list_candidates(db, None, limit=1):
        with db.session() as s:
            s.execute(delete(ApprovedAnswer))
            s.execute(delete(AnswerCandidate))
        t = time.perf_counter()
        mine(settings, db, vectors)
        mining_seconds = round(time.perf_counter() - t, 1)

    with args.csv.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    per_intent = Counter(r["intent"] for r in rows)
    questions_total = len({(r["intent"], r["instruction"]) for r in rows})
    cands = list_candidates(db, None, limit=10_000)

    guard = None
    try:
        guard = importlib.import_module("assistant.security.pii").guard_for(settings, db)
    except (ImportError, AttributeError):
        guard = None
    from ingest.redact import Redactor

    analyzer = Redactor()  # every entity the ingestion redactor knows (email, phone, card, address)
    distiller = Distiller.for_store(settings, db)
    texts: list[tuple[str, bool]] = []  # (text, is an answer: claims count too)
    for c in cands:
        texts.append((c.answer, True))
        texts.extend((q, False) for q in [c.question, *[str(e) for e in c.examples]])
    flagged = []
    for t, is_answer in texts:
        why: list[str] = []
        if guard is not None:
            removed = guard.scrub(t, None, keep_own=False).removed
            why += [r for r in removed if is_answer or r != "claim"]
        why += [k.lower() for k in analyzer.redact(t).found]
        why += distiller.remaining_details(t, claims=is_answer)
        if why:
            flagged.append({"text": t[:200], "found": sorted(set(why))})
    out = {
        "data": str(args.csv.name),
        "rows": len(rows),
        "intents": len(per_intent),
        "recurring_intents": sum(1 for n in per_intent.values() if n >= settings.knowledge.min_conversations),
        "candidates": len(cands),
        "candidates_per_intent": dict(Counter(c.intent for c in cands)),
        "questions_total": questions_total,
        "questions_covered": sum(c.n_conversations for c in cands),
        "with_placeholders": sum(1 for c in cands if PLACEHOLDER_RE.search(c.answer)),
        "texts_checked": len(texts),
        "with_personal_detail": len(flagged),
        "with_personal_detail_share": round(len(flagged) / max(1, len(texts)), 4),
        "detector": "assistant.security.pii + ingest.redact + assistant.knowledge.distill" if guard is not None
        else "ingest.redact + assistant.knowledge.distill",
        "flagged": flagged[:20],
        "mean_consistency": round(sum(c.consistency for c in cands) / max(1, len(cands)), 3),
        "answers_with_claims": sum(1 for c in cands if distiller.remaining_details(c.answer) and "claim" in
                                   distiller.remaining_details(c.answer)),
        "mining_seconds": mining_seconds,
        "seconds": round(time.perf_counter() - started, 1),
        "examples": [{"topic": c.topic, "question": c.question, "answer": c.answer[:400],
                      "n_conversations": c.n_conversations, "consistency": c.consistency} for c in cands[:3]],
    }
    text = json.dumps(out, indent=2, ensure_ascii=False)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
