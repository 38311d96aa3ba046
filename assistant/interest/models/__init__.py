"""Interest-encoder models: one module per model, all deriving from :class:`InterestModel`.

Example:
    >>> from assistant.interest.models import build_model  # doctest: +SKIP
"""

from __future__ import annotations

from assistant.interest.models.base import InterestModel, ModelInputs
from assistant.interest.models.fusion import FusionInterestModel
from assistant.interest.models.sasrec import SASRecModel

MODELS: dict[str, type[InterestModel]] = {
    "fusion": FusionInterestModel,
    "gated": FusionInterestModel,
    "sasrec": SASRecModel,
}

__all__ = ["MODELS", "FusionInterestModel", "InterestModel", "ModelInputs", "SASRecModel"]
