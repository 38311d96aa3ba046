"""The extractive answer backend: replies assembled only from cited passages and store facts.

It never writes a number, date, amount or policy of its own: every sentence is copied from a
passage it cites (or from the store's order records), and Bitext-style placeholders such as
``{{Order Number}}`` are filled from the conversation and the store or replaced by a neutral phrase.

Example:
    >>> fill_placeholders("Your order {{Order Number}} ships via {{Website Name}}.",
    ...                   {"order number": "#JP1001"}, shop_name="Juniper & Pine")
    'Your order #JP1001 ships via the Juniper & Pine website.'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from assistant.retrieval.hybrid import Passage
from assistant.retrieval.text import snippet, split_sentences, tokenize

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")

# Placeholders whose value is a fact (number, date, amount, contact detail): never invented, only
# filled from known values or replaced by a phrase that states nothing.
_NEUTRAL: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"order (number|id)|purchase (number|id)|invoice (number|id)", re.I), "your order number"),
    (re.compile(r"website|site url|web ?site", re.I), "our website"),
    (re.compile(r"company name|store name|shop name", re.I), "our shop"),
    (re.compile(r"phone|telephone|number", re.I), "our customer support contact options"),
    (re.compile(r"email", re.I), "our support email"),
    (re.compile(r"hours|availability|schedule|working days", re.I), "during our support hours"),
    (re.compile(r"amount|fee|price|cost|money|refund value|sum", re.I), "the applicable amount"),
    (re.compile(r"date|deadline|day|time|period|days|weeks", re.I), "the applicable time frame"),
    (re.compile(r"address", re.I), "the address on file"),
    (re.compile(r"name", re.I), "there"),
    (re.compile(r"live chat|chat", re.I), "live chat"),
]


def fill_placeholders(text: str, values: Mapping[str, str], shop_name: str = "") -> str:
    """Replace ``{{Label}}`` with a known value (by lower-case label), else a neutral phrase."""

    def repl(m: re.Match[str]) -> str:
        label = m.group(1).strip()
        key = label.lower()
        if key in values:
            return values[key]
        if shop_name and re.search(r"website|site", key):
            return f"the {shop_name} website"
        if shop_name and re.search(r"company|store|shop", key):
            return shop_name
        for pattern, phrase in _NEUTRAL:
            if pattern.search(key):
                return phrase
        # UI labels ("{{Order History}}", "{{Cancel Order}}") are names of things, not facts.
        return f"**{label}**" if not any(ch.isdigit() for ch in label) else "the relevant section"

    out = _PLACEHOLDER.sub(repl, text)
    return out.replace("our our", "our")


@dataclass(frozen=True)
class Composed:
    """A reply and the passages its ``[n]`` markers refer to, in marker order."""

    text: str
    used: tuple[Passage, ...] = ()
    facts: tuple[str, ...] = ()
    meta: Mapping[str, object] = field(default_factory=dict)


def agent_reply(p: Passage) -> str:
    """The agent's side of an ingested past conversation."""
    answer = p.metadata.get("answer")
    if isinstance(answer, str) and answer.strip():
        return answer.strip()
    text = p.text
    idx = text.find("Agent:")
    return text[idx + len("Agent:") :].strip() if idx >= 0 else text


def policy_body(p: Passage) -> tuple[str, str]:
    """(heading path, passage body) of a policy chunk stored as ``heading\\n\\npassage``."""
    title = str(p.metadata.get("title") or "")
    text = p.text
    if "\n\n" in text:
        head, body = text.split("\n\n", 1)
        return title or head.strip(), body.strip()
    return title, text.strip()


def best_sentences(question: str, text: str, limit: int = 2, min_overlap: int = 1) -> list[str]:
    """The ``limit`` sentences of ``text`` sharing most content words with ``question``, in text order."""
    q = set(tokenize(question))
    sents = [s for s in _policy_units(text) if len(s) > 3]
    if not sents:
        return []
    scored = []
    for i, s in enumerate(sents):
        overlap = len(q & set(tokenize(s)))
        scored.append((overlap, -i, i, s))
    scored.sort(reverse=True)
    chosen = [t for t in scored[:limit] if t[0] >= min_overlap] or scored[:1]
    return [s for *_rest, s in sorted(chosen, key=lambda t: t[2])]


def _policy_units(text: str) -> list[str]:
    # Markdown bullets are the natural unit of a policy; a bullet continues over wrapped lines.
    if re.search(r"^\s*[-*]\s", text, re.M):
        units: list[str] = []
        for line in text.splitlines():
            if re.match(r"^\s*([-*]|\d+\.)\s", line) or not units:
                units.append(line.strip())
            elif line.strip():
                units[-1] += " " + line.strip()
        return [u for u in units if u and not u.startswith("|")]
    return split_sentences(text)


