"""Validated record models: what every reader's raw dicts must become before anything is stored.

Readers yield :class:`RawItem` (a kind plus a plain dict, with file and line); :func:`validate`
turns one into a typed record or a :class:`Rejection` naming the file, line and field. Adding a
format never touches these models unless it brings a new *kind* of record.

Example:
    >>> from ingest.records import RawItem, validate
    >>> rec = validate(RawItem(kind="review", data={"review_id": "r1", "product_id": "P1",
    ...     "rating": 5, "text": "Great"}, file="r.jsonl", line=1))
    >>> rec.record_id, rec.rating
    ('r1', 5.0)
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from assistant.retrieval.text import strip_markup

Kind = Literal["conversation", "policy", "product", "customer", "order", "event", "review", "qa"]
KINDS: tuple[Kind, ...] = ("product", "customer", "order", "event", "conversation", "policy", "review", "qa")

# Longest free text kept per field; longer text is cut, not rejected, so one pasted log does not
# lose a whole conversation. Well above what the embedder reads (256 word pieces).
MAX_TEXT_CHARS = 100_000
MAX_ID_CHARS = 200

ROLE_ALIASES: dict[str, str] = {
    "customer": "customer",
    "user": "customer",
    "client": "customer",
    "human": "customer",
    "agent": "agent",
    "assistant": "agent",
    "support": "agent",
    "bot": "agent",
    "representative": "agent",
    "system": "system",
    "action": "system",
}

EVENT_ALIASES: dict[str, str] = {
    "view": "view",
    "page_view": "view",
    "pageview": "view",
    "impression": "view",
    "click": "click",
    "cart": "cart",
    "add_to_cart": "cart",
    "addtocart": "cart",
    "add-to-cart": "cart",
    "purchase": "purchase",
    "buy": "purchase",
    "order": "purchase",
    "transaction": "purchase",
    "review": "review",
    "rate": "review",
}


class Rejection(BaseModel):
    """One record (or a whole file) that was skipped, and why.

    Example:
        >>> Rejection(file="a.csv", line=3, field="rating", message="not a number").describe()
        'a.csv:3: rating: not a number'
    """

    model_config = ConfigDict(frozen=True)

    file: str
    line: int | None = None
    field: str = ""
    message: str

    def describe(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.field + ': ' if self.field else ''}{self.message}"


class RawItem(BaseModel):
    """A record as a reader found it: not yet validated. ``line`` is 1-based (row for CSV)."""

    kind: Kind
    data: dict[str, Any]
    file: str
    line: int | None = None


def clean_text(value: object) -> str:
    """NFC-normalised text without control characters (tabs and newlines kept), trimmed."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = unicodedata.normalize("NFC", text)
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text) or "\x7f" in text:
        text = "".join(c for c in text if (ord(c) >= 32 and c != "\x7f") or c in "\t\n\r")
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    return text[:MAX_TEXT_CHARS]


def _id(value: object) -> str:
    if isinstance(value, bool) or value is None:
        raise ValueError("must be a string or number")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, str | int | float):
        raise ValueError(f"must be a string or number, not {type(value).__name__}")
    text = clean_text(value)
    if not text:
        raise ValueError("must not be empty")
    if len(text) > MAX_ID_CHARS:
        raise ValueError(f"is {len(text)} characters; at most {MAX_ID_CHARS}")
    return text


def _opt_id(value: object) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _id(value)


_TIME_FORMATS = ("%b %d, %Y", "%d/%m/%Y %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d")


def _strptime_any(text: str) -> datetime:
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"{text[:40]!r} is not an ISO 8601 time")


