"""Turn stages for products: the product a message refers to, product questions, shopping needs.

A product question is answered from the product's own facts, then its Q&A, then reviews. A
shopping request updates the typed need (type, attributes, uses, price range) and lists the
catalog's products that honour it: the type first, then attributes; price limits are hard."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from assistant.config import ConversationSettings, Settings
from assistant.conversation import understand as cue
from assistant.conversation.catalog import (
    CatalogIndex,
    Match,
    ProductFacts,
    cjk_bigrams,
    free_of_stated,
    head_noun,
    model_codes,
    requested_codes,
    stated_amount,
    stem,
)
from assistant.conversation.compare import (
    asks_choice,
    asks_difference,
    asks_total,
    care_words,
    compare_text,
    compared_quality,
    compared_use,
    comparison,
    difference_text,
    named_parts,
    priced_quantity,
    quality_text,
    quantity_text,
    relative_text,
    relative_weight,
    stated_grams,
    stated_volume,
    total_in_text,
    total_text,
    use_text,
    weight_words,
    which_two_text,
)
from assistant.conversation.compose import Composed, ExtractiveComposer
from assistant.conversation.glossary import (
    CONDITION_WORDS,
    category_zh,
    condition_words,
    conditions_need,
    conditions_read,
    gloss,
    in_chinese,
    kinds_like,
)
from assistant.conversation.state import Need
from assistant.conversation.templates import joined, plural, say
from assistant.conversation.turn import Turn
from assistant.conversation.variants import (
    VariantQuestion,
    asked_option,
    choice_label,
    chosen_price,
    is_colour,
    listed_options,
    matching,
    option_values,
    read_variant_question,
    variant_answer,
)
from assistant.embeddings import MULTILINGUAL_MODELS
from assistant.money import money
from assistant.retrieval.hybrid import HybridRetriever, Passage, QueryEncoder
from assistant.retrieval.text import has_cjk, snippet, split_sentences, tokenize

if TYPE_CHECKING:
    import numpy as np

    from assistant.conversation.meaning import SentenceVectors


# A message starting so asks something ("is the jacket good for hiking?"), it requests nothing.
_ASKS = re.compile(
    r"\s*(?:is|are|was|were|does|do|did|can|could|will|would|should|may|might|has|have|had|what|which|how|why|"
    r"when|where|who)\b",
    re.I,
)
# "and a lantern for it?", "ok, also a pad to go with it": another item asked for, not a question about the one in focus
_ANOTHER_ITEM = re.compile(
    r"\s*(?:(?:ok|okay|and|also|so|then|great|cool)[,!.]?\s+)*(?:(?:what|how)\s+about\s+)?(?:a|an|some)\s+[a-z]", re.I
)
_POLITE = frozenset(["please", "pls", "plz", "thanks", "thx", "asap"])
# Service words that a question about a product's options also uses ("is it in stock?", "price?").
_PRODUCT_SERVICE_WORDS = re.compile(r"\b(?:prices?|stock|items?|products?)\b|价格|库存|商品", re.I)
# A question that is only a product fact's name: "price?", "and the weight?", "sizes?", "in stock?".
_BARE_FACT = re.compile(
    r"^\s*(?:and|so|ok|okay)?[\s,]*(?:the|its|what'?s the|what is the)?\s*(?:price|cost|weight|sizes?|colou?rs?|"
    r"materials?|dimensions|availability|in stock)\s*[?？.!]*\s*$|^\s*(?:多少钱|价格呢?|什么价格)[?？]?\s*$",
    re.I,
)

# "any in stock?", "are they available?", "which ones are in stock?", "都有货吗？": the availability of the
# products listed; no other word ("what sizes are in stock?", "is the second one in stock?").
_AVAILABILITY = re.compile(r"\b(?:in stock|available|availability|sold out|out of stock)\b|有货|现货|库存", re.I)
_LIST_WORD = re.compile(
    r"any|all|which|ones|them|these|those|they|stock|available|availability|sold|out|right|now|currently|still|"
    r"today|items|products|both"
)


# What a product that keeps one cooler (or warmer) says of itself, as stems (see tokenize).
# Too hot or cold in one's sleep ("I sleep hot", "so hot at night", "睡觉太热"): the thing is the bed.
_SLEEP = re.compile(r"\b(?:sleep\w*|at night|nights?|bed\w*)\b|睡", re.I)
_WISH_WORDS = {"cooler": "breathable cool lightweight", "warmer": "warm insulated cozy"}
_COOL = frozenset(["breathabl", "breath", "breathes", "cool", "cooler", "cooling", "airi", "ventil", "lightweight"])
_WARM = frozenset(["warm", "warmth", "warmer", "warmest", "insul", "fleec", "flannel", "thermal", "heat"])


def _suits(product: ProductFacts, wish: str) -> bool:
    """The product suits a customer who is too hot (``"cooler"``: its own text stresses no warmth, and it or
    its Q&A and reviews say it breathes or keeps cool) or too cold (``"warmer"``: its own text says it is
    warm; a review's "warm enough" of a linen cover is no such claim)."""
    if wish == "warmer":
        return bool(_WARM & product.words)
    return not (_WARM & product.words) and bool(_COOL & (product.words | product.extra))


def _states(product: ProductFacts, attribute: str, offered: bool = False) -> bool:
    """The product's text (name, category, tags, description) or what its Q&A and reviews say of it
    states that it meets the need ``attribute`` that weather calls for (see :func:`condition_words`);
    one of its options' values ("color temperature: warm white", "material: fleece", listed in its
    description too) is no such claim, nor a care instruction ("Machine wash warm") or a word the
    description denies ("not waterproof"). An option's name ("waterproof: yes, no") says only that a
    version of it does: a claim when ``offered``.

    Example:
        >>> bulb = ProductFacts("1", "LED Light Bulb", "", "", "Options: color temperature: warm white", 47.0, True,
        ...                     (), (), (), words=frozenset({"warm", "white"}), options=frozenset({"warm", "white"}))
        >>> fleece = ProductFacts("2", "Fleece Jacket", "", "", "", 141.0, True, (), (), (),
        ...                       name_words=frozenset({"fleec"}), words=frozenset({"fleec"}))
        >>> _states(bulb, "warm"), _states(fleece, "warm")
        (False, True)
        >>> camera = ProductFacts("3", "Action Camera", "", "", "Options: waterproof: yes, no", 466.0, True, (), (), (),
        ...                       options=frozenset({"yes", "no"}), option_names=frozenset({"waterproof"}))
        >>> _states(camera, "waterproof"), _states(camera, "waterproof", offered=True)
        (False, True)
    """
    said = condition_words(attribute)
    own = set(tokenize(" ".join([product.name, product.category, *product.tags]))) | care_words(product.description)
    optional = product.options if offered else product.options | product.option_names
    return bool((said & (own | product.extra)) - optional - product.negated)


def _asks_list_stock(text: str) -> bool:
    """Whether the message asks only which of the listed products are in stock.

    Example:
        >>> _asks_list_stock("any in stock?"), _asks_list_stock("are these available?")
        (True, True)
        >>> _asks_list_stock("is it in stock?"), _asks_list_stock("what sizes are in stock?")
        (False, False)
    """
    if not _AVAILABILITY.search(text) or re.search(r"\b(?:it|its|this|that)\b|这个|那个|这款|那款", text, re.I):
        return False
    return all(_LIST_WORD.fullmatch(w) for w in cue.content_words(text))


# "all of them", "都买多少钱": every product listed ("两件都要" is two of them).
_ALL = re.compile(r"\ball\b|全部|所有|(?<!两[个件双款样])(?<!两)都", re.I)

# Words of a question that ask nothing of a product's attributes ("what fuel does it use?": "fuel" asks).
_NO_ATTRIBUTE = re.compile(
    r"us(?:e[ds]?|ing)|comes?|gets?|many|much|kind|type|sort|need|make|made|works?|good|tell|know|says?|exactly|"
    r"actually|really"
)


def _name_head(name: str) -> str:
    """The folded head word of a product name (:func:`~assistant.conversation.catalog.head_noun`): "Alpine
    Wool Hiking Socks, 3-Pack" -> "sock", "Glowworm Rechargeable Headlamp" -> "headlamp".

    Example:
        >>> _name_head("Alpine Wool Hiking Socks, 3-Pack"), _name_head("Collapsible Water Carrier, 10 L")
        ('sock', 'carrier')
    """
    head = head_noun(name)
    return stem(head) if head else ""


_THEY = re.compile(r"\b(?:they|them|these|those)\b", re.I)
# "it" / "this one" / "that one": one product pointed at, not the list ("they", "any").
_SINGULAR_IT = re.compile(r"\b(?:it|this one|that one|this|that)\b", re.I)

class ShoppingStages:
    """Stage mixin of :class:`~assistant.conversation.engine.Assistant` (attributes declared below)."""

    cfg: ConversationSettings
    settings: Settings
    catalog: CatalogIndex
    composer: ExtractiveComposer
    encoder: QueryEncoder
    retrievers: dict[str, HybridRetriever]
    sentences: SentenceVectors

    def _policy_relevant(self, turn: Turn, best_policy: float) -> bool:
        raise NotImplementedError

    def _service_answer(self, turn: Turn, body: str, policies: list[Passage], best_policy: float) -> Composed:
        raise NotImplementedError

    def _retrieve(
        self, turn: Turn, collections: Sequence[str], query: str, query_vec: np.ndarray | None = None
    ) -> list[Passage]:
        raise NotImplementedError

    # --- products and shopping -----------------------------------------------------------------
    def _referenced_product(self, turn: Turn, body: str) -> ProductFacts | None:
        """The product the message is about: named, "the second one", "it", or the one being viewed."""
        st = turn.state
        if cue.asks_suitability(body) and not has_cjk(body):
            # "is it good for hiking?": what follows "for" is the use ("Hiking Boots" are not asked about); the
            # product is named or pointed at before it
            head = re.split(r"\b(?:for|with|on|in|to)\b", body, maxsplit=1, flags=re.I)[0]
            named = self.catalog.named_in(head)
            if named is not None or (cue.has_reference(head) and st.focus):
                return named or self.catalog.get(st.focus)
        # "the pillow I bought is too firm, can I return it?" is about the return, not the pillow's
        # features: one word of a name ("the pillow") names the product only outside service talk.
        # "how much for the first and the third?" after a list: the listed items, not a name holding "first"
        naming = cue.without_ordinals(body) if st.shown else body
        named = self.catalog.named_in(naming, pointed=not cue.is_service_topic(body))
        if (
            named is not None
            and len(st.shown) > 1
            and named.product_id not in st.shown
            and _THEY.search(body)
            and _name_head(named.name) not in set(tokenize(body))
        ):
            # "are they noise cancelling?" after a list of earbuds asks about them, not about the "Noise-Cancelling
            # Headphones" whose name holds the words: a name's describing words alone name no other product
            named = None
        if named is not None:
            return named
        kind = cue.extract_need_phrase(body).noun if cue.helps_with(body) and not has_cjk(body) else None
        if kind and not cue.is_generic_noun(kind) and len(self._type_products(kind) or self._kind_products(kind)) > 1:
            return None  # "is there a tea that helps me sleep?" asks about the teas, not the product in focus
        # ("炉子的保修期是多久？" asks the shop's warranty, as "the warranty on the stove" does)
        if (
            has_cjk(body)
            and not cue.is_shopping(body)
            and not cue.is_policy_topic(body)
            and (cue.asks_opinion(body) or cue.asks_about_product(body))
            # ("这个防水吗？" about the hoodie in focus asks whether it is waterproof: "防水" names no product,
            # though it glosses to a word of a boot's name)
            and not (st.focus and cue.has_reference(body))
        ):
            # "睡袋的评价怎么样？": a product named by its type in Chinese, as "the sleeping bag" names it.
            named = self._glossed_product(body)
            if named is not None:
                return named
        idx = cue.reference_index(body)
        if idx is not None and st.shown:
            try:
                return self.catalog.get(st.shown[idx])
            except IndexError:
                return None
        if turn.events:
            return self.catalog.get(turn.events[-1].product_id)
        if (cue.has_reference(body) or cue.asks_opinion(body)) and st.focus and not cue.is_shopping(body):
            # "is it any good?", and "what are the downsides?" naming nothing: the product in focus
            return self.catalog.get(st.focus)
        focus = self.catalog.get(st.focus)
        # "and in large?" after a question about the backpack: a follow-up with a word of its own text.
        if (
            focus is not None
            and cue.is_follow_up(body)
            and not cue.is_shopping(body)
            and any(w in focus.words or stem(w) in focus.words for w in cue.content_words(body))
        ):
            return focus
        if (
            focus is not None
            and (st.focus_answered or len(st.shown) <= 1)
            and not has_cjk(body)
            and cue.asks_about_product(body)
            and not cue.is_shopping(body)
            and not cue.is_refinement(body)  # ("something lighter?" asks for another product)
            and not cue.is_service_topic(body)
            and not cue.is_policy_topic(body)
            and 0 < len(cue.content_words(body)) <= 3
            and self._about_focus(body, focus)
            and self.catalog.named_by_word(body) is None
        ):
            # "how many lumens?", "how many gears?" right after a question on one product: that product's
            # (names no other kind; a list's products are asked side by side elsewhere)
            return focus
        if not has_cjk(body) and not cue.has_reference(body) and not cue.is_shopping(body) and cue.is_question(body):
            # "is chamomile safe during pregnancy?": a question on a product by its name's own first word
            # ("Chamomile Blossoms"), though a sampler's description lists chamomile too
            return self.catalog.named_by_word(body)
        return None

    def _glossed_product(self, body: str) -> ProductFacts | None:
        """The one product a Chinese message names by its English catalog words (see :func:`gloss`):
        by two words of its name ("睡袋": "sleeping bag"), or the only product of the type named."""
        english = gloss(body)
        if not english:
            return None
        named = self.catalog.named_in(" ".join(english), pointed=False)
        if named is not None:
            return named
        # "头灯防水吗？": "headlamp" names the one headlamp; "waterproof", a word of a boot's name, names
        # no kind. The word that is the head of one product's name (its last word) names it.
        heads = {p.product_id: p for w in english for p in self._only_of_type(w) if stem(w) == _name_head(p.name)}
        if len(heads) == 1:
            return next(iter(heads.values()))
        # "雨衣" (rain jacket): "rain" is a word of one product's name only.
        singles = {p.product_id: p for w in english for p in self._only_of_type(w)}
        if len(singles) == 1:
            return next(iter(singles.values()))
        typed = self.catalog.type_products(english[-1])
        return typed[0] if len(typed) == 1 else None

    def _only_of_type(self, word: str) -> list[ProductFacts]:
        """The one product of the type ``word`` names, or none."""
        typed = self.catalog.type_products(word)
        return typed if len(typed) == 1 else []

    def _by_measure(
        self, need: Need, matches: list[Match], measure: str, order: str, lang: str
    ) -> tuple[list[Match], str]:
        """The matches ordered by the weight (or capacity) their own text states, those stating none after, and
        the lead naming the lightest (biggest…) with its value as written; or saying the catalog states none."""

        def value(p: ProductFacts) -> tuple[float, str] | None:
            if measure == "volume":
                return stated_volume(p.name, p.description)
            grams = stated_grams(p.description)
            return None if grams is None else (grams, weight_words(p.description))

        high = order == "high"
        words = {
            "en": {
                "weight": ("weight", "heaviest" if high else "lightest"),
                "volume": ("capacity", "biggest" if high else "smallest"),
            },
            "zh": {
                "weight": ("重量", "最重" if high else "最轻"),
                "volume": ("容量", "容量最大" if high else "容量最小"),
            },
        }
        named, word = words.get(lang, words["en"])[measure]
        kind = need.describe(lang, currency=self.cfg.currency, many=True)
        valued = [(m, v) for m in matches if (v := value(m.product)) is not None]
        if not valued:
            return matches, say("measure_unknown", lang, measure=named, need=kind, word=word)
        valued.sort(key=lambda mv: mv[1][0], reverse=high)
        ordered = [m for m, _v in valued]
        rest = [m for m in matches if m not in ordered]
        top, (_amount, as_written) = valued[0]
        if len(valued) == 1 and rest:  # one weight stated: no lightest of one
            only = say(
                "measure_only", lang, need=kind, measure=named, name=top.product.name, value=as_written, word=word
            )
            return ordered + rest, only
        stated = say("measure_stated", lang, measure=named) if rest else ""
        lead = say("measure_intro", lang, word=word, need=kind, stated=stated, name=top.product.name, value=as_written)
        return ordered + rest, lead

    def _best_rated(self, turn: Turn, listed: Sequence[ProductFacts]) -> Composed:
        """The listed products ordered by their reviews' average rating (more reviews first on a tie, unreviewed
        last), each with its average and count, the best named first when one is."""
        lang = turn.language

        def key(p: ProductFacts) -> tuple[float, int]:
            return (sum(p.ratings) / len(p.ratings), len(p.ratings)) if p.ratings else (-1.0, 0)

        ranked = sorted(listed, key=key, reverse=True)
        lines: list[str] = []
        for n, p in enumerate(ranked, 1):
            rated = p.rating()
            if rated is None:
                lines.append(f"- {say('no_reviews', lang, name=p.name)} [{n}]")
            else:
                average, scale, count = rated
                line = say("review_average" if count > 1 else "review_single", lang, name=p.name, average=average,
                           scale=scale, count=str(count))
                lines.append(f"- {line} [{n}]")
        best = ranked[0]
        if best.ratings and (len(ranked) == 1 or key(ranked[1]) < key(best)):
            lead = say("best_rated" if len(ranked) > 1 else "only_rated", lang, name=best.name)
        elif not best.ratings:
            lead = say("none_rated", lang)
        else:
            lead = say("rated_intro", lang)
        return self._side_by_side(turn, ranked, "\n".join([lead, *lines]))

    def _about_products(self, turn: Turn, body: str, product: ProductFacts | None) -> Composed | None:
        """A question about the products already in the conversation, answered from their own facts:
        which of them is cheaper or lighter, what they cost together, which options one comes in.
        None when the message is not such a question."""
        count = priced_quantity(body) if not has_cjk(body) else None
        one = product or (self.catalog.get(turn.state.focus) if turn.state.focus_answered else None)
        if count is not None and one is not None:
            # "how much for two?" about the product in focus: that many at its listed price
            text = quantity_text(one, count, turn.language, currency=self.cfg.currency)
            if text is not None:
                return self._side_by_side(turn, [one], text)
        use = compared_use(body) if not has_cjk(body) else None
        if use is not None:
            # "which one is better for flights?" after two were compared: what each one's text says for that use
            compared = self._compared(turn, body, product, total=False)[:3]
            if len(compared) >= 2:
                evidence = [self._use_evidence(p, use) for p in compared]
                if any(evidence):
                    return self._side_by_side(turn, compared, use_text(compared, use, evidence, turn.language))
        if asks_difference(body):  # "what's the difference between the X and the Y?": side by side
            products = self._compared(turn, body, product, total=False)[:3]
            if len(products) >= 2:
                return self._side_by_side(
                    turn, products, difference_text(products, turn.language, currency=self.cfg.currency)
                )
            if len(products) == 1 and asks_choice(body):  # "which should I get?" after a list of one
                return self._only_choice(turn, products[0])
        if cue.asks_best_rated(body) and turn.state.shown:
            # "which one has the best reviews?" after a list: the listed products by their reviews' average rating
            listed = [p for p in (self.catalog.get(i) for i in turn.state.shown) if p is not None]
            if listed:
                return self._best_rated(turn, listed)
        quality = compared_quality(body)
        if quality is not None:
            # "which is warmer, the parka or the fleece?": what each one's own text says of it
            compared = self._compared(turn, body, product, total=False)[:3]
            if len(compared) >= 2:
                lang = turn.language
                english = gloss(quality) if has_cjk(quality) else [quality]
                said = frozenset().union(*(condition_words(w) for w in english)) if english else frozenset()
                named = in_chinese(english[0]) if lang == "zh" and english else quality
                if said:
                    return self._side_by_side(turn, compared, quality_text(compared, named, said, lang, english[0]))
        by = comparison(body)
        if by is None and not asks_total(body) and cue.asks_price(body) and len(cue.reference_indexes(body)) >= 2:
            # "how much for the first and the third?": each listed item pointed at, priced, and their total
            shown = [p for p in (self.catalog.get(i) for i in turn.state.shown) if p is not None]
            at = dict.fromkeys(i % len(shown) for i in cue.reference_indexes(body) if -len(shown) <= i < len(shown))
            pointed = [shown[i] for i in at]
            text = total_text(pointed, turn.language, currency=self.cfg.currency) if len(pointed) >= 2 else None
            if text is not None:
                return self._side_by_side(turn, pointed, text)
        if by is not None or asks_total(body):
            products = self._compared(turn, body, product, total=by is None)
            lang = turn.language
            if by is None and not products:
                # "how much for both?" after three products: the two it names ("the first two"), else
                # ask which two (never a policy passage that shares the word "both").
                listed = [p for p in (self.catalog.get(i) for i in turn.state.shown) if p is not None]
                picked = self._two_named(body, listed)
                if picked is None and len(listed) > 2 and not _ALL.search(body):
                    return self._which_two(turn, listed)
                products = picked or []
            if len(products) >= 2:
                text = (
                    compare_text(products, by, lang, currency=self.cfg.currency)
                    if by is not None
                    else self._total(products, body, lang)
                )
                if text is not None:
                    return self._side_by_side(turn, products, text)
            if len(products) == 1 and by is not None:  # "what's the cheapest one?" after a list of one
                return self._only_choice(turn, products[0])
        listed_answer = self._listed_options(turn, body, product)
        if listed_answer is not None:
            return listed_answer
        plural = product is None or bool(re.search(r"\b(?:they|them|these|those)\b", body, re.I))
        if plural and _asks_list_stock(body) and len(turn.state.shown) > 1:
            # "any in stock?" after a list: which of the listed products are in stock (not a search for "stock").
            listed = [p for p in (self.catalog.get(i) for i in turn.state.shown) if p is not None]
            return self._side_by_side(turn, listed, self._stock_text(listed, turn.language))
        return self._variant_question(turn, body, product)

    @staticmethod
    def _two_named(body: str, listed: Sequence[ProductFacts]) -> list[ProductFacts] | None:
        """The two listed products the message points at ("the first two", "the first and the third"),
        else None."""
        picks: list[ProductFacts] = []
        for i in cue.reference_indexes(body):
            if -len(listed) <= i < len(listed) and listed[i] not in picks:
                picks.append(listed[i])
        return picks if len(picks) == 2 else None

    def _which_two(self, turn: Turn, listed: Sequence[ProductFacts]) -> Composed:
        """Asks which two of the listed products "both" means, each cited; the list stays as it was."""
        composed = self._side_by_side(turn, listed, which_two_text([p.name for p in listed], turn.language))
        turn.confidence = 0.6
        return composed

    def _total(self, products: Sequence[ProductFacts], body: str, language: str) -> str | None:
        """What the products cost together: in the options the message names when one of them has
        variants ("how much for both in small?"), else at their listed prices."""
        asked = [read_variant_question(body, p.variants) if p.variants else None for p in products]
        if not any(q is not None and q.chosen for q in asked):
            return total_text(products, language, currency=self.cfg.currency)
        # The values named, for every product with that option: a parka without an S doesn't come in small.
        named: dict[str, str] = {}
        for q in asked:
            named.update(q.chosen if q is not None else {})
        rows = []
        for p in products:
            keys = {k.lower() for o, _price, _ok in p.variants for k in o}
            chosen = {k: v for k, v in named.items() if k.lower() in keys}
            got = chosen_price(p.variants, chosen) if chosen else (p.price, p.available)
            rows.append((p.name, choice_label(chosen), got))
        return total_in_text(rows, language, currency=self.cfg.currency)

    def _listed_options(self, turn: Turn, body: str, product: ProductFacts | None) -> Composed | None:
        """ "What sizes?" right after a list: the options of each listed product, from their variants.
        None unless the message asks only for an option (no value, no other kind of product) of the
        products just listed."""
        st = turn.state
        listed = [p for p in (self.catalog.get(i) for i in st.shown) if p is not None]
        # "what sizes do they come in?": "they" are the products listed, not the first of them.
        plural = re.search(r"\b(?:they|them|these|those|each)\b|它们|这些|那些", body, re.I)
        if product is not None and (not plural or cue.reference_index(body) is not None or self.catalog.named_in(body)):
            return None
        if len(listed) < 2 or st.focus_answered or cue.reports_misfit(body):
            return None
        questions = [read_variant_question(body, p.variants) for p in listed if p.variants]
        asked = list(dict.fromkeys(k for q in questions if q is not None for k in q.asked))
        if len(asked) != 1 or any(q is not None and q.chosen for q in questions):
            return None
        names = set().union(*(p.name_words for p in listed))
        for word in cue.content_words(body):
            if stem(word) not in names and (self.catalog.type_products(word) or self.catalog.category_named([word])):
                return None  # "what sizes do the boots come in?" after a list of jackets
        text = listed_options([(p.name, p.variants) for p in listed], asked[0], turn.language)
        return self._side_by_side(turn, listed, text)

    def _stock_text(self, products: Sequence[ProductFacts], language: str) -> str:
        """Whether each listed product is in stock, with the options that are, each cited."""
        lines = [say("stock_intro", language)]
        for n, p in enumerate(products, start=1):
            if p.available and not p.variants:
                line = say("in_stock", language, name=p.name)
            elif p.available:
                line = f"**{p.name}**{'：' if language == 'zh' else ': '}{self.composer.product_stock(p, language)}"
            else:
                line = self.composer.product_stock(p, language)
            lines.append(f"- {line} [{n}]")
        return "\n".join(lines)

    @staticmethod
    def _side_by_side(turn: Turn, products: Sequence[ProductFacts], text: str) -> Composed:
        """A reply about several products at once, each cited; "how much for both?" next means these."""
        st = turn.state
        st.shown, st.focus_answered = [p.product_id for p in products], False
        st.shown_orders, st.order_focus, st.topic, st.variant_choice = [], None, "", {}
        turn.shopping = st.need is not None
        turn.products = list(products)
        turn.cite_products = list(products)
        turn.confidence = max(turn.confidence, 0.9)
        return Composed(text, meta={"basis": "product", "product_cited": True})

    def _choice(self, turn: Turn, body: str) -> Composed | None:
        """ "I'll take the cheaper one" after two products, "I'll take it", "I'll go with the glass one": the product
        chosen (the cheaper or pricier of those shown, else the one pointed at or named), confirmed with its price;
        None when the message states no choice or none can be told."""
        if not cue.states_choice(body):
            return None
        st = turn.state
        shown = [p for p in (self.catalog.get(i) for i in st.shown) if p is not None]
        spec = cue.parse_price(body)
        product: ProductFacts | None = None
        if spec is not None and spec.relative and len(shown) >= 2 and all(p.price is not None for p in shown):
            pick = min if spec.relative == "cheaper" else max
            product = pick(shown, key=lambda p: p.price or 0.0)
        else:
            product = self._referenced_product(turn, body)
        unsure = product is None or (product.product_id not in st.shown and not self.catalog.named_in(body))
        if unsure and 2 <= len(shown) <= 3 and cue.has_reference(body):
            # "I'll take it" right after two products side by side: which one
            joiner = "或" if turn.language == "zh" else " or the "
            names = joiner.join(f"**{p.name}**" for p in shown)
            names = names if turn.language == "zh" else f"the {names}"
            turn.confidence = max(turn.confidence, 0.9)
            return Composed(say("chosen_which", turn.language, names=names), meta={"basis": "product"})
        if product is None or product.price is None:
            return None
        st.focus, st.focus_answered = product.product_id, True
        turn.products = [product]
        turn.cite_products = [product]
        turn.confidence = max(turn.confidence, 0.9)
        price = money(product.price, turn.language, self.cfg.currency)
        text = say("chosen", turn.language, name=product.name, price=price)
        return Composed(text, meta={"basis": "product", "product_cited": True})

    def _only_choice(self, turn: Turn, product: ProductFacts) -> Composed:
        """The answer to "which should I get?" when one product is in the conversation: it is the only
        match for the stated need (said so), with what the catalog states about it."""
        lang, need = turn.language, turn.state.need
        text = self.composer.product_overview(product, lang).text.split("\n", 1)
        lead = (
            say("only_choice", lang, name=product.name, need=need.describe(lang, currency=self.cfg.currency))
            if need is not None and (need.product_type or need.type_products or need.category)
            else say("only_choice_plain", lang, name=product.name)
        )
        composed = self._side_by_side(turn, [product], "\n".join([lead, *text[1:]]))
        turn.state.focus = product.product_id
        return composed

    def _named_together(self, body: str) -> list[ProductFacts]:
        """The products a message names one per part ("the X and the Y", "X和Y"), in its order; fewer than two
        when it names fewer."""
        parts = named_parts(body)
        if len(parts) < 2:
            return []
        named: list[ProductFacts] = []
        for part in parts:
            found = self._glossed_product(part) if has_cjk(part) else self.catalog.named_in(part)
            if found is not None and found not in named:
                named.append(found)
        return named

    def _compared(self, turn: Turn, body: str, product: ProductFacts | None, *, total: bool) -> list[ProductFacts]:
        """The products a comparison or a total is about: those the message names ("the X or the Y"),
        the one in focus and one named ("is it lighter than the X?"), else the ones just listed
        (for a total: two of them for "both", all for "all of them")."""
        named: list[ProductFacts] = []
        # ("compare the first two" names no "Darjeeling First Flush": an ordinal points into the list)
        for part in named_parts(cue.without_ordinals(body) if turn.state.shown else body):
            # "帐篷和睡袋哪个轻": each part names a product by its type in Chinese.
            found = (
                self._glossed_product(part)
                if has_cjk(part)
                else self.catalog.named_in(part) or self.catalog.named_by_word(part)
            )
            if found is not None and found not in named:
                named.append(found)
        if len(named) >= 2:
            return named
        st = turn.state
        focus = self.catalog.get(st.focus)
        if len(named) == 1 and focus is not None and focus is not named[0] and cue.has_reference(body):
            return [focus, named[0]]
        shown = [p for p in (self.catalog.get(i) for i in st.shown) if p is not None]
        positions = cue.reference_indexes(body)
        if len(positions) >= 2 and all(-len(shown) <= i < len(shown) for i in positions):
            # "which is better, the first or the second?": those two of the list, not all of it
            picked = [shown[i] for i in dict.fromkeys(i % len(shown) for i in positions)]
            if len(picked) >= 2:
                return picked
        if not total and len(shown) < 2 and not has_cjk(body) and asks_difference(body):
            # "compare the two teapots" after one of them was shown: the kind's products, when it has a few
            for word in reversed(cue.content_words(body)):
                kind = [] if cue.is_generic_noun(word) else self._type_products(word)
                if 2 <= len(kind) <= 3:
                    return kind
        if total and len(shown) != 2 and not _ALL.search(body):
            return []
        return shown

    def _variant_question(self, turn: Turn, body: str, product: ProductFacts | None) -> Composed | None:
        """A question about the options of the product named or in focus ("which colours do you have
        in M then?", "is the size 10 available waterproof?", then "price?"): answered from its
        variants, each option with its price and whether it is in stock. None when the message is
        about something else (another type of product, a service question)."""
        st = turn.state
        focus = self.catalog.get(st.focus)
        target = product or focus
        if target is None or cue.is_service_topic(_PRODUCT_SERVICE_WORDS.sub(" ", body)) or cue.asks_fit(body):
            return None  # ("does it run small?" asks how the sizes fit, not for size S)
        listed = len(st.shown) > 1 and (not st.focus_answered or bool(cue.refined_attributes(body)))
        if product is None and listed and (_SINGULAR_IT.search(body) or len(body.split()) <= 4):
            # "do you have it in clear?" (or just "2 m please") after a list where one listed product comes in a
            # "Clear" (a "2 m"): that one.
            holding = [
                p
                for p in (self.catalog.get(i) for i in st.shown)
                if p is not None and p.variants and (q := read_variant_question(body, p.variants)) and q.chosen
            ]
            if len(holding) == 1:
                target, listed = holding[0], False
        if product is None and (listed or not self._about_focus(body, target)):
            # "any in green?" after a list is about the list, not its first product; "what sizes?" after
            # "are they waterproof?" (answered about one of them) is about that one.
            return None
        question = read_variant_question(body, target.variants) if target.variants else None
        bare = bool(_BARE_FACT.match(body)) and not st.topic
        if question is None and bare and st.variant_choice and target is focus:
            # "price?" right after "is the size 10 available waterproof?": that option's price.
            question = VariantQuestion((), dict(st.variant_choice))
        if question is None:
            if bare and product is None:  # "price?" about the product just discussed
                return self._product_question(turn, target, body, [], 0.0)
            option = asked_option(body)
            if option is None:
                return None
            # "what colours?" of a product whose options hold none: say so, and what it does come in.
            keys = tuple(option_values(target.variants))
            text = say("no_such_option", turn.language, name=target.name, what=option)
            if keys:
                every = VariantQuestion(keys, {})
                text += "\n" + variant_answer(
                    target.name, target.variants, every, turn.language, currency=self.cfg.currency
                )
            else:
                text += " " + say("one_version_short", turn.language)
            st.focus, st.shown, st.variant_choice = target.product_id, [target.product_id], {}
            turn.products, turn.cite_products = [target], [target]
            turn.confidence = max(turn.confidence, 0.9)
            return Composed(text + " [1]" if not keys else text, meta={"basis": "product", "product_cited": True})
        st.focus, st.shown = target.product_id, [target.product_id]
        # "price?" next is about these options, when the product has them ("in purple" it has not).
        st.variant_choice = dict(question.chosen) if matching(target.variants, question.chosen) else {}
        st.shown_orders, st.order_focus = [], None
        st.topic = ""
        turn.shopping = st.need is not None
        turn.products = [target]
        turn.cite_products = [target]
        turn.confidence = max(turn.confidence, 0.9)
        text = variant_answer(target.name, target.variants, question, turn.language, currency=self.cfg.currency)
        if cue.asks_size_choice(body):
            # "I'm 5'10, which size should I get?": the sizes, then what buyers say of their fit in their own words
            # (never a size chart the shop doesn't have)
            return self._with_fit_reviews(turn, target, body, text)
        return Composed(text, meta={"basis": "product", "product_cited": True})

    def _with_fit_reviews(self, turn: Turn, product: ProductFacts, body: str, text: str) -> Composed:
        """The options' answer, then the sentences of up to two of the product's reviews that say how a size fits
        ("I'm 5'10 and the M fits me well."), quoted and cited; those naming the customer's own height first."""
        where = {"product_id": product.product_id}
        found = self.retrievers["reviews"].search(f"{body} fit size fits me tall", where=where, k=8)
        reviews = [p for p in found if p.metadata.get("kind") != "qa"]
        asked = set(re.findall(r"\d+\s*(?:'|’|ft|cm)\s*\d*", body.lower()))
        said: list[tuple[bool, Passage, str]] = []
        for p in reviews:
            hits = [x for x in split_sentences(p.text) if cue.states_fit(x)]
            if hits:
                own = bool(asked) and any(a.replace(" ", "") in h.lower().replace(" ", "") for a in asked for h in hits)
                said.append((own, p, " ".join(hits[:2])))
        said.sort(key=lambda t: not t[0])
        if not said:
            return Composed(text, meta={"basis": "product", "product_cited": True})
        quotes = [f"\u201c{snippet(x, 240)}\u201d [{i + 2}]" for i, (_own, _p, x) in enumerate(said[:2])]
        line = f"{say('from_reviews', turn.language, name=product.name)} {' '.join(quotes)}"
        used = tuple(p for _own, p, _x in said[:2])
        return Composed(f"{text}\n{line}", used, meta={"basis": "product", "product_cited": True})

    def _about_focus(self, body: str, focus: ProductFacts) -> bool:
        """The message names no other kind of product than the one in focus: none of its words is a
        word of another product type's name or a category that the focus's own name lacks."""
        for word in cue.content_words(body):
            if stem(word) in focus.name_words:
                continue
            if self.catalog.type_products(word) or self.catalog.category_named([word]):
                return False
        return True

    def _item_for(self, body: str, product: ProductFacts | None) -> bool:
        """A request worded "toner for a Brother laser printer": it asks for the thing before "for"
        (a type the catalog sells), and the product named after "for" (also a type the catalog
        sells) only says what that thing goes with. Not a question ("is the jacket good for
        hiking?"), and not when the item itself names the product ("the HP cartridge for my printer")."""
        if has_cjk(body):
            return False
        asks_of_it = re.match(r"\s*(?:is|are|does|do|did|can|will|would)\s+(?:it|they)\b", body, re.I)
        if cue.asks_companion(body) and not asks_of_it:
            # "ok and a lantern for it?", "a sleeping pad to go with it": another kind the catalog sells, for use
            # with the thing in focus (not a question about that thing)
            noun = cue.extract_need_phrase(body).noun
            typed = self._type_products(noun) if noun and not cue.is_generic_noun(noun) else []
            if typed and (product is None or product not in typed):
                return True
            # ("and a lantern for it?" in a shop without lanterns: the request, answered "We don't carry…")
            if (
                noun
                and not typed
                and not cue.is_generic_noun(noun)
                and _ANOTHER_ITEM.match(body)
                and not cue.is_service_topic(body)
                and not cue.is_policy_topic(body)
                and (product is None or stem(noun) not in product.name_words)
            ):
                return True
        parts = re.split(r"\s+for\s+", body, maxsplit=1, flags=re.I)
        if len(parts) < 2:
            return False
        item, target = parts
        if not re.search(r"[a-z]", item, re.I) or _ASKS.match(item):
            return False
        phrase = cue.extract_need_phrase(body)
        if phrase.noun is None or cue.is_generic_noun(phrase.noun) or not self._type_products(phrase.noun):
            return False
        goes_with = [w for w in cue.content_words(target) if w not in _POLITE]
        # "toner for my HL-2270DW": a model number the catalog's names carry names the product too.
        coded = self.catalog.with_codes(requested_codes(target, self.catalog.brands))
        if not coded and (not goes_with or not self._type_products(goes_with[-1])):
            return False
        return product is None or self.catalog.named_in(item) is not product

    def _product_question(
        self, turn: Turn, product: ProductFacts, body: str, policies: list[Passage], best_policy: float
    ) -> Composed:
        turn.state.focus = product.product_id
        turn.state.focus_answered = True
        turn.state.variant_choice = {}
        # "can I return it?" now means this product, not a listed order or the order discussed before
        turn.state.shown_orders, turn.state.order_focus = [], None
        turn.shopping = turn.state.need is not None
        if cue.asks_sale(body) and not cue.is_policy_topic(body):
            return self._sale_answer(turn, product)
        where = {"product_id": product.product_id}
        qa = [p for p in self.retrievers["reviews"].search(body, where=where, k=6) if p.metadata.get("kind") == "qa"]
        # "防水吗？" of a product written in English: its shopping words in English ("waterproof") find the sentence
        english = gloss(body) if has_cjk(body) and not has_cjk(product.name) and not cue.asks_opinion(body) else []
        # "炉子带收纳袋吗？": "stove" only names the product; what is asked (a storage bag) has no English
        # here, and the product's name is no answer to it.
        english = [w for w in english if stem(w) not in product.name_words]
        asked = " ".join(english) or body
        composed = self.composer.product_answer(
            asked,
            product,
            qa,
            [],
            turn.language,
            wants_price=cue.asks_price(body),
            wants_stock=cue.asks_stock(body),
            overview=cue.wants_overview(body),
        )
        # what buyers say, and whether it suits a use ("is it good for green tea?"): the product's own text and
        # its reviews answer, never the policy (a section on tea subscriptions shares the word "tea")
        opinion = cue.asks_opinion(body) or (cue.asks_suitability(body) and not cue.is_policy_topic(body))
        if composed.meta.get("basis") == "none" and not opinion and self._policy_relevant(turn, best_policy):
            # Not about the product's features ("it chipped, is that covered?"): the policy answers.
            return self._service_answer(turn, body, policies, best_policy)
        if composed.meta.get("basis") == "none":
            # "is it true to size?": the reviews on fit, whatever words they use ("runs slim", "size up")
            sought = f"{body} fit size runs small large snug" if cue.asks_fit(body) else body
            reviews = [
                p for p in self.retrievers["reviews"].search(sought, where=where, k=6) if p.metadata.get("kind") != "qa"
            ]
            if opinion and not reviews:
                # "睡袋的评价怎么样？": the question shares no words with the reviews (another language):
                # what buyers say is the product's reviews all the same, found by its own name.
                reviews = [
                    p
                    for p in self.retrievers["reviews"].search(product.name, where=where, k=6)
                    if p.metadata.get("kind") != "qa"
                ]
            composed = self.composer.product_answer(body, product, [], reviews, turn.language)
        if composed.meta.get("basis") == "none" and not opinion:
            # "what fuel does the stove use?": no sentence holds "fuel", but "a two-burner propane camp
            # stove" states it; the sentence saying so is found by meaning before "doesn't say".
            said = self._said_by_meaning(product, body)
            if said is not None:
                composed = self.composer.product_said(product, *said, language=turn.language)
        if composed.meta.get("basis") == "none" and not opinion and self._only_names(product, body):
            # "a matcha set", "the earl grey?": the message only names the product (no question on it to find
            # unanswered): what the catalog states about it
            composed = self.composer.product_overview(product, turn.language)
        colours = [w for w in cue.content_words(body) if is_colour(w)]
        if composed.meta.get("basis") == "none" and colours and not opinion:
            # "purple hiking boots?" of a product with no colour of that name (nor any colour option): say so
            lacking = [c for c in colours if not self.catalog.comes_in(product, c)]
            if lacking:
                named = ("、" if turn.language == "zh" else " or ").join(lacking)
                text = say("no_colour", turn.language, name=product.name, colour=named)
                composed = Composed(f"{text} [1]", meta={"basis": "product", "product_cited": True})
        turn.products = [product]

        turn.cite_products = [product] if composed.meta.get("product_cited") else []
        turn.state.topic = ""  # "price?" next is about this product, not the last service question
        turn.confidence = max(turn.confidence, 0.8 if composed.meta.get("basis") != "none" else 0.2)
        return composed

    @staticmethod
    def _only_names(product: ProductFacts, body: str) -> bool:
        """The message says nothing but words of the product's own text and words naming a bundle ("a matcha
        set" of a "Matcha Starter Kit"): it names the product and asks nothing particular of it."""
        if has_cjk(body) or cue.asks_price(body) or cue.asks_stock(body):
            return False
        words = [w for w in cue.content_words(body) if w not in _POLITE]
        rest = [w for w in words if stem(w) not in product.words and not cue.is_bundle_noun(w)]
        return bool(words) and not rest

    @staticmethod
    def _for_audience(product: ProductFacts, said: str, audience: set[str]) -> bool:
        """The product is for the audience asked about ("kids", "dogs", 小孩): its name, category or tags name
        them, or its text, Q&A or reviews say it is for them ("for kids", "kids' sizes"). A word used of
        something else ("dog walks" of a winter boot) does not make it a product for dogs."""
        if not audience & (product.words | product.extra):
            return False
        if has_cjk(said) and {w for w in audience if has_cjk(w)} & product.extra:
            return True  # Chinese text is read by its character pairs: the mention is the evidence
        # "狗" is also read by its English word ("dog"), as an English request's word is: a product's
        # English text mentioning dogs ("dog walks") does not make it one for dogs.
        own = {stem(w) for w in tokenize(" ".join([product.name, product.category, *product.tags]))}
        if audience & own:
            return True
        stems = "|".join(re.escape(w) for w in sorted(audience) if not has_cjk(w))
        if not stems:
            return False
        aud = rf"(?:{stems})\w*"
        text = " ".join([product.description, *(f"{q} {a}" for _i, q, a in product.qa)])
        return bool(
            re.search(rf"\bfor\s+(?:(?:your|my|our|a|the|little|small|young|older)\s+)*{aud}\b", text, re.I)
            or re.search(rf"\b{aud}(?:'s|')|\b{aud}[- ](?:sized?|friendly|safe)\b", text, re.I)
            # ("caffeine-free and naturally sweet; kids like it too")
            or re.search(rf"\b{aud}\s+(?:really\s+)?(?:like|love|enjoy)s?\s+(?:it|them|this)\b", text, re.I)
        )

    def _sale_answer(self, turn: Turn, product: ProductFacts) -> Composed:
        """ "Is it on sale?": the product's price (cited) and the sale or discount its catalog entry
        marks (a tag such as "clearance"), else that the catalog lists none."""
        lang = turn.language
        marks = [t for t in product.tags if cue.asks_sale(t) or re.search(r"\b(?:sale|clearance)\b", t, re.I)]
        note = say("sale_listed", lang, mark=", ".join(marks)) if marks else say("no_sale_listed", lang)
        turn.products, turn.cite_products = [product], [product]
        turn.state.topic = ""  # "price?" next is about this product, not the last service question
        turn.confidence = max(turn.confidence, 0.8)
        text = f"{self.composer.product_price(product, lang)} {note} [1]"
        return Composed(text, meta={"basis": "product", "product_cited": True})

    def _price_with_fee(self, turn: Turn, body: str, fee: str) -> Composed | None:
        """The answer to "how much with shipping?" about the product named or just answered about: its price (cited),
        then what the shop's policy says the fee costs ("Standard: $5.95, free on orders of $75 or
        more"), quoted as for "how much is shipping?". None when no one product is meant."""
        st, lang = turn.state, turn.language
        product = self._referenced_product(turn, body)
        if product is None and (st.focus_answered or len(st.shown) == 1):
            product = self.catalog.get(st.focus)
        if product is None:
            return None
        query = f"{fee}多少钱" if has_cjk(fee) else f"how much is {fee}?"
        with turn.timed("retrieve"):
            policies = self._retrieve(turn, ["policies", "answers"], query)
        price = f"{self.composer.product_price(product, lang)} [1]"
        policy = self.composer.answer(query, policies, lang)
        turn.products, turn.cite_products = [product], [product]
        st.focus, st.focus_answered, st.topic = product.product_id, True, query
        turn.confidence = max(turn.confidence, 0.8)
        if policy.meta.get("basis") == "none" or not policy.used:
            text = f"{price}\n\n{say('unanswered', lang)}"
            st.handoff_offered = True
            return Composed(text, meta={"basis": "product", "product_cited": True})
        # The policy's markers follow the product's citation.
        quoted = re.sub(r"\[(\d+)\]", lambda m: f"[{int(m.group(1)) + 1}]", policy.text)
        return Composed(f"{price}\n\n{quoted}", policy.used, policy.facts, {"basis": "policy", "product_cited": True})

    def _kind_from(self, need: Need, pool: list[ProductFacts] | None) -> list[str]:
        """What the kind asked for starts at when none of it is within the budget ("Our sleeping bags
        start at $219"): the customer learns the kind exists, the list below stays within the budget."""
        lowest = self._lowest_of_kind(need, pool)
        if lowest is None:
            return []
        kind = need.model_copy(update={"price_min": None, "price_max": None, "audience": ""}).describe(
            need.language, currency=self.cfg.currency
        )
        lang = need.language
        price = money(lowest.price or 0.0, lang, self.cfg.currency)
        return [say("kind_from", lang, kind=plural(kind, lang), price=price, name=lowest.name)]

    @staticmethod
    def _lowest_of_kind(need: Need, pool: list[ProductFacts] | None) -> ProductFacts | None:
        """The lowest-priced product of the kind asked for, when the need has a budget (see :meth:`_kind_from`)."""
        priced = [p for p in pool or [] if p.price is not None] if need.type_products else []
        if not priced or (need.price_max is None and need.price_min is None):
            return None
        return min(priced, key=lambda p: p.price or 0.0)

    def _end_of_range(
        self,
        turn: Turn,
        need: Need,
        previous: Need | None,
        shown: list[ProductFacts],
        relative: cue.PriceSpec | None,
        pool: list[ProductFacts] | None,
    ) -> Composed | None:
        """The answer to "anything cheaper?" when nothing of the kind is: the shown product is the lowest-priced of its
        kind (the highest, for "more expensive?"), or the only one the shop carries; the need stays as it
        was. None when the need names no kind or nothing shown has a price."""
        # Of the kind asked: "anything cheaper?" after a sleeping bag over the budget and a chair within it
        # is about sleeping bags (none shown: the kind's own, the lowest-priced of them answers).
        of_kind = [p for p in shown if pool is None or p in pool] or (pool or [])
        priced = [p for p in of_kind if p.price is not None]
        if relative is None or relative.relative is None or not priced or not (need.product_type or need.category):
            return None
        lang = turn.language
        cheaper = relative.relative == "cheaper"
        ref = min(priced, key=lambda p: p.price or 0.0) if cheaper else max(priced, key=lambda p: p.price or 0.0)
        kind = need.model_copy(update={"price_min": None, "price_max": None, "audience": ""}).describe(
            lang, currency=self.cfg.currency
        )
        key = "only_one" if pool is not None and len(pool) == 1 else "lowest_priced" if cheaper else "highest_priced"
        turn.state.need = previous
        turn.state.focus, turn.state.focus_answered = ref.product_id, True
        turn.products, turn.cite_products = [ref], [ref]
        turn.confidence = max(turn.confidence, 0.8)
        text = say(
            key, lang, name=ref.name, price=money(ref.price or 0.0, lang, self.cfg.currency), kind=plural(kind, lang)
        )
        return Composed(f"{text} [1]", meta={"basis": "product", "product_cited": True})

    def _catalog_range(self, turn: Turn) -> Composed:
        """The answer to "what do you sell?": the kinds of products the catalog holds, each with its count and one
        example (cited), and an invitation to say what it is for or the budget."""
        st, lang = turn.state, turn.language
        kinds = self.catalog.kinds()
        if not kinds:
            return Composed(say("no_answer", lang), meta={"basis": "none"})
        examples = [items[0] for _kind, items in kinds]
        lines = [say("catalog_kinds", lang)]
        for n, (kind, items) in enumerate(kinds, start=1):
            named = category_zh(kind) if lang == "zh" else kind
            line = say("catalog_kind", lang, kind=named, count=str(len(items)), example=f"**{items[0].name}**")
            lines.append(f"- {line} [{n}]")
        lines.append(say("catalog_kinds_outro", lang))
        st.need = None
        st.shown, st.focus_answered = [p.product_id for p in examples], False
        st.shown_orders, st.order_focus, st.variant_choice, st.topic = [], None, {}, ""
        st.focus = None
        turn.shopping = True
        turn.products = examples
        turn.cite_products = examples
        turn.confidence = max(turn.confidence, 0.9)
        return Composed("\n".join(lines), meta={"basis": "catalog"})

    def _kinds_sold(self, language: str) -> str:
        """The sentence "We sell camping gear, footwear and kitchen." from the catalog's kinds of products."""
        kinds = [kind for kind, _items in self.catalog.kinds()]
        if not kinds:
            return ""
        if language == "zh":  # the categories in Chinese where their words have a common translation
            return say("we_carry", language, kinds="、".join(category_zh(kind) for kind in kinds))
        listed = kinds[0] if len(kinds) == 1 else f"{', '.join(kinds[:-1])} and {kinds[-1]}"
        return say("we_carry", language, kinds=listed)

    @staticmethod
    def _policy_names(phrase: str, policies: Sequence[Passage]) -> bool:
        """A retrieved policy passage holds the phrase's head word ("gift cards": "card"); with no
        passages given, the caller has not searched the policy and any close passage counts."""
        if not policies:
            return True
        head = set(tokenize(phrase)[-1:]) | cjk_bigrams(phrase)
        return any(head & (set(tokenize(p.text)) | cjk_bigrams(p.text)) for p in policies)

    def _use_evidence(self, product: ProductFacts, use: str) -> tuple[str, bool] | None:
        """The sentence of the product's description, else of one of its reviews, that speaks of ``use``: one
        holding a word of it ("runs" for "running"), else a word close in meaning (``attribute_word_similarity``:
        "planes" for "flights"). (sentence, from a review), or None when none does."""
        asked = [w for w in cue.content_words(use) if len(w) > 2 and not _NO_ATTRIBUTE.fullmatch(w)]
        if not asked:
            return None
        where = {"product_id": product.product_id}
        searched = self.retrievers["reviews"].search(use, where=where, k=6)
        reviews = [p for p in searched if p.metadata.get("kind") != "qa"]
        found = [(s, False) for s in product.sentences()]
        found += [(s, True) for r in reviews for s in split_sentences(r.text) if len(s.split()) > 2]
        stems = {stem(w) for w in asked}
        for sentence, review in found:
            if stems & {stem(w) for w in cue.content_words(sentence)}:
                return sentence, review
        word_min = self.cfg.attribute_word_similarity
        words = list(dict.fromkeys(w for s, _r in found for w in cue.content_words(s) if len(w) > 2))
        if not words or word_min >= 1.0:
            return None
        close = self.sentences.vectors(asked) @ self.sentences.vectors(words).T
        near = {w for j, w in enumerate(words) if float(close[:, j].max()) >= word_min}
        return next(((s, r) for s, r in found if near & set(cue.content_words(s))), None)

    def _said_by_meaning(self, product: ProductFacts, body: str) -> tuple[str, str] | None:
        """The sentence of the product's description (question "") or of an answer in its Q&A (that
        entry's question) that states what the customer asks about in other words: it holds a word
        close in meaning to an asked word that the product's name lacks ("propane" to "fuel"), and is
        close to the question as a whole. None when no sentence does both (the text does not say)."""
        word_min, sentence_min = self.cfg.attribute_word_similarity, self.cfg.attribute_sentence_similarity
        if word_min >= 1.0 or has_cjk(body):
            return None

        def own(words: Sequence[str]) -> list[str]:
            named = product.name_words
            return [w for w in words if len(w) > 2 and not _NO_ATTRIBUTE.fullmatch(w) and not set(tokenize(w)) & named]

        asked = list(dict.fromkeys(own(cue.content_words(body))))
        if not asked:
            return None
        found: list[tuple[str, str]] = [(s, "") for s in product.sentences()]
        for _qid, question, answer in product.qa:
            found += [(s, question) for s in split_sentences(answer) if len(s.split()) > 2 and not has_cjk(s)]
        found = [(s, q) for s, q in found if own(cue.content_words(s))]
        if not found:
            return None
        words = list(dict.fromkeys(w for s, _q in found for w in own(cue.content_words(s))))
        close = self.sentences.vectors(asked) @ self.sentences.vectors(words).T  # asked word x text word
        near = {w for j, w in enumerate(words) if float(close[:, j].max()) >= word_min}
        fitting = [(s, q) for s, q in found if near & set(own(cue.content_words(s)))]
        if not fitting:
            return None
        score = self.sentences.meaning(self.encoder(body))([s for s, _q in fitting])
        best, (sentence, question) = max(zip(score, fitting, strict=True), key=lambda t: t[0])
        return (sentence, question) if best >= sentence_min else None

    def _update_need(
        self, turn: Turn, body: str, qvec: np.ndarray, request: bool = False
    ) -> tuple[Need, str | None, cue.PriceSpec | None]:
        """Fold this message into the shopping need; returns the need, a noun the shop lacks and the
        message's price wording (parsed once per turn). ``request``: the message asks for an item
        without shopping words ("toner for a Brother laser printer")."""
        st = turn.state
        asked = request or cue.is_shopping(body)
        phrase = cue.extract_need_phrase(body)
        phrase = phrase if has_cjk(body) else self._spelled_phrase(phrase)
        instead = self._instead(turn, body)
        if instead is not None and instead[0] is not None:  # "那帐篷呢？": the request for another type
            asked, phrase = True, instead[0]
        price = cue.parse_price(body, around=self.cfg.around_price_tolerance)
        old = st.need
        new_item = phrase.noun is not None and not cue.is_generic_noun(phrase.noun) and asked
        need = Need(language=turn.language) if (old is None or new_item or asked) else old.model_copy()
        missing: str | None = None
        if asked:
            need.product_type = phrase.noun if not cue.is_generic_noun(phrase.noun) else None
            # "rainy" is a word of no product, "rain" is (Rain Shell): it counts in the catalog's form.
            # A colour no product comes in ("purple boots?") is kept: the answer says none does.
            need.attributes = [
                a
                for a in phrase.attributes
                if self.catalog.vocabulary_form(a) or has_cjk(a) or is_colour(a) or cue.free_of(a)
            ]
            need.uses = phrase.uses
            # "anything for kids?": whom it is for limits the products to those that mention them.
            need.audience = next((u for u in phrase.uses if cue.is_audience(u)), "")
            need.uses = [u for u in phrase.uses if u != need.audience]
            # "下雨天徒步穿什么": the uses said in Chinese, in the catalog's English words ("rain", "hiking")
            need.uses = [w for u in need.uses for w in (gloss(u) if has_cjk(u) else [u])]
            # "for a rainy day hike": the weather calls for waterproof things, of whatever kind.
            weather = [
                a for a in conditions_need(need.uses) if a not in need.attributes and self.catalog.vocabulary_form(a)
            ]
            need.attributes = [*need.attributes, *weather]
            need.conditions = conditions_need(need.uses)
            # "有什么保暖的东西吗？": a need said in Chinese that weather calls for ("保暖" is warm) is one too
            said_zh = [g for a in need.attributes if has_cjk(a) for g in gloss(a) if g in CONDITION_WORDS]
            need.conditions = list(dict.fromkeys([*need.conditions, *said_zh]))
            need.type_products, need.category, need.category_inferred = [], None, False
            need.kind_products, need.alternatives = [], []
            noun = need.product_type
            # "What membership levels do you offer?": a service word the catalog never uses makes the
            # whole phrase something the shop does not sell as a product.
            service_word = any(cue.is_service_topic(a) and not self.catalog.is_vocabulary(a) for a in phrase.attributes)
            if noun and service_word:
                missing = " ".join([*phrase.attributes, noun])
            elif noun:
                # ("a gift set": the gift box the catalog has, not a set of cups)
                typed = self._bundle_products(noun, need.attributes) or self._type_products(noun)
                english = gloss(noun) if has_cjk(noun) and self._blind(noun) else []
                alike: list[ProductFacts] = []
                if english:
                    # "绿茶" -> green tea: "green" describes the tea, as in "a green tea"
                    described = [w for w in english[:-1] if self.catalog.vocabulary_form(w)]
                    need.attributes = [*need.attributes, *(w for w in described if w not in need.attributes)]
                    # "背包" -> backpack: the products of its English word, beside those whose Chinese Q&A or
                    # reviews name it; "外套" -> jacket, a kind the catalog names otherwise ("parka", "shell"):
                    # read as "a jacket" is (below), those products with them
                    of_word = self._type_products(english[-1])
                    alike = [] if of_word else self._kind_products(english[-1])
                    ids = {p.product_id for p in [*typed, *of_word, *alike]}
                    typed = [] if alike else [p for p in self.catalog.products if p.product_id in ids]
                    alike = [p for p in self.catalog.products if p.product_id in ids] if alike else []
                alternatives = [(a, self._type_products(a.noun or "")) for a in phrase.alternatives]
                if typed and alternatives and all(products for _a, products in alternatives):
                    # "a tent or a sleeping bag": the products of each type, and each type named.
                    said = {w for a, _products in alternatives for w in [*a.attributes, a.noun or ""]}
                    need.attributes = [a for a in need.attributes if a not in said]
                    need.alternatives = [" ".join([*a.attributes, a.noun or ""]) for a, _products in alternatives]
                    ids = {p.product_id for p in typed} | {p.product_id for _a, ps in alternatives for p in ps}
                    typed = [p for p in self.catalog.products if p.product_id in ids]
                if typed:
                    need.type_products = [p.product_id for p in typed]
                    # "I need a tent" after "I already have a tent": asked for again, no longer left out
                    st.owned = [i for i in st.owned if i not in set(need.type_products)]
                    cats = {p.category for p in typed}
                    need.category = cats.pop() if len(cats) == 1 else None
                elif self.catalog.category_named([noun]):
                    need.category = self.catalog.category_named([noun])
                elif alike or (alike := self._kind_products(noun)):
                    # "a warm jacket" when the catalog calls it a parka: the products of the kind's other
                    # names first, then the rest of their category (the other warm layers) after them.
                    need.kind_products = [p.product_id for p in alike]
                    cats = {p.category for p in alike}
                    if len(cats) == 1:
                        need.category = cats.pop()
                    else:
                        need.type_products = need.kind_products
                elif not has_cjk(noun):
                    best = float(self.catalog.similarity(qvec).max()) if self.catalog.products else 0.0
                    if best < self.cfg.catalog_min_similarity:
                        # "a loyalty program", not "program": the whole phrase the customer wrote.
                        missing = " ".join([*phrase.attributes, noun])
            if missing is None and not has_cjk(body):
                missing = self._by_code(need, body, request)
            if not need.type_products and need.category is None and missing is None and not weather:
                # (Weather cuts across the categories: a rain shell and waterproof boots, not one category.)
                glossed = " ".join(gloss(body)) if self._blind(body) else ""
                cat, score = self.catalog.infer_category(self.encoder(glossed) if glossed else qvec)
                if cat is not None and score >= self.cfg.min_relevance:
                    need.category, need.category_inferred = cat, True
        elif old is not None and (added := self._refined(body)):
            # "any in blue?" after a list of pens: the same pens, now blue ("in purple", a colour no
            # product comes in, too: the answer says none does).
            need.attributes = [*(a for a in added if a not in need.attributes), *need.attributes]
        if instead is not None and instead[0] is None and not cue.is_person(instead[1]):
            need.audience = instead[1]  # "what about for kids?": the same request, for kids
        # ("actually it's for my wife": the same products; a grown-up is no audience products are made for)
        generic = need.product_type is None and not need.type_products and not need.kind_products
        # ("what about a teapot?" after "anything cheaper?" of a tea: "cheaper than that tea" is no budget for teapots)
        carried = old is not None and (not old.price_relative or not new_item)
        if carried and old is not None and new_item and cue.asks_companion(body):
            # "a sleeping bag under $100", then "what about a sleeping pad to go with it?": the budget was the
            # bag's; the pad to go with it is a purchase of its own (unless a budget is said again for it)
            carried = need.product_type == old.product_type
        follow = cue.is_follow_up(body) or generic or turn.returning_to_need
        if price is None and old is not None and need is not old and follow and carried:
            # "what about something for his kitchen?" or "something for cold nights" after "… under $200":
            # the budget still holds until the customer names a kind of product or another budget.
            need.price_min, need.price_max = old.price_min, old.price_max
            need.price_relative = old.price_relative
        if price is not None:
            base = self._price_reference(turn, price.relative)
            if base is not None and price.relative and base.product_id not in st.shown and self._outside(need, base):
                # "cheaper?" right after a question on the Gooseneck Kettle, while the need was another ("for kids"):
                # cheaper kettles, the kind of the product asked about
                head = head_noun(base.name)
                need = Need(language=turn.language, product_type=head)
                need.type_products = [p.product_id for p in self._type_products(head)] or [base.product_id]
                need.category = base.category or None
            if price.relative == "cheaper":
                if base is not None and base.price is not None:
                    need.price_max, need.price_min = round(base.price - 0.01, 2), None
                    need.price_relative = True
            elif price.relative == "pricier":
                if base is not None and base.price is not None:
                    need.price_min, need.price_max = round(base.price + 0.01, 2), None
                    need.price_relative = True
            else:
                need.price_min, need.price_max = price.low, price.high
                need.price_relative = False
        words = [*need.attributes, need.product_type or "", *need.uses]
        need.query = " ".join(w for w in words if w) or (old.query if old else body)
        st.need = need
        return need, missing, price

    @staticmethod
    def _outside(need: Need, product: ProductFacts) -> bool:
        """The product is none of the need's (not of its kind, its other names or its category)."""
        if product.product_id in {*need.type_products, *need.kind_products}:
            return False
        if need.type_products or need.kind_products:
            return True
        return need.category is None or product.category != need.category

    def _price_reference(self, turn: Turn, relative: str | None) -> ProductFacts | None:
        """The product "anything cheaper?" ("more expensive?") is measured against: the one asked about
        after the list ("tell me about the second one", or one not listed, then "cheaper?"), else the highest-priced
        shown
        (the lowest-priced, for "more expensive?"), else the product in focus."""
        st = turn.state
        if relative not in ("cheaper", "pricier"):
            return None
        shown = [p for p in (self.catalog.get(i) for i in st.shown) if p is not None and p.price is not None]
        focus = self.catalog.get(st.focus)
        if focus is not None and focus.price is not None and st.focus not in st.shown and st.focus_answered:
            return focus  # "tell me about the gooseneck kettle" after a list of other things, then "cheaper?"
        if relative == "pricier":
            return min(shown, key=lambda p: p.price or 0.0) if shown else None
        if focus is not None and focus.price is not None and st.focus in st.shown[1:]:
            return focus
        if shown:
            return max(shown, key=lambda p: p.price or 0.0)
        return focus if focus is not None and focus.price else None

    def _heading_kind(self, need: Need, chosen: Sequence[ProductFacts], lang: str) -> str:
        """The need as a heading names the products listed ("jackets under $300"), or "options" when some
        of them are not of the kind asked for (the rest of its category: a beanie is no jacket) or the need
        names nothing."""
        named = need.product_type or need.attributes
        kind = need.describe(lang, currency=self.cfg.currency, many=True) if named else ""
        typed_ids = {*need.type_products, *need.kind_products}
        if typed_ids and any(p.product_id not in typed_ids for p in chosen):
            kind = ""
        return kind or ("商品" if lang == "zh" else "options")

    def _refined(self, body: str) -> list[str]:
        """The attributes a short follow-up adds to the listed kind ("any in green?" -> ["green"]): words
        of the catalog (its text, its variants' options), or a colour that none of it comes in."""
        if _AVAILABILITY.search(body):
            return []  # "any in stock?": availability, not a product described by the word "stock"
        return [a for a in cue.refined_attributes(body) if self.catalog.is_vocabulary(a) or is_colour(a)]

    def _by_code(self, need: Need, body: str, request: bool) -> str | None:
        """A model number in the request ("HP 61 black ink", "a TN450 toner") names products exactly: the
        need's products are those whose name carries it ("61" is not "61XL" nor "60"). Returns the
        customer's words for a model the catalog lacks, None otherwise. In "ink for my HP 6500" the
        model after "for" is the product the item goes with, not the item: it narrows nothing here."""
        item, _, target = (
            re.split(r"\s+(for)\s+", f"{body} for ", maxsplit=1, flags=re.I) if request else (body, "", "")
        )
        typed = [p for p in self.catalog.products if p.product_id in set(need.type_products)]
        wanted = set(requested_codes(target, self.catalog.brands)) if target else set()
        # (a model the product comes in counts too: a case sold "model: Galaxy S24" is made for one)
        made_for = [p for p in typed if wanted and wanted <= p.codes | p.option_codes | model_codes(p.description)]
        if made_for:
            # "toner for my HL-2270DW": the toner whose name or description lists that printer.
            need.type_products = [p.product_id for p in made_for]
        codes = requested_codes(item, self.catalog.brands)
        if not codes:
            return None
        fitting = self.catalog.with_codes(codes, typed) if typed else []
        fitting = fitting or self.catalog.with_codes(codes)
        if not fitting:
            return cue.requested_phrase(item) or " ".join(codes)
        need.type_products = [p.product_id for p in fitting]
        cats = {p.category for p in fitting}
        need.category = cats.pop() if len(cats) == 1 else None
        return None

    def _instead(self, turn: Turn, body: str) -> tuple[cue.NeedPhrase | None, str] | None:
        """A follow-up asking for the last request again, for someone else ("what about for kids?":
        (None, "kids"), the same need for kids) or for another type the catalog sells ("what about
        the tent?", "那帐篷呢？": the new request's phrase). None otherwise ("and to Canada?", "那运费呢？",
        "what about the Basalt?", which names one product). Read once per turn (the engine asks first,
        then the need's update and the shopping stage)."""
        if turn.instead is not None and turn.instead[0] == body:
            return turn.instead[1]
        read = self._read_instead(turn, body)
        turn.instead = (body, read)
        return read

    def _read_instead(self, turn: Turn, body: str) -> tuple[cue.NeedPhrase | None, str] | None:
        found = cue.what_about(body)
        if found is None:
            return None
        kind, words = found
        old = turn.state.need
        if kind == "audience":
            if old is None or not (old.product_type or old.type_products or old.category):
                return None
            return None, words
        noun = words if has_cjk(words) else (cue.content_words(words) or [""])[-1]
        if not noun or cue.is_generic_noun(noun):
            return None
        typed = self._type_products(noun)
        if not typed and has_cjk(noun) and (english := gloss(noun)):
            typed = self._type_products(english[-1])
        if not typed and self.catalog.category_named([noun]) is None and not self._kind_products(noun):
            return None
        if len(typed) == 1 and tokenize(typed[0].name)[:1] == [stem(noun)] != [_name_head(typed[0].name)]:
            # "the Basalt": one product's own name, not a kind of product ("tablets" is a kind, though the
            # only tablet's name is "Tablet": the word is its name's head, what it is)
            return None
        return cue.NeedPhrase(noun), ""

    def _by_weight(
        self,
        turn: Turn,
        need: Need,
        candidates: list[ProductFacts],
        shown: list[ProductFacts],
        relative: Literal["lighter", "heavier"],
    ) -> Composed:
        """Products of the need lighter (heavier) than the one shown (the one in focus, else the first
        listed), by the weights their descriptions state; a product with no stated weight is never
        called lighter. Says so plainly when the shown product states no weight or nothing is lighter."""
        st, lang = turn.state, turn.language
        ref = next((p for p in shown if p.product_id == st.focus), shown[0])
        grams = stated_grams(ref.description)
        turn.shopping = True
        if grams is None:
            turn.products, turn.cite_products = [ref], [ref]
            text = relative_text("unknown_weight", lang, name=ref.name, relative=relative)
            return Composed(text, meta={"basis": "product", "product_cited": True})
        weights = {p.product_id: stated_grams(p.description) for p in candidates if p.product_id != ref.product_id}
        fit = [
            p
            for p in candidates
            if (g := weights.get(p.product_id)) is not None and (g < grams if relative == "lighter" else g > grams)
        ][: self.cfg.shopping_results]
        values = {"name": ref.name, "weight": weight_words(ref.description), "relative": relative}
        if not fit:
            turn.products, turn.cite_products = [ref], [ref]
            text = relative_text(
                "none_relative", lang, need=need.describe(lang, currency=self.cfg.currency, many=True), **values
            )
            return Composed(text, meta={"basis": "product", "product_cited": True})
        st.shown, st.focus, st.shown_orders, st.variant_choice = [p.product_id for p in fit], fit[0].product_id, [], {}
        st.focus_answered = False
        st.order_focus = None
        turn.products, turn.cite_products = fit, fit
        lead = relative_text(
            "relative_intro", lang, need=need.describe(lang, currency=self.cfg.currency, many=True), **values
        )
        return self.composer.shopping_answer(turn.text, fit, lang, lead=lead[:1].upper() + lead[1:])

    def _blind(self, text: str) -> bool:
        """The encoder cannot read ``text`` (Chinese for an English-only model)."""
        return has_cjk(text) and self.settings.embedding_model not in MULTILINGUAL_MODELS

    def _catalog_reading(self, body: str) -> str:
        """The message as the catalog's products are compared to it: a Chinese one by its English shopping
        words when the encoder reads English only ("背包": backpack, "" without any); too hot or cold in
        one's sleep ("I sleep cold", "睡觉太热") is about the bed."""
        words = gloss(body) if self._blind(body) else [body]
        if words and cue.temperature_wish(body) and _SLEEP.search(body) and not re.search(r"\bbed", " ".join(words)):
            words.append("bed")
        return " ".join(words)

    def _type_products(self, noun: str) -> list[ProductFacts]:
        if has_cjk(noun):
            grams = cjk_bigrams(noun)
            return [p for p in self.catalog.products if grams and grams <= p.extra] if grams else []
        typed = self.catalog.type_products(noun)
        if not typed:
            s = stem(noun)
            typed = [p for p in self.catalog.products if s in {stem(t) for t in p.tags}]
        return typed

    def _spelled_phrase(self, phrase: cue.NeedPhrase) -> cue.NeedPhrase:
        """The request's words as the catalog spells them when one is misspelled ("a coffe maker", "hikng boots",
        "a tea pott": "teapot", the two words one of the catalog's); a word of the catalog, or one with no close
        catalog word, stays as written."""
        noun, attributes = phrase.noun, list(phrase.attributes)
        known = noun is None or cue.is_generic_noun(noun)
        known = known or bool(noun and (self._type_products(noun) or self._kind_products(noun)))
        if noun is not None and not known and not self.catalog.is_vocabulary(noun):
            joined_word = f"{attributes[-1]}{noun}" if attributes else ""
            if joined_word and (self.catalog.is_vocabulary(joined_word) or self.catalog.spelled(joined_word)):
                noun, attributes = self.catalog.spelled(joined_word) or joined_word, attributes[:-1]
            else:
                noun = self.catalog.spelled(noun) or noun
        attributes = [self.catalog.spelled(a) or a if not cue.free_of(a) else a for a in attributes]
        if noun == phrase.noun and attributes == phrase.attributes:
            return phrase
        return cue.NeedPhrase(noun, attributes, phrase.uses, phrase.alternatives)

    def _over_budget(
        self, need: Need, pool: list[ProductFacts] | None, need_vec: np.ndarray, wanted: Sequence[str]
    ) -> list[ProductFacts]:
        """The products of the need's kind that have every word ``wanted`` ("temperature control") whatever their
        price, when none within the budget does: above it (the budget's limits lifted, nothing else)."""
        found = self.catalog.search(need_vec, candidates=pool, attributes=need.attributes, uses=need.uses)
        over = [
            m.product
            for m in found
            if all(self.catalog.comes_in(m.product, a) for a in wanted)
            and m.product.price is not None
            and need.price_max is not None
            and m.product.price > need.price_max
        ]
        return over[: self.cfg.shopping_results]

    def _listed(self, turn: Turn, products: list[ProductFacts], lead: str) -> Composed:
        """The products put forward under ``lead``, now the list that "the first one" and "it" point at."""
        st = turn.state
        st.shown, st.focus, st.focus_answered = [p.product_id for p in products], products[0].product_id, False
        st.shown_orders, st.order_focus, st.variant_choice = [], None, {}
        turn.products, turn.cite_products = products, products
        return self.composer.shopping_answer(turn.text, products, turn.language, lead=lead)

    def _helps(self, turn: Turn, body: str, thing: str) -> Composed:
        """ "Which tea helps with a cold?": the products of the kind whose own text, Q&A or reviews speak of it,
        each with the sentence that does (quoted as theirs); none: the catalog does not say, and no product is
        put forward for it (the shop makes no health claim its text does not make)."""
        st, lang = turn.state, turn.language
        noun = cue.extract_need_phrase(body).noun
        generic = noun is None or cue.is_generic_noun(noun)
        kind = [] if generic or noun is None else self._type_products(noun) or self._kind_products(noun)
        pool = kind or list(self.catalog.products)
        wanted = {stem(w) for w in cue.content_words(thing)}
        lines: list[str] = []
        found: list[ProductFacts] = []
        for p in pool:
            if not wanted or not wanted <= (p.words | p.extra) or wanted & p.negated:
                continue
            said = next((t for t in p.sentences() if wanted <= set(tokenize(t))), "")
            label = ""
            if not said:
                where = {"product_id": p.product_id}
                for passage in self.retrievers["reviews"].search(thing, where=where, k=6):
                    text = passage.text
                    hit = next((t for t in split_sentences(text) if wanted <= set(tokenize(t))), "")
                    if hit:
                        said, label = hit, ("顾客评价：" if lang == "zh" else "a customer's review says: ")
                        break
            if not said and wanted <= {stem(w) for t in p.tags for w in tokenize(t)}:
                said = ", ".join(t for t in p.tags if wanted <= set(tokenize(t)))
                label = "标签：" if lang == "zh" else "tagged "
            if not said:
                continue
            found.append(p)
            price = f" ({money(p.price, lang, self.cfg.currency)})" if p.price else ""
            lines.append(f"- **{p.name}**{price}: {label}\"{said.strip()}\" [{len(found)}]")
        turn.shopping = True
        turn.confidence = max(turn.confidence, 0.8)
        many = plural(noun, lang) if kind and noun else ("商品" if lang == "zh" else "products")
        if not found:
            turn.products, turn.cite_products = [], []
            thing_said = thing if lang == "zh" else f"a {thing}"
            return Composed(say("helps_unstated", lang, kind=many, thing=thing_said), meta={"basis": "none"})
        st.shown, st.focus, st.focus_answered = [p.product_id for p in found], found[0].product_id, False
        st.shown_orders, st.order_focus, st.variant_choice = [], None, {}
        turn.products, turn.cite_products = found, found
        text = "\n".join([say("helps_stated", lang, thing=thing), *lines])
        return Composed(text, meta={"basis": "product", "product_cited": True})

    def _bundle_products(self, noun: str, attributes: Sequence[str]) -> list[ProductFacts]:
        """ "a gift set" when the catalog says "gift box": the products whose name or description puts a word the
        customer used before the bundle word ("gift") before any bundle word ("box", "set", "kit"); none
        unless ``noun`` is a bundle word and the request describes it ("a set" alone is every set)."""
        if not cue.is_bundle_noun(noun) or not attributes:
            return []
        said = {stem(a) for a in attributes}
        bundles = {stem(w) for w in ("set", "kit", "box", "pack", "bundle", "collection", "sampler", "hamper")}
        bundles |= {stem(w) for w in ("basket", "assortment", "sets", "kits", "boxes", "packs")}
        found = []
        for p in self.catalog.products:
            for part in (p.name, *p.sentences()):
                words = tokenize(part)
                if any(a in said and b in bundles for a, b in itertools.pairwise(words)):
                    found.append(p)
                    break
        return found

    def _kind_products(self, noun: str) -> list[ProductFacts]:
        """Products whose names carry another name of the kind ``noun`` names ("a warm jacket": the
        "parka" and the rain "shell"), when no product's name or tag carries ``noun`` itself."""
        related = {p.product_id for other in kinds_like(noun) for p in self.catalog.type_products(other)}
        return [p for p in self.catalog.products if p.product_id in related]

    def _owned(self, turn: Turn, body: str) -> str:
        """The words to say when the message tells a kind the customer already has while shopping ("I
        already have a tent"): its products are left out of every later list (``state.owned``)."""
        st = turn.state
        said = cue.already_owned(body)
        if said is None or st.need is None:
            return ""
        noun = cue.extract_need_phrase(said).noun or said
        word = (gloss(noun) or [noun])[-1] if has_cjk(noun) else noun
        kind = self._type_products(word) or self._kind_products(word)
        if not kind:
            return ""
        st.owned = list(dict.fromkeys([*st.owned, *(p.product_id for p in kind)]))
        return say("owned_left_out", turn.language, kind=plural(said if said.isascii() else noun, turn.language))

    def _names_another_kind(self, need: Need | None, body: str) -> bool:
        """``body`` names a kind of product the catalog has ("a jacket", "tents") other than the one
        ``need`` is about: a request of its own, not a refinement of what was shown."""
        noun = cue.extract_need_phrase(body).noun
        if need is None or not noun or cue.is_generic_noun(noun) or has_cjk(noun):
            return False
        if need.product_type and stem(need.product_type) == stem(noun):
            return False
        return bool(self._type_products(noun) or self._kind_products(noun))

    def _which_kind(self, body: str) -> bool:
        """ "Which teapot can go on the stove?", "what kettles work on induction?": a kind the catalog sells and what
        it must do or be, a request for the products of that kind that do (not a question on the product in focus,
        and not the shop's policy). A choice among products already shown is answered before this is asked."""
        kind = cue.which_kind(body)
        if kind is None or has_cjk(body):
            return False
        noun = kind.split()[-1]
        # (a kind of one product, "which laptop has the most RAM?" in a shop with one laptop: that product's question)
        return not cue.is_generic_noun(noun) and len(self._type_products(noun) or self._kind_products(noun)) > 1

    def _bare_kind(self, body: str, product: ProductFacts | None) -> bool:
        """The message only names a kind of product the catalog sells, with words that describe it, whom
        or what it is for, or a budget ("backpacks?", "sleeping bag for kids", "laptops under $2000"): a
        request for that kind, as "do you have backpacks?" is. Not a question, nothing pointed at ("the
        parka?"), no service word, and no product's own name ("Firelight sleeping bag"): a product whose
        name is only words of the kind ("Laptop", "Sleeping Bag") is not named by them."""
        if has_cjk(body) or _ASKS.match(body) or cue.has_reference(body) or cue.is_service_topic(body):
            return False
        if re.search(r"\b(?:the|this|that|these|those|your|my|it|its)\b", body, re.I):
            return False
        phrase = cue.extract_need_phrase(body)
        noun = phrase.noun
        if not noun or cue.is_generic_noun(noun) or not (self._type_products(noun) or self._kind_products(noun)):
            return False
        said = {*phrase.attributes, noun, *phrase.uses}
        # ("a tea without caffeine": "caffeine-free" was said)
        asked = cue.content_words(cue.said_free(cue.strip_price(body)))
        rest = [w for w in asked if w not in said and w not in _POLITE]
        if rest:
            return False
        if product is not None:
            words = set(tokenize(body))
            own = self.catalog.own_name(product)
            if (own is not None and own in words) or product.codes & model_codes(body):
                return False
        return True

    def _shopping(
        self,
        turn: Turn,
        body: str,
        qvec: np.ndarray,
        best_policy: float,
        forced: bool = False,
        request: bool = False,
        policies: Sequence[Passage] = (),
    ) -> Composed | None:
        st = turn.state
        thing = cue.helps_with(body) if not has_cjk(body) else None
        if thing is not None:
            return self._helps(turn, body, thing)
        owned = self._owned(turn, body)
        # "show me more": the next products of the need just listed, read as it was
        more = not owned and st.need is not None and bool(st.shown) and cue.asks_more(body)
        if more:
            assert st.need is not None
            body, request, forced = st.need.query or body, False, True
            qvec = self.encoder(body)
        if owned:
            # "I already have a tent" while shopping: the same need again, without that kind.
            assert st.need is not None
            body, request, forced = st.need.query or body, False, True
            qvec = self.encoder(body)
        if forced and not request and not cue.is_shopping(body) and st.need is None:
            noun = cue.extract_need_phrase(body).noun
            # "背包" alone: a kind of product said in Chinese, read by its English word ("backpack").
            english = gloss(noun) if noun and self._blind(noun) and cue.temperature_wish(body) is None else []
            if noun and not cue.is_generic_noun(noun) and (self._type_products(noun) or self._kind_products(noun)):
                # "boots under $100?": a kind the catalog has, asked for; "a coat for winter": a kind
                # the catalog names otherwise ("parka")
                request = True
            elif english and (self._type_products(english[-1]) or self._kind_products(english[-1])):
                request = True
            else:
                st.need = Need(query=body, language=turn.language)
        elif forced and not request and not cue.is_shopping(body) and self._names_another_kind(st.need, body):
            request = True  # "a jacket for winter hiking" after a list of other things: a new request
        elif not forced and not request and not cue.is_shopping(body) and cue.parse_price(body) is not None:
            # "boots under $100?": a kind the catalog has and a budget, asked for (first, or after
            # a list of another kind)
            noun = cue.extract_need_phrase(body).noun
            if st.need is None:
                typed = bool(noun and not cue.is_generic_noun(noun) and not has_cjk(noun))
                request = typed and bool(self._type_products(noun or "") or self._kind_products(noun or ""))
            else:
                request = self._names_another_kind(st.need, body)
        previous = st.need
        if more and previous is not None:
            need, missing, relative = previous.model_copy(), None, None
            st.need = need
        elif owned and previous is not None:
            # The need as it was, not read anew from its query's words ("camping" is no kind to list in
            # Chinese as "符合需求（camping）")
            need, missing, relative = previous.model_copy(), None, None
            if set(need.type_products) <= set(st.owned):
                # "I already have a tent" after tents: the rest of their category (or of the catalog), not tents
                need.product_type, need.type_products, need.kind_products = None, [], []
                words = [*need.attributes, *need.uses]
                need.query = " ".join(words) or need.category or need.query
                qvec = self.encoder(need.query)
            st.need = need
        else:
            need, missing, relative = self._update_need(turn, body, qvec, request)
        # ("I want to commute to work, budget £600": a budget asks for products, whatever policy is close)
        vague = (
            need.product_type is None
            and not need.type_products
            and best_policy >= 0.45
            and cue.parse_price(body, around=self.cfg.around_price_tolerance) is None
            # ("I hike in the rain, what should I get?" asks for products, whatever the encoder's cosines: the
            # multilingual one finds some policy passage above 0.45 for nearly any message)
            and not cue.asks_what_to_get(body)
        )
        if not vague and cue.extract_need_phrase(body).noun is None and self._instead(turn, body) is None:
            # "I need it for my company" names nothing to buy: a service question when the nearest
            # past conversations agree on a service intent ("can I get an invoice? I need it for…").
            intent = turn.intent
            vague = intent.intent not in (None, "product_question") and intent.confidence >= self.cfg.low_confidence
        # A thing the catalog lacks is a service question only when it is worded as one ("a loyalty
        # program") or a policy passage is close to the message: the intent of the nearest past
        # conversations alone ("do you sell bicycles?" reads like "place an order") is no answer.
        # A close policy passage makes it one only when it names the thing: "do you sell gift cards?" is
        # answered by the FAQ on gift cards, "do you sell sunglasses?" not by the returns section.
        service = missing is not None and (
            cue.is_service_topic(missing)
            or (best_policy >= self.cfg.min_relevance and self._policy_names(missing, policies))
        )
        if not forced and (vague or service):
            # "I need a refund", "do you have a loyalty program?": the shopping wording was a
            # service question; the need stays as it was.
            st.need = previous
            return None
        need_vec = self.encoder(need.query) if need.query and need.query != body else qvec
        # Only a request whose product type is a known word ("外套"), not a bare comparison ("更轻一点").
        typed_gloss = bool(need.product_type and gloss(need.product_type))
        english = gloss(need.query or body) if self._blind(body) and typed_gloss else []
        if english:  # the English-only encoder reads the request's English words
            need_vec = self.encoder(" ".join(english))
        pool = (
            [p for p in self.catalog.products if p.product_id in set(need.type_products)]
            if need.type_products
            else None
        )
        if pool is None and need.category:
            pool = [p for p in self.catalog.products if p.category == need.category]
        brands = self.catalog.brands_in(body)
        if pool and brands and (branded := self.catalog.of_brand(pool, brands)):
            pool = branded  # "ink for an Epson printer": Epson's ink, not Canon's
        lang = turn.language
        shown = [p for p in (self.catalog.get(i) for i in st.shown) if p is not None]
        if relative is not None and relative.relative and shown and all(p.price is None for p in shown):
            # "cheaper?" about products the catalog gives no price: say so, never guess an order.
            st.need = previous
            st.handoff_offered = True
            turn.confidence = 0.0
            return Composed(f"{say('no_prices', lang)} {say('offer_handoff', lang)}", meta={"basis": "none"})
        if pool is None and st.shown and relative is not None and relative.relative:
            # "something cheaper?" after speakers means cheaper speakers: the shown products' categories.
            cats = {p.category for p in (self.catalog.get(i) for i in st.shown) if p is not None}
            pool = [p for p in self.catalog.products if p.category in cats]
        k = self.cfg.shopping_results
        # "my bed is too hot": products that keep one cooler, in the kind of the thing named (bedding), never
        # warm ones for the word "hot" ("too cold" the other way round).
        wish = cue.temperature_wish(body) if missing is None else None
        if wish is not None:
            rest = cue.without_temperature(body)
            # "我的床太热了": the thing named, in the catalog's English words ("bed"), as "my bed is too hot" names it
            thing = " ".join(gloss(rest) if has_cjk(rest) else cue.content_words(rest))
            if _SLEEP.search(body) and "bed" not in thing.split():
                thing = f"{thing} bed".strip()  # "I sleep hot", "睡觉太热": what one sleeps in
            need_vec = self.encoder(f"{thing} {_WISH_WORDS[wish]}")
            if pool is None and thing:
                cat, score = self.catalog.infer_category(self.encoder(thing))
                if cat is not None and score >= self.cfg.min_relevance:
                    pool = [p for p in self.catalog.products if p.category == cat]

        # "for kids": only products whose own text, Q&A or reviews mention them.
        audience = {stem(w) for w in tokenize(need.audience)} | cjk_bigrams(need.audience)
        audience |= {stem(w) for w in gloss(need.audience)} if has_cjk(need.audience) else set()

        def search(candidates: list[ProductFacts] | None) -> list[Match]:
            found = self.catalog.search(
                need_vec,
                candidates=candidates,
                price_min=need.price_min,
                price_max=need.price_max,
                attributes=[a for a in need.attributes if not cue.free_of(a)],
                uses=need.uses,
                query_text=body if has_cjk(body) else "",
            )
            found = [m for m in found if m.product.product_id not in st.owned]
            return [m for m in found if self._for_audience(m.product, need.audience, audience)] if audience else found

        matches = search(pool)
        if need.uses and cue.which_kind(body) is not None and not has_cjk(body):
            # "which kettle works on induction?": those whose own text (or Q&A, reviews) says so, not the others as
            # padding under the kind
            asked_uses = {stem(u) for u in need.uses}
            stating = [m for m in matches if asked_uses <= (m.product.words | m.product.extra) - m.product.negated]
            matches = stating or matches
        freed = [f for a in need.attributes if (f := cue.free_of(a))]
        if freed:
            # "caffeine-free": the products whose own text says so, never one that "Contains caffeine" (the
            # word "caffeine" is in both)
            matches = [m for m in matches if all(free_of_stated(m.product, f) for f in freed)]
        uses = {stem(u) for u in need.uses}
        if uses and any(uses & m.product.negated for m in matches):
            # "which teapot can go on the stove?": not the one whose own text says "Not for use on a stove"
            matches = [m for m in matches if not uses & m.product.negated] or matches
        situation = re.search(r"\b(?:for|best|which)\b", body, re.I) is not None
        # (among the products of a kind asked for: "which lock…"; not a need across kinds, "anything for cold feet")
        kind_asked = bool(need.type_products)
        if len(matches) > 1 and kind_asked and not has_cjk(body) and situation and not cue.says_limited_use(body):
            # "which lock is best for leaving my bike in the city centre?": a product whose own text limits it to
            # a lesser situation ("for short stops in low-risk places") does not lead
            lesser = [m for m in matches if cue.limited_use(m.product.description)]
            matches = [m for m in matches if m not in lesser] + lesser
        if need.attributes and matches and not need.alternatives and not need.conditions:
            # (alternatives: "a tent or a sleeping bag" says "sleeping" of the bag only; conditions are met below)
            # "a green tea": the teas whose own text says green, not the black ones after them as padding under
            # a heading that says "green tea" (when none says it, the closest are listed as they rank) ...
            best_met = max(m.attributes_met for m in matches)
            featured = [a for a in need.attributes if self.catalog.vocabulary_form(a) and not cue.free_of(a)]
            stated = relative is not None and relative.relative is None  # a budget said, not "cheaper?"
            over = (
                self._over_budget(need, pool, need_vec, featured)
                if best_met == 0 and featured and need.price_max and stated
                else []
            )
            if over:
                # "a kettle with temperature control under €50": none within the budget has it (the cheaper kettle
                # is no such kettle); the one above the budget that has it, with its price, as an option
                turn.shopping = True
                turn.confidence = max(turn.confidence, 0.8)
                none = say("no_match", lang, need=need.describe(lang, currency=self.cfg.currency, many=True))
                return self._listed(turn, over, joined([none, say("over_budget", lang)], lang))
            if best_met > 0:
                matches = [m for m in matches if m.attributes_met >= best_met]
            elif relative is not None and relative.relative is not None and shown:
                # ... but "anything cheaper?" after the green teas wants a cheaper green tea: none is the answer
                matches = []
        capacity = cue.asked_capacity(cue.strip_price(body)) if not has_cjk(body) and missing is None else None
        amounts = {m.product.product_id: stated_amount(m.product, capacity[1]) for m in matches} if capacity else {}
        if capacity and any(a is not None for a in amounts.values()):
            # "a stapler that can handle 50 sheets": those that state at least 50 sheets, the closest first (never a
            # 20-sheet one as a match); none: say so, and those stating the most
            def amount(m: Match) -> float:
                return amounts.get(m.product.product_id) or 0.0

            meeting = sorted((m for m in matches if amount(m) >= capacity[0]), key=amount)
            if not meeting:
                most = sorted((m for m in matches if amount(m) > 0), key=amount, reverse=True)[:k]
                turn.shopping = True
                turn.confidence = max(turn.confidence, 0.8)
                taken = f"{capacity[0]:g} {capacity[1]}{'' if capacity[0] == 1 else 's'}"
                kinds = need.describe(lang, currency=self.cfg.currency, many=True)
                lead_text = say("no_capacity", lang, need=kinds, amount=taken)
                return self._listed(turn, [m.product for m in most], lead_text)
            matches = meeting
        if wish is not None:
            # those whose own text says so first, then those whose Q&A or reviews do
            matches = [m for m in matches if _suits(m.product, wish)]
            said = _COOL if wish == "cooler" else _WARM
            matches.sort(key=lambda m: not (said & m.product.words))
        if need.conditions and missing is None and wish is None:
            # "something for cold weather": the products whose own text says they are made for it (warmth,
            # insulation), not those with an option of the word ("warm white" light); a kind named stays.
            meeting = [m for m in matches if all(_states(m.product, c) for c in need.conditions)]
            offered = [
                m for m in ([] if meeting else matches) if all(_states(m.product, c, True) for c in need.conditions)
            ]
            if offered and need.uses:
                # None says it meets the need itself, some come in a version that does ("waterproof: yes, no"): for
                # "hiking in the rain", those made for the outing ("Hiking Boots"), not an action camera that has
                # a waterproof option and no word of hiking; when none is, all that come in such a version.
                used = set(tokenize(" ".join(need.uses)))
                offered = [m for m in offered if used & (m.product.words | m.product.name_words)] or offered
            meeting = meeting or offered
            generic = not (need.type_products or need.kind_products or need.category)
            if not meeting and generic:
                # Nothing in the shop is for it: say so, and what the shop does sell.
                st.need = previous
                turn.shopping = True
                turn.confidence = max(turn.confidence, 0.8)
                none = say("no_match", lang, need=need.describe(lang, currency=self.cfg.currency, many=True))
                text = joined([none, self._kinds_sold(lang)], lang)
                return Composed(text, meta={"basis": "none"})
            # (never one whose own text denies the need, "It is not waterproof", as a match for it)
            denied = {w for c in need.conditions for w in condition_words(c)}
            matches = meeting or [m for m in matches if not denied & m.product.negated]
        if need.kind_products:  # the products of another name of the kind asked for come first
            matches.sort(key=lambda m: m.product.product_id not in need.kind_products)
        relative_to = relative_weight(body) if shown else None
        if relative_to is not None:  # "something lighter?" after the tent
            return self._by_weight(turn, need, [m.product for m in matches], shown, relative_to)
        if relative is not None and relative.relative and shown:
            # "anything cheaper?": other products than the ones just shown.
            matches = [m for m in matches if m.product.product_id not in st.shown]
        added = [a for a in self._refined(body) if previous is not None and a not in previous.attributes]
        if previous is not None and added and len(need.attributes) > len(previous.attributes):
            # "any in green?" after a list: only the listed kind that comes in green, by its own text or
            # its variants' options (no other colour pads); none: say so, and the list stays as it was.
            matches = [m for m in matches if all(self.catalog.comes_in(m.product, a) for a in added)]
            if not matches:
                st.need = previous
                turn.shopping = True
                turn.confidence = max(turn.confidence, 0.8)
                none = say("no_match", lang, need=need.describe(lang, currency=self.cfg.currency, many=True))
                over = self._over_budget(need, pool, need_vec, added) if need.price_max is not None else []
                over = [p for p in over if p.product_id not in st.shown]
                if over:
                    # "what about one with temperature control?" after "a kettle under €50": none within the
                    # budget, and the one that has it above the budget, with its price, as an option
                    return self._listed(turn, over, joined([none, say("over_budget", lang)], lang))
                return Composed(none, meta={"basis": "none"})
            best = max(m.attributes_met for m in matches)
            matches = [m for m in matches if m.attributes_met >= best]
        colour_lead = ""
        colours = [a for a in need.attributes if is_colour(a) and a not in added and a in cue.content_words(body)]
        if colours and matches and need is not previous and missing is None:
            # "purple boots?": only those of the kind that come in the colour; none: say so, and the kind's own.
            coming = [m for m in matches if all(self.catalog.comes_in(m.product, c) for c in colours)]
            if coming:
                matches = coming
            else:
                colour_lead = say("no_match", lang, need=need.describe(lang, currency=self.cfg.currency, many=True))
                need.attributes = [a for a in need.attributes if a not in colours]
                words = [*need.attributes, need.product_type or "", *need.uses]
                need.query = " ".join(w for w in words if w) or need.query
        refining = relative is not None and relative.relative is not None
        order = cue.price_order(body)
        if not matches and pool is not None and need.category_inferred and not need.type_products and not refining:
            # The category was a guess from the request's meaning ("a gift for my dad who likes
            # hiking"): when nothing in it meets the limits, the whole catalog is searched.
            matches = search(None)
        blind = has_cjk(body) and self.settings.embedding_model not in MULTILINGUAL_MODELS
        if blind:
            # The English encoder cannot read a Chinese request: only products whose own text, Q&A
            # or reviews share its words are evidence. Without any, say so plainly (no "closest").
            # The words of the need, not of the whole message ("一件" of "我想买一件防水外套" is in the
            # fleece's Q&A "再加一件冲锋衣"); English words in it ("我想买一个 headlamp") as they are.
            wanted = " ".join([*need.attributes, need.product_type]) if need.product_type else body
            if not need.product_type and need.attributes:
                # "200美元以内的呢？" after "有什么保暖的东西吗？": the need's words, not the budget's
                wanted = " ".join(need.attributes)
            grams = cjk_bigrams(wanted) | {w for w in tokenize(body) if not has_cjk(w) and not w.isdigit()}
            if typed_gloss:
                grams |= set(tokenize(" ".join(gloss(wanted))))
            # The need's English words from its glossed Chinese ("下雨天徒步": rain, hiking; so "waterproof").
            grams |= {w for w in tokenize(" ".join([*need.attributes, *need.uses])) if not has_cjk(w)}
            grams |= {w for c in need.conditions for w in condition_words(c)}  # ("保暖": warm, insulated…)
            if wish is None:  # (a wish's products already state that they keep one cooler or warmer)
                # (the products of the kind named are evidence themselves: "外套" is the parka too)
                typed_ids = {*need.type_products, *need.kind_products}
                matches = [
                    m
                    for m in matches
                    if m.product.product_id in typed_ids or grams & (m.product.words | m.product.extra)
                ]
            end = self._end_of_range(turn, need, previous, shown, relative, pool) if refining and not matches else None
            if end is not None:
                return end
            # (nothing for dogs: what the shop sells, below; a kind the shop has, but not within the
            # budget: that kind's closest, below, as in English)
            if not matches and missing is None and not audience and not need.type_products:
                st.need = previous
                turn.confidence = 0.0
                return Composed(
                    say("no_match", lang, need=need.describe(lang, currency=self.cfg.currency, many=True)),
                    meta={"basis": "none"},
                )
        if more:
            # After the last of the products shown, in the same ranking; none left: that was all of them.
            ids = [m.product.product_id for m in matches]
            last = max((ids.index(i) for i in st.shown if i in ids), default=-1)
            matches = [m for m in matches[last + 1 :] if m.product.product_id not in st.shown]
            turn.shopping = True
            turn.confidence = max(turn.confidence, 0.8)
            if not matches:
                return Composed(
                    say("no_more", lang, need=need.describe(lang, currency=self.cfg.currency, many=True)),
                    meta={"basis": "none"},
                )
        turn.shopping = True
        turn.confidence = max(turn.confidence, 0.8)
        lead = ""
        priceless = False  # the lead says the catalog has no prices; the list still follows it
        kind_focus: ProductFacts | None = None  # the kind's own product the lead names, none within the budget
        if order is not None and missing is None and matches:
            # "the cheapest stapler": the matching products by price (those with one first); the
            # whole pool when it is the requested type, else the closest few.
            ranked = matches if pool is not None else matches[: max(4 * k, 12)]
            priced = sorted((m for m in ranked if m.product.price is not None), key=lambda m: m.product.price or 0.0)
            if order == "high":
                priced.reverse()
            if priced:
                matches = priced + [m for m in ranked if m.product.price is None]
                ends = priced[0].product.price, priced[1].product.price if len(priced) > 1 else None
                if pool is not None and len(priced) > 1 and ends[0] != ends[1]:
                    # "what's your cheapest teapot?": which one is, said with its price, over the whole kind (of more
                # than one)
                    lead = say(
                        "cheapest_intro" if order == "low" else "priciest_intro",
                        lang,
                        need=need.describe(lang, currency=self.cfg.currency, many=True),
                        name=priced[0].product.name,
                        price=money(ends[0] or 0.0, lang, self.cfg.currency),
                    )
            else:
                lead, priceless = say("no_prices", lang), True
        measured = cue.measure_order(body) if order is None and missing is None and pool is not None else None
        if measured is not None and len(matches) > 1:
            # "which is your lightest kettle?", "your biggest teapot": by the weight (capacity) the catalog states
            matches, lead = self._by_measure(need, matches, *measured, lang)
        if missing is not None:
            matches = [m for m in self.catalog.search(qvec) if m.score >= self.cfg.min_relevance][:2]
            # "The closest we have:" only when something follows it.
            carried = say("not_carried", lang, noun=plural(missing, lang))
            # Nothing close: what the shop does sell ("We sell camping gear, footwear and kitchen.").
            lead = joined([carried, say("closest", lang) if matches else self._kinds_sold(lang)], lang)
            st.need = None
            turn.shopping = False
        elif not matches:
            # Nothing of the type meets every constraint: say so, then offer the closest within the
            # customer's budget in the type's category (what the recommendations show too), else the
            # closest of the type without the price limit.
            within = (
                search([p for p in self.catalog.products if p.category == need.category])
                if need.category and (need.price_min is not None or need.price_max is not None)
                else []
            )
            matches = (
                within[:k] or self.catalog.search(need_vec, candidates=pool)[:1] or self.catalog.search(need_vec)[:1]
            )
            if refining or audience:
                # "anything cheaper?" after the only tent: no cheaper tent, and no chair or backpack instead;
                # nothing for kids: no product that is not for them.
                matches = []
                end = self._end_of_range(turn, need, previous, shown, relative, pool) if refining else None
                if end is not None:
                    return end
            closest = [say("closest", lang)] if matches else []
            if audience and not matches and need.product_type is None and need.category is None:
                # "something for my dog?" in a shop with nothing for dogs: what it does sell instead
                closest = [self._kinds_sold(lang)]
            # Within the budget, in the kind's category: say what the kind itself starts at (the list
            # is of other things); otherwise the list is the kind's closest and says it by itself.
            kind_from = self._kind_from(need, pool) if matches and within[:k] and matches[0] is within[0] else []
            if kind_from:
                closest = [say("closest_within", lang)]
                kind_focus = self._lowest_of_kind(need, pool)
            lead = joined(
                [
                    say("no_match", lang, need=need.describe(lang, currency=self.cfg.currency, many=True)),
                    *kind_from,
                    *closest,
                ],
                lang,
            )
        chosen = [m.product for m in matches[:k]]
        if not chosen:
            return Composed(lead or say("no_answer", lang), meta={"basis": "none"})
        if more and not lead:
            lead = say("more_intro", lang, need=self._heading_kind(need, chosen, lang))
        if colour_lead and not lead:
            lead = joined(
                [
                    colour_lead,
                    say("shopping_intro", lang, need=need.describe(lang, currency=self.cfg.currency, many=True)),
                ],
                lang,
            )
        base = self._price_reference(turn, relative.relative) if relative is not None and shown else None
        if base is not None and base.price is not None and not lead and missing is None:
            # "anything cheaper?": cheaper than what, said ("… cheaper than the **Parka** ($289.00)"), never a
            # bound one cent below it ("under $288.99"); the need's kind without the price, or "options"
            kind = self._heading_kind(need.model_copy(update={"price_min": None, "price_max": None}), chosen, lang)
            key = "cheaper_intro" if relative is not None and relative.relative == "cheaper" else "pricier_intro"
            lead = say(key, lang, need=kind, name=base.name, price=money(base.price, lang, self.cfg.currency))
        st.shown, st.focus_answered = [p.product_id for p in chosen], False
        st.shown_orders, st.order_focus = [], None  # "the first one" now means a product
        st.variant_choice = {}
        # ("Our sleeping bags start at $219 (the Firelight)", then others within the budget: "is it warm enough?"
        # is about the sleeping bag named, not the water carrier listed first)
        st.focus = (kind_focus or chosen[0]).product_id
        turn.products = chosen
        turn.cite_products = chosen
        return self.composer.shopping_answer(
            conditions_read(body),
            chosen,
            lang,
            need=need.describe(lang, currency=self.cfg.currency, many=True)
            if missing is None and (not lead or priceless)
            else "",
            lead=joined([owned, lead], lang) if owned and lead else lead,
            before=owned,
        )
