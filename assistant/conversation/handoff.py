"""When to hand a conversation to a human: on request, on repeated low confidence, on anger.

Example:
    >>> policy = HandoffPolicy()
    >>> policy.decide("can I talk to a real person?", confidence=0.9, low_streak=0).reason
    'customer request'
    >>> policy.decide("where is my parcel", confidence=0.9, low_streak=0) is None
    True
    >>> policy.requested("yes please connect me"), policy.requested("how do I connect my lights?")
    (True, False)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_REQUEST = re.compile(
    r"\b((talk|speak|chat|connect|transfer)\w*\b[^.?!]{0,25}\b(human|person|agent|someone|somebody|"
    r"representative|rep|operator|manager|staff|real)|human (agent|being|please)|real (person|human)|"
    r"live agent|customer service (agent|rep)|escalate)\b|转人工|人工客服|真人"
    # "yes please connect me", "can you put me through?": in a support chat, to a person
    r"|\b(?:connect|transfer)\s+me\b(?!\s+(?:to|with)\s+(?:the|my|your)\s+(?:wi-?fi|internet|network|app|printer|phone))"
    r"|\bput\s+me\s+through\b",
    re.IGNORECASE,
)

# A small lexicon is enough here: the goal is catching clearly angry messages, not grading mild ones.
_NEGATIVE = {
    "terrible": 2,
    "horrible": 2,
    "awful": 2,
    "worst": 2,
    "furious": 3,
    "angry": 2,
    "outraged": 3,
    "unacceptable": 3,
    "ridiculous": 2,
    "disgusting": 3,
    "scam": 3,
    "fraud": 3,
    "useless": 2,
    "pathetic": 3,
    "incompetent": 3,
    "livid": 3,
    "fed up": 3,
    "sick of": 2,
    "never again": 3,
    "lawyer": 3,
    "sue": 3,
    "chargeback": 2,
    "disappointed": 1,
    "frustrated": 2,
    "frustrating": 2,
    "annoyed": 1,
    "rude": 2,
    "joke": 1,
    "wtf": 3,
    "hate": 2,
    "garbage": 2,
    "rip off": 3,
    "ripoff": 3,
    "stolen": 1,
    "report you": 3,
    "bbb": 2,
    "waste of": 1,  # "is this tent a waste of money?" is a question, not anger
    "nobody answers": 2,
    "nobody replies": 2,
    "nobody responds": 2,
    "nobody helps": 2,
    "no one answers": 2,
    "no one replies": 2,
    "no one responds": 2,
    "no one helps": 2,
    "still waiting": 1,
    "垃圾": 3,
    "骗子": 3,
    "太差": 2,
    "生气": 2,
}
_NEGATION = re.compile(r"\b(not|never|no|isn't|wasn't|aren't)\s+(\w+\s+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class HandoffDecision:
    reason: str


def negativity(text: str) -> int:
    """A crude anger score: lexicon hits (not negated), shouting and repeated exclamation marks."""
    low = text.lower()
    score = 0
    for term, weight in _NEGATIVE.items():
        for m in re.finditer(r"(?<![a-z])" + re.escape(term) + r"(?![a-z])", low):
            if not _NEGATION.search(low[: m.start()][-25:]):
                score += weight
    if re.search(r"!{2,}|\?!|!\?", text):
        score += 1
    caps = [w for w in re.findall(r"[A-Za-z]{4,}", text) if w.isupper()]
    if len(caps) >= 3:
        score += 2
    return score


class HandoffPolicy:
    """Decides a handoff from the customer's message and the recent confidence history.

    ``low_confidence`` is the confidence under which a turn counts as unsure; ``max_low_turns``
    consecutive unsure turns trigger a handoff; ``anger_threshold`` is the :func:`negativity` score
    that counts as clearly negative.
    """

    def __init__(self, low_confidence: float = 0.35, max_low_turns: int = 2, anger_threshold: int = 4) -> None:
        if not 0.0 <= low_confidence <= 1.0:
            raise ValueError("low_confidence must be in [0, 1]")
        if max_low_turns < 1 or anger_threshold < 1:
            raise ValueError("max_low_turns and anger_threshold must be >= 1")
        self.low_confidence = low_confidence
        self.max_low_turns = max_low_turns
        self.anger_threshold = anger_threshold

    def requested(self, text: str) -> bool:
        return bool(_REQUEST.search(text))

    def decide(self, text: str, confidence: float, low_streak: int) -> HandoffDecision | None:
        """``low_streak`` counts earlier consecutive unsure turns (this one not included)."""
        if self.requested(text):
            return HandoffDecision("customer request")
        if negativity(text) >= self.anger_threshold:
            return HandoffDecision("negative sentiment")
        if confidence < self.low_confidence and low_streak + 1 >= self.max_low_turns:
            return HandoffDecision("repeated low confidence")
        return None