def _trim(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    sents = split_sentences(text)
    out = ""
    for s in sents:
        if len(out) + len(s) + 1 > limit:
            break
        out = f"{out}\n{s}" if out else s
    return out or snippet(text, limit)


class ExtractiveComposer:
    """Builds replies from the best passages; no language model involved.

    ``min_policy_cosine`` is the similarity a policy passage needs to lead the answer;
    ``max_chars`` bounds an adapted past reply; ``policy_margin`` is how much better a past reply must
    match than the best policy passage to lead instead.
    """

    def __init__(
        self, shop_name: str = "", min_policy_cosine: float = 0.3, max_chars: int = 900, policy_margin: float = 0.1
    ) -> None:
        if max_chars < 100:
            raise ValueError("max_chars must be >= 100")
        self.shop_name = shop_name
        self.min_policy_cosine = min_policy_cosine
        self.policy_margin = policy_margin
        self.max_chars = max_chars

    def answer(self, question: str, passages: Sequence[Passage], values: Mapping[str, str] | None = None) -> Composed:
        """Answer a general question from policy passages and past agent replies."""
        values = dict(values or {})
        policies = [p for p in passages if p.collection == "policies"]
        convs = [p for p in passages if p.collection == "conversations"]
        best_policy = policies[0] if policies else None
        best_conv = convs[0] if convs else None
        # Policies are the shop's own word, so they lead unless a past reply matches the question clearly
        # better (a fact only agents knew, e.g. a pickup point that no policy page mentions).
        if best_policy is not None and (
            best_conv is None
            or (
                (best_policy.cosine or 0.0) >= self.min_policy_cosine
                and (best_policy.cosine or 0.0) >= (best_conv.cosine or 0.0) - self.policy_margin
            )
        ):
            parts: list[str] = []
            used: list[Passage] = [best_policy]
            title, body = policy_body(best_policy)
            sents = best_sentences(question, body, limit=2)
            section = title.split(">")[-1].strip() if title else "our policy"
            parts.append(f"Here is what our policy says about **{section}**:")
            parts.extend(f"- {_strip_bullet(s)} [1]" for s in sents)
            for extra in policies[1:2]:
                close = (extra.cosine or 0.0) >= (best_policy.cosine or 0.0) - 0.05
                if close and (extra.cosine or 0.0) >= self.min_policy_cosine and policy_body(extra)[0] != title:
                    more = best_sentences(question, policy_body(extra)[1], limit=1, min_overlap=2)
                    if more and tokenize(question) and set(tokenize(question)) & set(tokenize(more[0])):
                        used.append(extra)
                        parts.append(f"- {_strip_bullet(more[0])} [{len(used)}]")
            return Composed("\n".join(parts), tuple(used), meta={"basis": "policy"})
        if best_conv is not None:
            reply = fill_placeholders(agent_reply(best_conv), values, self.shop_name)
            return Composed(f"{_trim(reply, self.max_chars)} [1]", (best_conv,), meta={"basis": "past_reply"})
        return Composed(
            "I'm sorry, I couldn't find information about that in our help center. "
            "You can ask me about orders, returns, shipping, payments or our products, "
            "or ask to talk to a person.",
            (),
            meta={"basis": "none"},
        )

    def product_answer(self, question: str, product_name: str, reviews: Sequence[Passage]) -> Composed:
        """Answer "is this good for…" from the product's reviews and Q&A, one quoted line per source."""
        if not reviews:
            return Composed(
                f"I couldn't find customer reviews or Q&A about **{product_name}** that answer this yet.",
                (),
                meta={"basis": "none"},
            )
        lines = [f"Here's what customers say about **{product_name}**:"]
        used: list[Passage] = []
        for p in reviews[:3]:
            text = p.text
            if p.metadata.get("kind") == "qa" and "\nA:" in text:
                quote = text.split("\nA:", 1)[1].strip()
                label = "Q&A"
            else:
                quote = " ".join(best_sentences(question, text, limit=2))
                label = "A reviewer"
                rating = p.metadata.get("rating")
                if isinstance(rating, int | float):
                    label = f"A reviewer ({rating:g}/5)"
            used.append(p)
            lines.append(f"- {label}: \u201c{snippet(quote, 280)}\u201d [{len(used)}]")
        return Composed("\n".join(lines), tuple(used), meta={"basis": "reviews"})

    def shopping_answer(self, question: str, products: Sequence[Passage]) -> Composed:
        """Answer "I'm looking for…" with the catalog's closest products, each with a line of its text."""
        lines = ["These products from our catalog match what you're looking for:"]
        for n, p in enumerate(products, start=1):
            name = str(p.metadata.get("name") or "this product")
            price = p.metadata.get("price")
            price_txt = f" (${float(price):,.2f})" if isinstance(price, int | float) and price > 0 else ""
            stock = "" if p.metadata.get("available", True) else " — currently out of stock"
            # The chunk is "name. brand. category. description": quote the description, not the labels.
            labels = {name, str(p.metadata.get("category") or "")}
            sentences = [
                s
                for s in split_sentences(p.text)
                # tags come last, unpunctuated: "waterproof packable rain" is no sentence
                if s.rstrip(". ") not in labels and len(s.split()) >= 4 and s.rstrip()[-1:] in ".!?"
            ]
            body = " ".join(sentences) or p.text
            line = " ".join(best_sentences(question, body, limit=1)) or snippet(body, 160)
            lines.append(f"- **{name}**{price_txt}{stock}: {snippet(_strip_bullet(line), 200)} [{n}]")
        lines.append("Tell me more about how you'll use it and I can narrow it down.")
        return Composed("\n".join(lines), tuple(products), meta={"basis": "catalog"})

    @staticmethod
    def order_status(facts_lines: Sequence[Sequence[str]], missing: Sequence[str]) -> Composed:
        """Order details of the verified customer, straight from the store."""
        parts: list[str] = []
        if facts_lines:
            parts.append("Here are the details I found on your account:")
            for i, lines in enumerate(facts_lines, start=1):
                parts.append(f"- {'; '.join(lines)} [{i}]")
        for order_id in missing:
            parts.append(f"- I couldn't find an order {order_id} on your account. Please check the number.")
        if not parts:
            parts.append("I couldn't find any orders on your account.")
        return Composed("\n".join(parts), (), facts=tuple(line for f in facts_lines for line in f))


def _strip_bullet(text: str) -> str:
    return re.sub(r"^\s*([-*]|\d+\.)\s+", "", text).strip()