def parse_time(value: object) -> datetime | None:
    """ISO 8601 text, a date, or Unix seconds/milliseconds, as an aware UTC datetime.

    Example:
        >>> parse_time("2026-08-02T13:57:00Z").isoformat()
        '2026-08-02T13:57:00+00:00'
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, bool):
        raise ValueError("must be a time, not a boolean")
    elif isinstance(value, int | float):
        seconds = float(value) / 1000.0 if abs(value) > 1e11 else float(value)
        try:
            dt = datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise ValueError(f"Unix time {value!r} is out of range") from exc
    elif isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").replace(".", "", 1).isdigit():
            return parse_time(float(text))
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            dt = _strptime_any(text)
    else:
        raise ValueError(f"must be a time, not {type(value).__name__}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def iso(dt: datetime | None) -> str:
    """ISO text for metadata ("" when unknown: Chroma metadata cannot hold None)."""
    return dt.isoformat() if dt else ""


def content_hash(payload: object) -> str:
    """SHA-256 of the canonical JSON of ``payload``: equal content, equal hash, on any machine."""
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def short_hash(*parts: object) -> str:
    """A 20-hex id from parts (for records that carry no id of their own)."""
    return content_hash([str(p) for p in parts])[:20]


def _address(value: object) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if not isinstance(value, Mapping):
        raise ValueError("must be an object")
    return {clean_text(k)[:50]: clean_text(v)[:300] for k, v in value.items() if v is not None}


Id = Annotated[str, BeforeValidator(_id)]
OptId = Annotated[str | None, BeforeValidator(_opt_id)]
Time = Annotated[datetime | None, BeforeValidator(parse_time)]
Address = Annotated[dict[str, str], BeforeValidator(_address)]


class RecordBase(BaseModel):
    """Common behaviour: a kind, a stable record id, and a content hash over the normalised fields."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=False)
    kind: ClassVar[Kind]

    @property
    def record_id(self) -> str:
        raise NotImplementedError

    def digest(self) -> str:
        return content_hash(self.model_dump(mode="json"))


class Turn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["customer", "agent", "system"]
    text: str
    timestamp: datetime | None = None

    @field_validator("role", mode="before")
    @classmethod
    def _role(cls, value: object) -> str:
        key = str(value).strip().lower() if value is not None else ""
        if key not in ROLE_ALIASES:
            raise ValueError(f"unknown role {str(value)[:30]!r}; expected customer, agent or system")
        return ROLE_ALIASES[key]

    @field_validator("text", mode="before")
    @classmethod
    def _text(cls, value: object) -> str:
        if isinstance(value, dict | list):
            raise ValueError("must be text")
        return clean_text(value)

    @field_validator("timestamp", mode="before")
    @classmethod
    def _time(cls, value: object) -> datetime | None:
        return parse_time(value)


class ConversationRecord(RecordBase):
    """One past service conversation: ordered turns plus optional labels."""

    kind: ClassVar[Kind] = "conversation"

    conversation_id: Id
    turns: list[Turn] = Field(min_length=1, max_length=10_000)
    intent: str = ""
    category: str = ""
    resolution: str = ""
    customer_id: str = ""
    product_ids: list[str] = Field(default_factory=list)
    timestamp: datetime | None = None


    @field_validator("intent", "category", "resolution", "customer_id", mode="before")
    @classmethod
    def _label(cls, value: object) -> str:
        return clean_text(value)[:200] if not isinstance(value, dict | list) else ""

    @field_validator("product_ids", mode="before")
    @classmethod
    def _products(cls, value: object) -> list[str]:
        if value is None or value == "":
            return []
        if isinstance(value, str):
            value = [v for v in value.replace(";", ",").split(",") if v.strip()]
        if not isinstance(value, list):
            raise ValueError("must be a list of product ids")
        return [_id(v) for v in value]

    @field_validator("timestamp", mode="before")
    @classmethod
    def _time(cls, value: object) -> datetime | None:
        return parse_time(value)

    @model_validator(mode="after")
    def _non_empty(self) -> ConversationRecord:
        self.turns = [t for t in self.turns if t.text]
        if not self.turns:
            raise ValueError("turns: every turn is empty")
        if not any(t.role == "customer" for t in self.turns):
            raise ValueError("turns: no customer turn")
        if self.timestamp is None:
            self.timestamp = next((t.timestamp for t in self.turns if t.timestamp), None)
        return self

    @property
    def record_id(self) -> str:
        return self.conversation_id


class PolicyPassage(RecordBase):
    """One passage of a policy document, under its heading path."""

    kind: ClassVar[Kind] = "policy"

    doc: str
    title: str
    section: int = Field(ge=0)
    text: str = Field(min_length=1)

    @field_validator("text", "title", "doc", mode="before")
    @classmethod
    def _clean(cls, value: object) -> str:
        return clean_text(value)

    @property
    def record_id(self) -> str:
        # Heading path plus position: editing a passage replaces it; re-ordering re-ingests.
        return f"{self.doc}#{self.section}"


class VariantRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    variant_id: Id
    options: dict[str, str] = Field(default_factory=dict)
    price: float | None = Field(None, ge=0, le=1e9)
    available: bool = True


    @field_validator("options", mode="before")
    @classmethod
    def _options(cls, value: object) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise ValueError("must be an object of option name -> value")
        return {clean_text(k)[:100]: clean_text(v)[:200] for k, v in value.items()}


