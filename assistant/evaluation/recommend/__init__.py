"""Recommendation evaluation (``shopassist evaluate recommend``): not needed to serve a shop.

* :mod:`.run`: the evaluation itself (request variants, category-filter baselines, AUC, cold start);
* :mod:`.baselines`: popularity, item-kNN and text-only scorers over the full catalog;
* :mod:`.recbole`: RecBole 1.2.1 SASRec in its own virtual environment, cached;
* :mod:`.recbole_runner`: the script that venv's python runs (it imports only RecBole, torch and the
  standard library, never this project).

The runtime modules (``assistant.interest`` and the rest) never import this package; an
import-linter contract in ``pyproject.toml`` checks it.
"""