class ProductRecord(RecordBase):
    """A catalog product with its variants."""

    kind: ClassVar[Kind] = "product"

    product_id: Id
    name: str = Field(min_length=1, max_length=500)
    category: str = Field("", max_length=500)
    brand: str = Field("", max_length=200)
    description: str = ""
    price: float | None = Field(None, ge=0, le=1e9)
    available: bool | None = None
    tags: list[str] = Field(default_factory=list)
    variants: list[VariantRecord] = Field(default_factory=list, max_length=10_000)


    @field_validator("name", "category", "brand", "description", mode="before")
    @classmethod
    def _clean(cls, value: object) -> str:
        if isinstance(value, list):
            value = ", ".join(clean_text(v) for v in value)
        if isinstance(value, dict):
            raise ValueError("must be text")
        return clean_text(value)

    @field_validator("description")
    @classmethod
    def _no_markup(cls, value: str) -> str:
        # A catalog export's inline style sheet or HTML is no description a customer should read.
        return strip_markup(value)

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: object) -> list[str]:
        if value is None or value == "":
            return []
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list):
            raise ValueError("must be a list of strings")
        return [t for t in (clean_text(v)[:100] for v in value) if t]

    @model_validator(mode="after")
    def _derive(self) -> ProductRecord:
        if self.price is None:
            prices = [v.price for v in self.variants if v.price is not None]
            self.price = min(prices) if prices else None
        if self.available is None:
            self.available = any(v.available for v in self.variants) if self.variants else True
        return self

    @property
    def record_id(self) -> str:
        return self.product_id

    @property
    def text(self) -> str:
        parts = [self.name, self.brand, self.category, self.description, " ".join(self.tags)]
        return ". ".join(p for p in parts if p)


class CustomerRecord(RecordBase):
    """A customer: identity fields are kept (the order-lookup identity check needs them)."""

    kind: ClassVar[Kind] = "customer"

    customer_id: Id
    name: str = Field("", max_length=200)
    email: str | None = Field(None, max_length=320)
    zip: str | None = Field(None, max_length=20)
    address: Address = Field(default_factory=dict)


    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> str:
        if isinstance(value, Mapping):  # τ-bench style {"first_name", "last_name"}
            value = " ".join(clean_text(value.get(k)) for k in ("first_name", "last_name")).strip()
        return clean_text(value)

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: object) -> str | None:
        text = clean_text(value).lower()
        if not text:
            return None
        if "@" not in text or " " in text:
            raise ValueError(f"{text[:40]!r} is not an email address")
        return text

    @field_validator("zip", mode="before")
    @classmethod
    def _zip(cls, value: object) -> str | None:
        return clean_text(value) or None

    @model_validator(mode="after")
    def _zip_from_address(self) -> CustomerRecord:
        if not self.zip and self.address.get("zip"):
            self.zip = self.address["zip"][:20]
        return self

    @property
    def record_id(self) -> str:
        return self.customer_id


class OrderItemRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    product_id: Id
    variant_id: OptId = None
    name: str = ""
    quantity: int = Field(1, ge=1, le=1_000_000)
    price: float | None = Field(None, ge=0, le=1e9)


    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> str:
        return clean_text(value)[:500]


class OrderRecord(RecordBase):
    """An order with its items and (optional) tracking."""

    kind: ClassVar[Kind] = "order"

    order_id: Id
    customer_id: OptId = None
    created_at: datetime | None = None
    status: str = Field(min_length=1, max_length=40)
    items: list[OrderItemRecord] = Field(default_factory=list, max_length=10_000)
    tracking_carrier: str | None = None
    tracking_number: str | None = None
    shipping_address: Address = Field(default_factory=dict)
    total: float | None = None


    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: object) -> str:
        return clean_text(value).lower()

    @field_validator("created_at", mode="before")
    @classmethod
    def _time(cls, value: object) -> datetime | None:
        return parse_time(value)

    @model_validator(mode="before")
    @classmethod
    def _tracking(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("tracking"), Mapping):
            tracking = data["tracking"]
            data = dict(data)
            data.setdefault("tracking_carrier", clean_text(tracking.get("carrier")) or None)
            data.setdefault("tracking_number", clean_text(tracking.get("tracking_number")) or None)
        return data

    @model_validator(mode="after")
    def _total(self) -> OrderRecord:
        if self.total is None and self.items and all(i.price is not None for i in self.items):
            self.total = round(sum((i.price or 0.0) * i.quantity for i in self.items), 2)
        return self

    @property
    def record_id(self) -> str:
        return self.order_id


class EventRecord(RecordBase):
    """A behavior event (view, click, cart, purchase, review)."""

    kind: ClassVar[Kind] = "event"

    customer_id: Id
    product_id: Id
    event_type: Literal["view", "click", "cart", "purchase", "review"]
    timestamp: datetime
    session_id: OptId = None


    @field_validator("event_type", mode="before")
    @classmethod
    def _type(cls, value: object) -> str:
        key = clean_text(value).lower().replace(" ", "_")
        if key not in EVENT_ALIASES:
            raise ValueError(f"unknown event type {key[:30]!r}; expected view, click, cart, purchase or review")
        return EVENT_ALIASES[key]

    @field_validator("timestamp", mode="before")
    @classmethod
    def _time(cls, value: object) -> datetime:
        dt = parse_time(value)
        if dt is None:
            raise ValueError("is required")
        return dt

    @property
    def record_id(self) -> str:
        # Events have no id of their own: the event itself is its identity.
        return short_hash(self.customer_id, self.product_id, self.event_type, iso(self.timestamp), self.session_id)


class ReviewRecord(RecordBase):
    """A product review."""

    kind: ClassVar[Kind] = "review"

    review_id: Id
    product_id: Id
    rating: float | None = Field(None, ge=0, le=10)
    title: str = ""
    text: str
    author_id: OptId = None
    timestamp: datetime | None = None


    @field_validator("title", "text", mode="before")
    @classmethod
    def _clean(cls, value: object) -> str:
        if isinstance(value, dict | list):
            raise ValueError("must be text")
        return clean_text(value)

    @field_validator("rating", mode="before")
    @classmethod
    def _rating(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("timestamp", mode="before")
    @classmethod
    def _time(cls, value: object) -> datetime | None:
        return parse_time(value)

    @model_validator(mode="after")
    def _has_text(self) -> ReviewRecord:
        if not self.text and not self.title:
            raise ValueError("text: review has neither title nor text")
        return self

    @property
    def record_id(self) -> str:
        return self.review_id


class QARecord(RecordBase):
    """A product question with its answer."""

    kind: ClassVar[Kind] = "qa"

    qa_id: Id
    product_id: Id
    question: str = Field(min_length=1)
    answer: str = Field(min_length=1)
    timestamp: datetime | None = None


    @field_validator("question", "answer", mode="before")
    @classmethod
    def _clean(cls, value: object) -> str:
        if isinstance(value, dict | list):
            raise ValueError("must be text")
        return clean_text(value)

    @field_validator("timestamp", mode="before")
    @classmethod
    def _time(cls, value: object) -> datetime | None:
        return parse_time(value)

    @property
    def record_id(self) -> str:
        return self.qa_id


Record = (
    ConversationRecord
    | PolicyPassage
    | ProductRecord
    | CustomerRecord
    | OrderRecord
    | EventRecord
    | ReviewRecord
    | QARecord
)

MODELS: dict[str, type[RecordBase]] = {
    "conversation": ConversationRecord,
    "policy": PolicyPassage,
    "product": ProductRecord,
    "customer": CustomerRecord,
    "order": OrderRecord,
    "event": EventRecord,
    "review": ReviewRecord,
    "qa": QARecord,
}


def _field_name(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc)


def validate(item: RawItem) -> Record | Rejection:
    """Validate one raw item into its typed record, or explain (file, line, field) why not.

    Example:
        >>> validate(RawItem(kind="event", data={"customer_id": "C1"}, file="e.jsonl", line=4)).field
        'product_id'
    """
    model = MODELS[item.kind]
    try:
        return model.model_validate(item.data)  # type: ignore[return-value]
    except ValidationError as exc:
        err = exc.errors()[0]
        field = _field_name(err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        if not field and ": " in msg and msg.split(": ", 1)[0].isidentifier():
            field, msg = msg.split(": ", 1)
        more = len(exc.errors()) - 1
        if more:
            msg += f" (and {more} more error{'s' if more > 1 else ''})"
        return Rejection(file=item.file, line=item.line, field=field, message=msg)
    except (ValueError, TypeError, RecursionError) as exc:  # hostile input that trips a validator
        return Rejection(file=item.file, line=item.line, message=f"invalid record: {exc}"[:500])
