"""The extractive answer backend: replies assembled only from cited passages and store facts.

It never writes a number, date, amount or policy of its own: every statement is quoted from a
passage it cites (the shop's policy, an approved answer), from the product's own catalog facts,
its Q&A or reviews (each labelled), or from the store's order records. Past conversations are
never quoted: they are another customer's case. Quoted text is cleaned of Markdown markers
(bold, tables), so only the assistant's own list and emphasis markup reaches the chat.

Example:
    >>> fill_placeholders("Your order {{Order Number}} ships via {{Website Name}}.",
    ...                   {"order number": "#JP1001"}, shop_name="Juniper & Pine")
    'Your order #JP1001 ships via the Juniper & Pine website.'
    >>> clean_markdown("- **Return window:** 30 days")
    'Return window: 30 days'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from assistant.conversation.catalog import ProductFacts, cjk_bigrams, written_codes
from assistant.conversation.glossary import category_zh
from assistant.conversation.orders import OrderFacts
from assistant.conversation.templates import joined, say
from assistant.conversation.understand import (
    asks_fit,
    asks_opinion,
    has_reference,
    kind_named,
    stated_condition,
    states_fit,
)
from assistant.conversation.variants import asked_option
from assistant.knowledge.distill import fill_placeholders as fill_answer_slots
from assistant.money import money
from assistant.retrieval.hybrid import Passage
from assistant.retrieval.text import has_cjk, snippet, split_sentences, tokenize

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
_AMOUNT_Q = re.compile(
    # "can I pay with a gift card?" asks how to pay, not how much.
    r"\b(how much|cost|costs|price|fee|fees|charge|charged|free)\b"
    # "who pays return shipping?" asks an amount; "I can't pay my subscription" does not
    r"|(?<!n't )(?<!cannot )(?<!not )\bpays?\b(?!\s+(?:with|by|using|via|through)\b)"
    r"|多少钱|费用|运费|谁付",
    re.I,
)
_DURATION_Q = re.compile(
    r"\b(how long|how many days|when|how soon|window|deadline|(?<!what )time)\b|多久|多长时间|期限|几天", re.I
)
# "What time are you open?" asks for a time of day (opening hours), not a duration.
_CLOCK_Q = re.compile(
    r"\bwhat time\b|\b(?:opening|business|office|support) hours\b|\bare you open\b|几点|营业时间", re.I
)
_HAS_CLOCK = re.compile(r"\b\d{1,2}(?::\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}:\d\d\b|\d{1,2}\s*点", re.I)
_HAS_AMOUNT = re.compile(r"[$€£]\s?\d|\d\s?(美元|元)|\bfree\b|免费", re.I)
_HAS_DURATION = re.compile(
    r"\d+\s*(-\s*\d+\s*)?(business )?(days?|hours?|weeks?|months?|years?)|\d+\s*(天|小时|周|个月|年)"
    # "it can take a couple days", "within a week"
    r"|\b(?:a|one|two|three|a few|a couple(?: of)?|several) (?:business )?(?:days?|hours?|weeks?|months?)\b"
    r"|[一两二三几]\s*(?:个工作日|天|周|个月)",
    re.I,
)


# Text written for the shop's staff, not for its customers (an agent playbook ingested as policy):
# a console control in brackets ("[Pull up Account]", never a "[1]" citation), or an instruction
# about the customer in the third person ("ask the customer…", "share it with the user", "if the
# customer asks, …"). A policy written for customers ("the customer pays return shipping") is kept.
_STAFF_FACING = re.compile(
    r"\[(?!\d+\])[A-Za-z][\w'-]*(?:\s+[\w'-]+){0,4}\](?!\()"
    r"|\b(?:ask|asking|tell|telling|let|remind|inform|assure|thank|greet|apologi[sz]e to|explain to|with)\s+"
    r"(?:if\s+|whether\s+)?(?:the|this|that)\s+(?:customer|user|caller|client|shopper)s?\b"
    r"|\b(?:if|when|unless|once)\s+(?:the|this)\s+(?:customer|user|caller|client|shopper)\s+"
    r"(?:asks|says|wants|calls|keeps|is|does|doesn't|did|has|chose|will|can|cannot|can't)\b"
    r"|\bthe\s+(?:customer|user|caller|client|shopper)\s+(?:will|may|might|is going to)\s+(?:not\s+)?"
    r"(?:ask|say|want|call|remember|know)\b"
    # the case described to the agent: "The customer wants to…", "The customer is complaining about…"
    r"|^the\s+(?:customer|user|caller|client|shopper)\s+(?:is\s+\w+ing|wants|wanted|believes|thinks|"
    r"didn[’']?t|did not|doesn[’']?t|does not|would like|needs to know)\b"
    r"|\bthe (?:right|wrong|correct|next) (?:sub)?flow\b"
    # the case described to the agent under a label ("Case: The email confirmation of the order does
    # not match…", as the ABCD reader writes a subflow's first instruction)
    r"|^(?:case|scenario|situation)\s*:\s"
    # steps of the agent's own work: the customer's details fetched, the after-chat survey
    r"|\b(?:get|find|ask for|check|confirm|verify|record|enter|pull up)\s+the\s+(?:customer|user|caller)[’']s\b"
    r"|\b(?:fill(?:ing)?\s+(?:out|in)|complet\w+)\s+the\s+survey\b|\b(?:start|begin|end)\s+by\s+asking\b"
    # a step told to the agent about the customer as "they": "Find out the new item they want to
    # return:", "Confirm their order can be returned, by checking their membership level."
    r"|^(?:find out|confirm|verify|check|get|ask for|record|enter|pull up|look up|collect|gather|validate)\b"
    r"[^.]*\b(?:their|they|them)\b"
    # the details an agent collects, with the console's notation: "Full name - may have gotten this
    # earlier", "Pin Number <or> answer to the Security Question"
    r"|\bmay have (?:gotten|got|given|provided|asked for) (?:this|that|it) (?:earlier|already|before)\b|<or>|<and>"
    # the agent's own process: "which question the customer is asking", "you will need their
    # address", "follow the 'Recover Username' flow above", "then move onto the next step"
    r"|\bthe\s+(?:customer|user|caller)\s+(?:is|was)\s+(?:asking|calling|complaining|wondering|requesting)\b"
    r"|\bthe\s+(?:customer|user|caller)\s+(?:will|may|might)\s+(?:give|provide|tell|mention|explain)\b"
    r"|\byou(?:'ll| will)? need (?:their|the customer[’']?s)\b|\bflow (?:above|below)\b|\bthe '[^']+' flow\b"
    r"|\bmove on(?:to| to)? the next step\b|^find out (?:whether|if|what|which|why|how)\b"
    r"|\b(?:ask|let|tell|remind|inform|assure)\s+them\b|\bwrap up\b|\bas usual\b"
    # a rule for the staff: "Agents must check with the warehouse before promising anything."
    r"|^(?:our\s+|the\s+)?(?:agents?|staff|support staff|reps?|representatives?|associates?|team members?)\s+"
    r"(?:must|should|need to|have to|are (?:required|expected|asked|told) to)\b"
    r"|\bbefore promising\b|\b(?:never|do not|don't) promise\b",
    re.I,
)
# A form field named alone ("Order ID", "Account ID", "Full Name"): words an agent collects; it
# states nothing to a customer.
_FIELD_ONLY = re.compile(r"^(?:[A-Z][\w'-]*|ID)(?:,?\s+(?:[A-Z][\w'-]*|ID|or|and)){0,5}\s*(?:\[\d+\])?$")
# A console control named before a step ("[Record Reason] When shipping items, …"): the label goes,
# the statement after it is judged on its own.
_LEADING_CONTROL = re.compile(r"^\[(?!\d+\])[^\]]{1,40}\](?!\()\s*")
# A label with a few words and no figure ("Flow: refunds and returns."): it names a topic, it
# states nothing, so it is quoted only when nothing else matches.
_LABEL_ONLY = re.compile(r"^[A-Za-z][\w ]{0,24}:\s+[^.:!?\d]{0,60}\.?$")


def staff_facing(unit: str) -> bool:
    """Whether a policy sentence is an instruction to the shop's staff rather than a policy.

    Example:
        >>> staff_facing("Get Full Name or Account ID for [Pull up Account]")
        True
        >>> staff_facing("If the customer asks, you can say it is for 20% off their next purchase.")
        True
        >>> staff_facing("Items can be returned within 30 days [1]"), staff_facing("The customer pays return shipping.")
        (False, False)
        >>> staff_facing("Agents must check with the warehouse before promising anything.")
        True
        >>> staff_facing("An agent can still change the address of a processing order.")
        False
        >>> staff_facing("Case: The acmecorp.com website has slowed down to a crawl, making it unusable.")
        True
    """
    return bool(_STAFF_FACING.search(unit) or _FIELD_ONLY.match(unit.strip()) or _console_control(unit, "into"))


# A control of the agent's console: "enter it into the box", "fill in the form", "the dropdown". A form
# on the shop's own pages is the customer's ("You can use the form on our Returns page").
_CONTROL = {
    "into": re.compile(r"\b(?:into|in) the (?:box|form|field|input)\b", re.I),
    "the": re.compile(r"\bthe (?:form|survey|input box|text box|dropdown|panel)\b", re.I),
}
_SHOP_PAGE = re.compile(
    r"\b(?:on|at|in|from|via|through|using)\s+(?:our|the shop[’']s|your)\s+(?:[\w'-]+\s+){0,3}?"
    r"(?:pages?|site|web ?site|app|account|portal|store|help ?cent(?:er|re))\b|"
    r"\bour\s+(?:[\w'-]+\s+){0,2}?(?:pages?|site|web ?site|app|portal)\b",
    re.I,
)


def _console_control(unit: str, kind: str) -> bool:
    """Whether ``unit`` names a control of the agent's console (see ``_CONTROL``), not a form on the
    shop's own pages.

    Example:
        >>> _console_control("No need to enter anything into the form.", "into")
        True
        >>> _console_control("Fill in the form on our website and we'll email you a label.", "into")
        False
    """
    return bool(_CONTROL[kind].search(unit)) and not _SHOP_PAGE.search(unit)


# The console's vocabulary and the agent's own work, whoever the text addresses: the hidden system
# an agent queries ("Oracle"), its controls ("the toggle"; "the form": ``_CONTROL``), the chat itself ("end the
# conversation", "this flow"), how to word a reply ("in natural language", "do not copy/paste").
_CONSOLE = re.compile(
    r"\boracle\b|\btoggle\b|\bsub-?flows?\b|\b(?:this|that|the|each|every|other|same) flows?\b|"
    r"\b(?:the|this|a) conversation\b|"
    r"\bconversations? (?:is|are|was) (?:successful|complete)\b|\bnatural language\b|\bcopy ?/ ?paste\b|"
    r"\b(?:this|that) (?:customer|user|caller|client|member)\b|\bbest judge?ment\b|\b(?:both|all) flows\b|"
    r"\b(?:next|previous|last|following) step\b|\bsteps? (?:above|below)\b",
    re.I,
)


def _console(unit: str) -> bool:
    """Whether ``unit`` speaks of the console or the agent's own work (``_CONSOLE``, a console control)."""
    return bool(_CONSOLE.search(unit)) or _console_control(unit, "the")


# What marks a section as written for the staff (an agent playbook), beside staff-facing sentences:
# the console's controls in brackets ("[Pull up Account]") or its notation ("<or>").
_CONSOLE_MARK = re.compile(r"\[(?!\d+\])[A-Za-z][^\]]{0,40}\](?!\()|<(?:or|and)>")
# In a section written for the staff, "you" is the agent and "they" the customer; a sentence that
# opens with a verb is a step for the agent ("Get the brand and type…", "Finally, perform the
# action…", "If they are still unhappy, offer…"); "Customer wants to…" describes the case; "For
# example…" illustrates a step; a sentence ending in a colon introduces steps; a list of a console
# field's values ("Options include: 'By Mail', …", "Either 'competitor' or 'yesterday'") is no policy.
_AGENT_ADDRESSED = re.compile(
    r"\b(?:you|your|yours|yourself)\b|\bthe (?:customer|user|caller)s?\b|\bcustomer[’']s\b|"
    r"\bthey (?:want|wanted|would like|are asking|are calling|are complaining|are trying)\b",
    re.I,
)
_LEAD_IN = re.compile(
    r"^(?:\((?:only )?if [^)]*\)\s*|\(option \w\)\s*|(?:finally|then|first|next|also|again|lastly|afterwards?|"
    r"otherwise|alternatively|instead|please|now|just|simply|politely)\b,?\s*)+",
    re.I,
)
_CONDITION = re.compile(r"^(?:if|when|once|unless|after|before|whether)\b[^,]*?(?:,\s*|\s+then\s+)", re.I)
_IMPERATIVE = re.compile(
    r"^(?:ask|get|gather|collect|enter|record|pick|select|choose|click|generate|read|remember|make|respond|"
    r"instruct|have|determine|decide|offer|confirm|check|explain|apologi[sz]e|tell|send|provide|finali[sz]e|"
    r"perform|try|start|skip|search|share|fill|submit|mark|update|change|add|use|look|find|resend|move|go|act|"
    r"be|feel|consider|shuffle|help|let|verify|validate|pull|follow|keep|wrap|end|close|begin|open|note|inform|"
    r"issue|process|escalate|transfer|reassure|greet|thank|identify|locate|notify|review|type|put|give|write|"
    r"copy|paste|do|don't|never|always|avoid|ensure|include|attach|complete|continue|proceed|cancel|waive|"
    r"refund|reset|create|remove|apply|adjust|translate|convince|assume|double-check|input|hit|press|call|"
    r"email|message|contact|state|mention|say|ignore|treat|suggest|recommend|accept|deny|reject|repeat)\b",
    re.I,
)
_CASE_OR_EXAMPLE = re.compile(
    r"^(?:customers?|users?|callers?|clients?)(?:[’']s)?\s+(?:\w+\s+)?(?:wants?|has|have|had|is|are|was|were|"
    r"cannot|can't|didn[’']t|did not|keeps?|accidentally|believes?|thinks?|would like|heard|saw|needs?)\b|"
    r"^(?:for example|for instance|e\.g\.|i\.e\.?|ie\.?|example:)|^(?:(?:possible|valid) )?options?\b|^either '|"
    r"^this (?:will|loads|might|may|is accomplished|should)\b|:$|"
    # a field with a note ("Order ID - last item", "Username - first"), a condition without its clause
    r"^[A-Z][\w ]{0,30}\s+-\s+|^(?:if|when|once|unless)\b(?!.*(?:,|\bthen\b))",
    re.I,
)
# A line that states something has a verb: "Phone number", "answer to the Security Question",
# "Option 1", "not started, in progress, complete" state nothing (a figure still counts: "…6 months").
_STATES = re.compile(
    r"\d|\b(?:is|are|was|were|be|been|am|can|cannot|can't|could|will|won't|would|must|should|may|might|shall|"
    r"has|have|had|do|does|did|get|gets|got|take|takes|qualify|qualifies|work|works|arrive|arrives|need|needs|"
    r"apply|applies|last|lasts|ship|ships|allow|allows|include|includes|cover|covers|offer|offers|pay|pays|cost|"
    r"costs|charge|charges|risk|risks|depend|depends|keep|keeps|show|shows|match|matches|mean|means|"
    r"stay|stays|expire|expires)\b",
    re.I,
)
# A heading-like label in a playbook ("Flow: website slow, search not working, credit card, …").
_STAFF_LABEL = re.compile(r"^[A-Za-z][\w ]{0,24}:\s+[^.:!?\d]{0,160}\.?$")


def written_for_staff(text: str) -> bool:
    """Whether a policy passage is written for the shop's agents (see :func:`customer_units`)."""
    return _written_for_staff([u for u in (_LEADING_CONTROL.sub("", u) for u in policy_units(text)) if u])


def _written_for_staff(units: Sequence[str]) -> bool:
    """A section whose text is written for the shop's agents: it names the console's controls or
    more than one of its sentences is an instruction to staff (see :func:`staff_facing`)."""
    return any(_CONSOLE_MARK.search(u) for u in units) or sum(1 for u in units if staff_facing(u)) >= 2


def _for_agents(unit: str) -> bool:
    """In a section written for the staff: the sentence is addressed to the agent (see above)."""
    unit = unit.strip()
    if unit[:1].islower():  # the rest of a sentence cut at an abbreviation ("ie. if their old amount…")
        return True
    led = _LEAD_IN.sub("", unit)
    if _AGENT_ADDRESSED.search(unit) or _CASE_OR_EXAMPLE.search(led) or _STAFF_LABEL.match(led):
        return True
    if not _STATES.search(unit):
        return True
    rest = _LEAD_IN.sub("", _CONDITION.sub("", led, count=1))
    return bool(_IMPERATIVE.match(rest))


def _quotable(part: str) -> bool:
    return (
        bool(part)
        and not staff_facing(part)
        and not _console(part)
        and not _for_agents(part)
        and not _customer_as_they(part)
    )


# In a section written for the staff, "they" with nothing before it to stand for is the customer the
# agent serves ("Thus, they will always get their extra fees removed.", "The total refund is the amount
# of their previous refund…"): said to the customer it speaks of them in the third person, and out of
# its steps it is often a case's outcome, not a rule. What a "they" can stand for: a plural noun
# ("Gold members have their fee waived"), a person ("Silver member get an extension if they are…"),
# a name (a capitalised word after the first); words in quotes are values of a field, not nouns.
_THEY = re.compile(r"\b(?:they|their|theirs|them|themselves|they're|they've|they'll)\b", re.I)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|‘[^’]*’|“[^”]*”")
_PERSON = re.compile(
    r"\b(?:member|customer|client|user|buyer|shopper|guest|person|caller|someone|anyone|everyone|people|"
    r"staff|team|agent|employee|courier|carrier|seller|vendor|supplier)\b",
    re.I,
)
# Words ending in "s" that are no plural noun.
_NOT_PLURAL = frozenset(
    {
        "this", "thus", "perhaps", "always", "has", "was", "does", "is", "its", "as", "us", "yes", "unless",
        "whereas", "besides", "sometimes", "afterwards", "towards", "across", "less", "plus", "various",
        "previous", "serious", "obvious", "famous", "numerous",
    }
)  # fmt: skip


def _customer_as_they(unit: str) -> bool:
    """Whether the first "they"/"their"/"them" of ``unit`` has nothing before it in the unit to stand for,
    so that in a section written for the staff it is the customer.

    Example:
        >>> _customer_as_they("Thus, they will always get their extra fees removed.")
        True
        >>> _customer_as_they("If the item is 'In Transit' or 'Delivered' then they must wait until it arrives.")
        True
        >>> _customer_as_they("Gold members have their fee waived"), _customer_as_they("Items ship in 2 days.")
        (False, False)
        >>> _customer_as_they("Silver member get an extension if they are only 1 day late")
        False
    """
    m = _THEY.search(unit)
    if m is None:
        return False
    before = _QUOTED.sub(" ", unit[: m.start()])
    if _PERSON.search(before):
        return False
    words = re.findall(r"[A-Za-z][\w'’-]*", before)
    for i, word in enumerate(words):
        low = word.lower()
        if i > 0 and word[:1].isupper():
            return False  # a name: "If Gold or Silver, they …"
        if (
            len(low) > 3
            and low.endswith("s")
            and not low.endswith(("ss", "us", "is", "'s", "’s"))
            and low not in _NOT_PLURAL
        ):
            return False
    return True


def _playbook_units(unit: str) -> list[str]:
    """The customer-facing parts of one line of a section written for the staff.

    The console writes sub-steps after " > " and alternatives with "<or>" ("Silver members: > Ask for
    the purchase date, return possible within the last 6 months <or> …"): each part is judged on its
    own. A part that opens with a step for the agent keeps what follows its first comma ("return
    possible within the last 6 months"); a label before the parts ("Silver members:") is kept in
    front of the first part kept. What follows an instruction (the next sentence, the next part)
    continues it: "Let the customer know that you can back-order the item. The item will then ship
    immediately…" is words for the agent to relay, not a policy."""
    out: list[str] = []
    for sentence in split_sentences(unit):
        parts = [p.strip() for p in re.split(r"^>\s*|\s+>\s+|\s*<(?:or|and)>\s*", sentence) if p.strip()]
        label = parts[0] if len(parts) > 1 and parts[0].endswith(":") and len(parts[0]) <= 40 else ""
        kept = 0
        for i, part in enumerate(parts[1:] if label else parts):
            head, sep, tail = part.partition(", ")
            step = len(parts) > 1 and _IMPERATIVE.match(_LEAD_IN.sub("", head))
            if sep and step and _quotable(tail[:1].upper() + tail[1:]):
                part = tail
            elif (i > 0 and not kept) or not _quotable(part):
                continue
            # "Gold members: > Gold members get unlimited returns" needs no label in front.
            named = label and not part.lower().startswith(label.rstrip(":").lower())
            out.append(f"{label} {part}" if named else part)
            kept += 1
            label = ""
        if not kept and not label:
            break  # the rest of the line continues an instruction
    return out


def _without_staff_sentences(unit: str) -> str:
    """A bullet of several sentences without those for the staff: "- Processing orders can still be
    cancelled by an agent. Agents must check with the warehouse before promising anything." keeps its
    first sentence; a unit of one sentence is judged whole by the caller."""
    parts = split_sentences(unit)
    if len(parts) < 2:
        return unit
    kept = [p for p in parts if not staff_facing(p) and not _console(p)]
    return " ".join(kept) if len(kept) < len(parts) else unit


# A policy that names the customer in the third person ("The user needs to confirm the order id") is
# written for the staff, whatever its layout: its "you" is the agent.
_CUSTOMER_NAMED = re.compile(r"\bthe (?:user|customer|caller|client|shopper)s?\b", re.I)
# A clause telling "you" (the agent) to take a step: "An order can only be cancelled if its status is
# 'pending', and you should check its status before taking the action."
_AGENT_CLAUSE = re.compile(
    r"(?:\s*[,;]\s*(?:and|but|so|then)?|\s+and)\s+you\s+(?:should|must|need to|have to|will need to|are to|"
    r"ought to)\s+(?:always\s+|also\s+|first\s+|still\s+)?([^,;.]*)",
    re.I,
)


# The agent's own action on the shop's systems, in any section: "before taking the action".
_AGENT_ACTION = re.compile(
    r"\bbefore (?:taking|performing|making|calling|executing|running) (?:the|this|that|any|an?) "
    r"(?:action|tool ?call|tool|update|change)s?\b",
    re.I,
)


def _without_agent_clauses(unit: str, agent_you: bool = True) -> str:
    """A sentence of a policy without its clauses telling the agent to take a step (what the step is for
    stays with the rule it follows). ``agent_you``: the section's "you" is the agent (it names the
    customer in the third person); else only a clause about the agent's own action goes.

    Example:
        >>> _without_agent_clauses("An order can only be cancelled if its status is 'pending', and you should "
        ...                        "check its status before taking the action.")
        "An order can only be cancelled if its status is 'pending'."
        >>> _without_agent_clauses("Refunds take 5 days, and you can track them online.")
        'Refunds take 5 days, and you can track them online.'
        >>> _without_agent_clauses("Items must be unused, and you should keep the tags on.", agent_you=False)
        'Items must be unused, and you should keep the tags on.'
    """

    def drop(m: re.Match[str]) -> str:
        step = _IMPERATIVE.match(m.group(1)) and (agent_you or _AGENT_ACTION.search(m.group(1)))
        return "" if step else m.group(0)

    return _AGENT_CLAUSE.sub(drop, unit)


def customer_units(text: str) -> list[str]:
    """The quotable units of a policy passage that are written for customers (see :func:`staff_facing`).

    A section that names the customer in the third person ("the user") loses the clauses telling
    "you" (the agent) to take a step. In a section written for the staff (an agent playbook: console
    controls, several instructions to staff) every sentence addressed to the agent goes too: "you"
    (the agent), steps opening with a verb, the case described, examples, lists of a field's values,
    lines without a verb. What is left states the shop's rules ("Gold members get unlimited returns").
    """
    units = [u for u in (_LEADING_CONTROL.sub("", u) for u in policy_units(text)) if u]
    if not _written_for_staff(units):
        # The customer named in the third person: "you" is the agent.
        agent_you = bool(_CUSTOMER_NAMED.search(text))
        units = [u for u in (_without_agent_clauses(u, agent_you) for u in units) if u]
        units = [u for u in map(_without_staff_sentences, units) if u]
        return [u for u in units if not staff_facing(u) and not _console(u)]
    out: list[str] = []
    kept = False  # whether the line before gave anything
    for unit in units:
        parts = _playbook_units(unit)
        if parts and not kept and _ANAPHORIC.match(parts[0]):
            # "This only works for Gold members." after a step for the agent: "this" is that step.
            parts = []
        out.extend(parts)
        kept = bool(parts)
    return out


# A sentence that points back at the one before it ("This only works for…", "Thus, it…"): in a section
# written for the staff, quoted without it when that one is a step for the agent.
_ANAPHORIC = re.compile(r"^(?:(?:thus|so|therefore|hence|however|then|also),?\s+)?(?:this|that|these|those|it)\b", re.I)


# A question about a measured attribute ("how heavy is it?") is answered only by text that states
# such a measure ("weighing 1.9 kg"), which rarely shares a word with the question; text that only
# shares a word ("does it come…") does not answer it.
_MEASURED: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (
        re.compile(r"\bhow heavy\b|\bweigh(?:s|t)?\b|\bheavy\b|\blight ?weight\b|多重|重量|重不重|轻不轻", re.I),
        re.compile(
            r"\d\s*(?:kg|g|lbs?|oz|pounds?|ounces?|grams?|kilo(?:gram)?s?)\b|\bweigh|\d\s*(?:公斤|千克|克)", re.I
        ),
    ),
    (
        re.compile(r"\bmade (?:of|from|out of|with)\b|\bmaterials?\b|\bfabrics?\b|材质|面料|什么做的|用什么做", re.I),
        re.compile(
            r"\bmade (?:of|from|with)\b|\d+\s*%|\b(?:leather|suede|sheepskin|wool|merino|cashmere|alpaca|cotton|"
            r"linen|flannel|nylon|polyester|fleece|down|silk|rubber|foam|steel|stainless|aluminum|aluminium|"
            r"cast iron|iron|wood|walnut|maple|oak|bamboo|glass|ceramic|stoneware|porcelain|enamel|plastic|"
            r"canvas|ripstop|spandex|elastane|acrylic|coir|soy wax)\b|羊毛|棉|皮革|麻|涤纶|尼龙|不锈钢|铸铁|陶瓷",
            re.I,
        ),
    ),
    (
        re.compile(
            r"\bdishwasher\b|\b(?:machine|hand)[- ]?wash|\bwash(?:able|ing)?\b|\bclean(?:ing)?\b|\bcare for\b|"
            r"\bdry[- ]clean|洗碗机|机洗|手洗|怎么洗|清洗|保养",
            re.I,
        ),
        re.compile(
            r"\b(?:hand|machine)[- ]?wash|\bwash(?:ed|es|ing)?\b|\bdishwasher|\bdry[- ]clean|\bwipe|\bclean with\b|"
            r"\bbrush\b|\bre-?season|\btumble|\bline[- ]dry|洗|保养",
            re.I,
        ),
    ),
    (
        # "is the headlamp waterproof?": a water rating answers it however it is worded ("IPX4 splash
        # resistant", "water-repellent finish", an IP code).
        re.compile(
            r"\bwater[- ]?(?:proof|resistant|resistance|repellent|tight)\b|\bsplash(?:[- ]?proof)?\b|"
            r"\brain[- ]?proof\b|\bIP(?:X\d|\d\d)\b|防水|防泼水|泼水",
            re.I,
        ),
        re.compile(
            r"\bwater[- ]?(?:proof|resistant|resistance|repellent|tight)\b|\bsplash|\brain[- ]?proof\b|"
            r"\bIP(?:X\d|\d\d)\b|\bmm waterproof\b|防水|防泼水|泼水",
            re.I,
        ),
    ),
    (
        re.compile(r"\bhow (?:warm|cold)\b|\btemperatures?\b|\brated (?:to|for)\b|保暖|温度", re.I),
        re.compile(r"-?\d+\s*°\s*[fc]?|\d+\s*degrees?\b|\bcomfort (?:rating|limit)|\blower limit\b|\d\s*度", re.I),
    ),
    (
        re.compile(
            r"\bhow (?:big|large|small|wide|tall|deep|high)\b|\bdimensions?\b|\bmeasurements?\b|尺寸|多大|多高", re.I
        ),
        # Not millimetres alone: "a 3000 mm waterproof rating" is no size.
        re.compile(r"\d\s*(?:cm|m|in|inch(?:es)?|ft|feet|foot)\b|\d\s*(?:x|×)\s*\d|\d\s*(?:厘米|米)", re.I),
    ),
    (
        re.compile(r"\bhow many (?:people|persons|liters?|litres?|cups|quarts?)\b|\bcapacity\b|容量", re.I),
        re.compile(
            r"\d\s*-?\s*(?:person|people|liters?|litres?|l|cups?|qt|quarts?)\b|\bcapacity\b|\d\s*(?:升|人)", re.I
        ),
    ),
)


# Verbs (as the tokenizer folds them) that any product question may use: a passage sharing only one of
# them with the question answers another question.
_GENERIC_VERBS = frozenset(
    tokenize("come comes get gets use uses make makes need needs include includes have has ok okay fine")
)


# "Will it work in my HL-2270DW?", "is it compatible with the WF-3520?": the products named after it.
_FITS_Q = re.compile(
    r"\b(?:work|works|fit|fits|compatible|go|goes|use|used|print)\b.*?\b(?:in|with|for|on)\b(.+)$", re.I
)


def measured_answers(question: str) -> list[re.Pattern[str]]:
    """What a sentence must state to answer ``question`` about a measured attribute (none: any).

    Example:
        >>> [p.search("weighing 1.9 kg packed") is not None for p in measured_answers("how heavy is it?")]
        [True]
        >>> [p.search("It is IPX4 splash resistant.") is not None for p in measured_answers("is it waterproof?")]
        [True]
        >>> measured_answers("does it have pockets?")
        []
    """
    return [fact for asks, fact in _MEASURED if asks.search(question)]


# Labels that stand for the shop's own site or name ("{{Website Name}}", "{{Company Name}}"); a longer label
# holding such a word names something else ("{{Shopping Cart}}", "{{Store Locator}}", "{{Review Website 1}}").
_SITE_LABEL = re.compile(
    r"(?:(?:company|store|shop|service|online store)\s+)?(?:web ?site|site)(?:\s*(?:/|or)\s*app)?"
    r"(?:\s+(?:name|url|address|link))?(?:\s+anonymized)?"
)
_SHOP_LABEL = re.compile(r"(?:company|store|shop|business|brand|online store)(?:\s+name)?(?:\s+anonymized)?")


def fill_placeholders(text: str, values: Mapping[str, str], shop_name: str = "") -> str:
    """Replace ``{{Label}}`` with a known value (by lower-case label), else a neutral phrase.

    Example:
        >>> fill_placeholders("Visit {{Website Name}} or ask {{Company Name}}.", {}, "Juniper")
        'Visit the Juniper website or ask Juniper.'
        >>> fill_placeholders("Open your {{Shopping Cart}} on {{Website/App Name}}.", {}, "Juniper")
        'Open your **Shopping Cart** on the Juniper website.'
    """

    def repl(m: re.Match[str]) -> str:
        label = m.group(1).strip()
        key = label.lower()
        if key in values:
            return values[key]
        if shop_name and _SITE_LABEL.fullmatch(key):
            return f"the {shop_name} website"
        if shop_name and _SHOP_LABEL.fullmatch(key):
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


# "Machine wash warm, tumble dry low.", "Dry it fully before storing": how to care for the product.
_CARE_SENTENCE = re.compile(
    r"^\s*(?:(?:machine|hand)[- ])?(?:wash|dry[- ]clean|tumble[- ]dry|dry|iron|rinse|spot[- ]clean|bleach)\b"
    r"|^\s*(?:do not|don't|never)\s+(?:machine[- ])?(?:wash|iron|bleach|tumble|dry)\b",
    re.I,
)


def care_instruction(sentence: str) -> bool:
    """The sentence is a care instruction, which says nothing of the product's qualities ("Machine wash
    warm" is no warmth).

    Example:
        >>> care_instruction("Machine wash warm, tumble dry low."), care_instruction("Warm enough for winter.")
        (True, False)
        >>> care_instruction("Dries quickly after a rinse.")
        False
    """
    return bool(_CARE_SENTENCE.match(sentence))


def policy_body(p: Passage) -> tuple[str, str]:
    """(heading path, passage body) of a policy chunk stored as ``heading\\n\\npassage``."""
    title = str(p.metadata.get("title") or "")
    text = p.text
    if "\n\n" in text:
        head, body = text.split("\n\n", 1)
        return title or head.strip(), body.strip()
    return title, text.strip()


def clean_markdown(text: str) -> str:
    """Quoted text without Markdown markers: bullets, bold/italic, code ticks, heading hashes."""
    text = re.sub(r"^\s*(?:[-*+]|\d+\.)\s+", "", text.strip())
    text = re.sub(r"^#+\s*", "", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", text)
    text = text.replace("`", "")
    return " ".join(text.split())


def _table_units(lines: Sequence[str]) -> list[str]:
    """Markdown table rows as sentences: "Standard: Cost $5.95, ...; Delivery time 3-5 business days"."""
    rows = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in lines]
    rows = [r for r in rows if not all(re.fullmatch(r":?-{2,}:?", c) or not c for c in r)]
    if len(rows) < 2:
        return []
    header, body = rows[0], rows[1:]
    out = []
    for r in body:
        parts = [f"{h} {c}" for h, c in zip(header[1:], r[1:], strict=False) if c]
        out.append(f"{r[0]} ({header[0]}): " + "; ".join(parts))
    return out


def policy_units(text: str) -> list[str]:
    """A policy passage as quotable units: bullets (over wrapped lines), table rows, sentences."""
    units: list[str] = []
    table: list[str] = []
    para: list[str] = []

    def flush_para() -> None:
        if para:
            units.extend(split_sentences(" ".join(para)))
            para.clear()

    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("|"):
            flush_para()
            table.append(stripped)
            continue
        if table:
            units.extend(_table_units(table))
            table = []
        if re.match(r"^([-*+]|\d+\.)\s", stripped):
            flush_para()
            units.append(stripped)
        elif not stripped:
            flush_para()
        elif units and re.match(r"^([-*+]|\d+\.)\s", units[-1]) and line.startswith((" ", "\t")):
            units[-1] += " " + stripped
        else:
            para.append(stripped)
    if table:
        units.extend(_table_units(table))
    flush_para()
    return [clean_markdown(u) for u in units if clean_markdown(u)]


def _overlap(question: str, unit: str, context: str = "") -> float:
    q = set(tokenize(question))
    words = set(tokenize(unit)) | set(tokenize(context))
    if has_cjk(question):
        return float(len(cjk_bigrams(question) & (cjk_bigrams(unit) | cjk_bigrams(context)))) + len(q & words) * 0.1
    return float(len(q & words))


# Words the index keeps that say nothing of a question's subject ("I never got it": "Agents never ask for
# a card number" shares no subject with it).
_NO_SUBJECT = frozenset({"never", "ever", "got", "say", "said"})


def _shared(question: str, unit: str) -> set[str]:
    """The content words (and, in Chinese, the character pairs) of ``question`` that ``unit`` holds."""
    shared = (set(tokenize(question)) & set(tokenize(unit))) - _NO_SUBJECT
    return shared | (cjk_bigrams(question) & cjk_bigrams(unit)) if has_cjk(question) else shared


# How much the words of the question a follow-up continues (``focus``) count beside its own words.
_FOCUS_WEIGHT = 0.5

# Cosine of each quotable unit with the customer's message (the engine's cached sentence vectors).
Meaning = Callable[[Sequence[str]], Sequence[float]]


def _subject_in(unit: str, kinds: frozenset[str]) -> bool:
    """The unit's subject, its first word ("Bikes can only…", "Helmets cannot…"), is one of ``kinds`` (stems).

    Example:
        >>> _subject_in("Bikes can only be returned unridden.", frozenset(["bike"]))
        True
        >>> _subject_in("You can return anything within 30 days.", frozenset(["bike"]))
        False
    """
    first = re.match(r"\W*([A-Za-z][\w'-]*)", unit)
    words = tokenize(first.group(1)) if first else []
    return bool(words) and words[0] in kinds


def best_sentences(
    question: str,
    text: str,
    limit: int = 2,
    min_overlap: float = 1.0,
    context: str = "",
    meaning: Meaning | None = None,
    meaning_weight: float = 0.0,
    focus: str = "",
    case: Sequence[str] = (),
    other_kinds: frozenset[str] = frozenset(),
) -> list[str]:
    """The ``limit`` units of ``text`` matching ``question`` best, in text order.

    ``other_kinds``: kinds of product (stems) the customer's item is not; a unit whose subject is one of them
    ("Bikes can only be returned if…" to a customer returning a jacket) states another kind's rule and is
    left out (when other units remain).

    ``case``: the terms (stems, Chinese words) naming the customer's case ("cancel" after a cancellation):
    only units naming it are quoted ("Cancelled orders are refunded in full…" for "when will I get my money
    back?", not the refund timing of returns); none when no unit names it.

    Overlap of content words decides (``context``, e.g. the section title, counts for every unit);
    a question about an amount prefers units stating one, a question about time units stating a
    duration. With ``meaning``, each unit's cosine with the customer's message counts
    ``meaning_weight`` times beside the shared words ("what if it's been worn?" finds "items must be
    unused, unwashed…", which shares no word with it). ``focus``: the question a follow-up continues;
    its words count half as much as the customer's own. A unit quoted beside the best one shares its
    subject (a word of the customer's own message that the best one holds too, when it holds any) or
    as many of the customer's words as the best one: the FAQ's "How much is shipping?" is no answer
    to "and can I pay with a gift card?", nor "How long does a refund take?" to "do you take gift
    cards?", whose subject is the gift card; "Return window: 30 days" answers "and returns if they
    don't fit?" beside "If … doesn't fit, … you can send it back".

    Example:
        >>> faq = ("- How much is shipping? It is $5.95.\\n- How long does a refund take? 2 days.\\n"
        ...        "- Can I pay with a gift card? Yes.")
        >>> best_sentences("and can I pay with a gift card?", faq, focus="how much is shipping?")
        ['Can I pay with a gift card? Yes.']
        >>> best_sentences("do you take gift cards?", faq)
        ['Can I pay with a gift card? Yes.']

    Example:
        >>> text = "Labels are emailed. Items must be unused. We ship fast."
        >>> best_sentences("what if I don't like it?", text, limit=1)  # no shared word: the first unit
        ['Labels are emailed.']
        >>> best_sentences("what if I don't like it?", text, limit=1, meaning=lambda us: [0.1, 0.6, 0.1],
        ...                meaning_weight=4.0)
        ['Items must be unused.']
        >>> best_sentences("what if it's been worn?", text, limit=1)  # a condition stated: the sentence on it
        ['Items must be unused.']
    """
    units = [u for u in customer_units(text) if len(u) > 3]
    if case:
        units = [u for u in units if names_case(u, case)]
    if other_kinds:
        units = [u for u in units if not _subject_in(u, other_kinds)] or units
    # A condition the customer states ("if I used it", "without the box") is answered by the sentences on
    # that condition ("items must be unused…, in their original packaging"), when the text has any.
    condition = stated_condition(question)
    units = [u for u in units if speaks_to(u, condition)] or units
    if not units:
        return []
    # The follow-up's own words and cues count whole, the focus's (the question it continues) half.
    own_amount, own_time = bool(_AMOUNT_Q.search(question)), bool(_DURATION_Q.search(question))
    want_amount = 1.0 if own_amount else _FOCUS_WEIGHT if _AMOUNT_Q.search(focus) else 0.0
    want_time = 1.0 if own_time else _FOCUS_WEIGHT if _DURATION_Q.search(focus) else 0.0
    want_clock = 1.0 if _CLOCK_Q.search(question) else _FOCUS_WEIGHT if _CLOCK_Q.search(focus) else 0.0
    carried = set(tokenize(focus)) - set(tokenize(question))
    # "how much does it cost?" after "do you ship to Canada?": "it" is the question continued, so the
    # subject of its quotes may be the earlier question's ("Canada: flat $19.95").
    elliptical = has_reference(question)
    sims = list(meaning(units)) if meaning is not None and meaning_weight > 0 else [0.0] * len(units)
    scored = []
    for i, u in enumerate(units):
        score = _overlap(question, u, context) + meaning_weight * max(float(sims[i]), 0.0)
        if carried:
            # "how much does it cost?": only an amount asked of the earlier subject, whose words count whole
            weight = 1.0 if elliptical and (own_amount or own_time) else _FOCUS_WEIGHT
            score += weight * len(carried & set(tokenize(u)))
        if want_amount and _HAS_AMOUNT.search(u):
            score += want_amount * (1.5 + 0.25 * (len(_HAS_AMOUNT.findall(u)) - 1))
        if want_time and _HAS_DURATION.search(u):
            score += want_time * 1.5
        if want_clock and _HAS_CLOCK.search(u):
            score += want_clock * 1.5
        if _LABEL_ONLY.match(u):
            score -= 1.0
        scored.append((score, -i, i, u))
    scored.sort(reverse=True)
    best = scored[0]
    # The subject: the customer's words the best unit holds, and those the section's title names
    # ("How do I return boots that don't fit?" in Returns: "Return window: 30 days" belongs beside
    # "If … doesn't fit, … you can send it back", which shares "fit" and "boots" but not "return").
    subject = _shared(question, best[3]) | _shared(question, context)
    if elliptical:  # "how much does it cost?" continues "do you ship to Canada?": its subject too
        subject |= carried
    chosen = [best] + [
        t
        for t in scored[1:limit]
        if t[0] >= min_overlap
        and (
            not subject
            or subject & ((own := _shared(question, t[3])) | (carried & set(tokenize(t[3]))))
            or len(own) >= len(subject)
            # what the customer's own question asks for: "how long does shipping take?" keeps
            # "Standard: … 3-5 business days" beside "Orders leave within 1-2 business days"
            or (own_time and bool(_HAS_DURATION.search(t[3])))
            # another sentence on the condition stated ("if I opened it": "original packaging" beside the
            # rule on opened seals)
            or speaks_to(t[3], condition)
        )
    ]
    return [u for *_rest, u in sorted(chosen, key=lambda t: t[2])]


def speaks_to(unit: str, condition: Sequence[str]) -> bool:
    """Whether ``unit`` states something about the customer's ``condition`` (its words, see
    :func:`understand.stated_condition`).

    Example:
        >>> speaks_to("Condition: items must be unused and in their original packaging.", ["box", "packaging"])
        True
        >>> speaks_to("Return window: 30 days from delivery.", ["used", "use", "unused"])
        False
        >>> speaks_to("商品须未使用、未洗涤。", ["用过", "未使用"])
        True
    """
    if not condition:
        return False
    # the word as said, not its stem: "opened" is not the "open Orders" of a how-to
    words = set(re.findall(r"[a-z]+", unit.lower()))
    return any(w in unit if has_cjk(w) else w in words for w in condition)


# Words that only ask ("how long", "how much"): a label naming the rest of the question names it whole.
_ASKING_TERMS = frozenset(tokenize("long much many often soon exactly"))


def label_names(question: str, unit: str) -> bool:
    """Whether ``unit`` is a labelled rule whose label names everything the question asks about ("Return
    window: 30 days…" for "how long is your return window?"): it answers alone.

    Example:
        >>> label_names("how long is your return window?", "Return window: 30 days from the delivery date.")
        True
        >>> label_names("how long do returns take?", "Return window: 30 days from the delivery date.")
        False
        >>> label_names("how long is your return window?", "We inspect returns within 2 business days.")
        False
    """
    head, sep, _rest = unit.partition(":")
    if not sep or len(head.split()) > 5:
        return False
    asked = set(tokenize(question)) - _ASKING_TERMS
    return len(asked) >= 2 and asked <= set(tokenize(head))


def names_case(unit: str, case: Sequence[str]) -> bool:
    """Whether ``unit`` names the case given by its ``case`` terms (stems as :func:`tokenize` folds them, or
    Chinese words).

    Example:
        >>> names_case("Cancelled orders are refunded in full right away.", ("cancel", "取消"))
        True
        >>> names_case("We inspect returns and issue the refund within 2 business days.", ("cancel", "取消"))
        False
    """
    words = set(tokenize(unit))
    return any(t in unit if has_cjk(t) else t in words for t in case)


# Chinese character pairs that only ask or point ("怎么", "可以", "你们"): like English stopwords, they say
# nothing of what a sentence is about.
_ZH_FUNCTION_PAIRS = frozenset(
    {"怎么", "怎样", "如何", "什么", "可以", "能否", "是否", "多少", "多久", "请问", "我们", "你们", "我的", "您的"}
)


def _second_weight(asked: str, unit: str) -> int:
    """How much a sentence of a second section speaks to the customer's words ``asked``: the words it shares
    with them (in Chinese, character pairs), and one more when it states the amount or duration asked for.

    Example:
        >>> _second_weight("I moved, how do I update my address?", "P.O. boxes and addresses use USPS only.")
        1
        >>> _second_weight("how long does shipping to Canada take?", "Canada: flat $19.95, 7-12 business days.")
        2
        >>> _second_weight("我搬家了，怎么修改地址？", "怎么查询订单？请提供下单时使用的邮箱，或全名加收货地址邮编。")
        1
    """
    typed = (_DURATION_Q.search(asked) and _HAS_DURATION.search(unit)) or (
        _AMOUNT_Q.search(asked) and _HAS_AMOUNT.search(unit)
    )
    return len(_shared(asked, unit) - _ZH_FUNCTION_PAIRS) + (1 if typed else 0)


def _title_terms(title: str) -> set[str]:
    """A section title's content terms: its stems, and in Chinese its character pairs (a one-pair title,
    "退货", is its own term)."""
    return set(tokenize(title)) | (cjk_bigrams(title) if has_cjk(title) else set())


def _named_section(question: str, ranked: Sequence[Passage], own: str = "") -> Passage | None:
    """The one retrieved policy section whose title the customer names whole ("你们的退货政策是什么？" names
    退货, Returns), when the fused first's title shares nothing with the question: words of the section
    body can lift another section ("…按退货政策退回" in the one on cancellations). ``own``: the customer's
    own words when ``question`` holds words added to find the section (a fault report's "defective faulty
    damaged wrong item warranty…"): of several sections so named, the one whose title shares a word of
    theirs ("you sent me the wrong boots": "Damaged or wrong items", not "Warranty")."""
    asked = _title_terms(question)
    titled = [(p, _title_terms(policy_body(p)[0].split(">")[-1])) for p in ranked if p.collection == "policies"]
    if not titled or titled[0][0] is not ranked[0] or titled[0][1] & asked:
        return None
    named = [p for p, terms in titled if terms and terms <= asked]
    if own and len({policy_body(p)[0] for p in named}) > 1:
        mine = _title_terms(own)
        named = [p for p, terms in titled if p in named and terms & mine]
    return named[0] if len({policy_body(p)[0] for p in named}) == 1 else None


def _asks_how_long(question: str) -> bool:
    return bool(re.search(r"\bhow long\b|多久|多长时间", question, re.I))


def _states_asked(question: str, body: str) -> bool:
    """Whether a section's text states the duration a "how long…?" question asks for, in a sentence for
    customers sharing a word of the question: "how long does delivery take?" is answered by "it can often
    take a couple days for the product to arrive", though another section's heading names delivery.

    Example:
        >>> _states_asked("how long does delivery take?", "- When shipping, it can take a couple days to arrive")
        True
        >>> _states_asked("when is my subscription due?", "- The standard subscription is $99 a year.")
        False
    """
    if not _asks_how_long(question):
        return False
    return any(_HAS_DURATION.search(u) and _shared(question, u) for u in customer_units(body))


def _case_named(question: str, p: Passage) -> int:
    """How many of the question's content terms the heading of policy section ``p`` names (its last part: in
    "Subscription Inquiry > Status Due Date" the case, "Status Due Date"; the first part is the topic all
    its cases share).

    Example:
        >>> p = Passage("p1", "policies", "Billing > Status Due Date\\n\\nGet the ID.", {}, 0.0)
        >>> _case_named("when is my subscription due for renewal?", p), _case_named("how much do I owe?", p)
        (1, 0)
    """
    if p.collection != "policies":
        return 0
    return len(_title_terms(policy_body(p)[0].split(">")[-1]) & _title_terms(question))


# How much closer (cosine) a section written only for the staff may be than the section quoted: a
# section far below the closest one would answer another question ("order 500 pens with our logo"
# quoted the return rules, the nearest section being the agents' out-of-stock steps).
STAFF_ONLY_MARGIN = 0.1


def not_covered(question: str, section: Passage, language: str = "en", others: Sequence[Passage] = ()) -> str:
    """The "not covered, shall I pass it to a person?" reply, naming the topic in the customer's own words when
    they share words with the title of the section that covers it for the staff ("password" for
    "Recover Password"), else of the first of ``others`` (the other sections retrieved) whose title
    they share; the section itself is not named (its title is the staff's word for a case).

    The words named are those of one run in the question that names a thing: after "my", "the", "of",
    "what"… ("my payment method", "benefits of membership"), not an action ("I got billed", "do you
    ship"); of several, the longest, then the last ("the status of my refund": "refund").

    Example:
        >>> p = Passage("p1", "policies", "Account > Recover Password\\n\\nGet the ID.", {}, 0.0, cosine=0.5)
        >>> not_covered("I forgot my password and can't log in", p).split(".")[0]
        "I'm sorry, our help center has nothing I can tell you about your password"
        >>> bill = Passage("p2", "policies", "Billing > Manage Dispute Bill\\n\\nGet the ID.", {}, 0.0, cosine=0.5)
        >>> not_covered("I got billed twice", bill).startswith("I'm sorry, I couldn't find an answer")
        True
    """
    if not has_cjk(question):
        for candidate in (section, *others):
            if candidate.collection != "policies":
                continue
            topic = _topic_words(question, policy_body(candidate)[0].split(">")[-1])
            if topic:
                return say("unanswered_topic", language, topic=topic)
    return say("unanswered", language)


# A word after which the customer's next word names a thing, not an action.
_NAMES_AFTER = frozenset(
    {
        "my", "your", "our", "the", "a", "an", "this", "that", "these", "those", "its", "of", "about", "for",
        "with", "on", "what", "which", "any", "some", "no",
    }
)  # fmt: skip


_PREPOSITIONS = frozenset({"of", "about", "for", "with", "on"})


def _topic_words(question: str, title: str) -> str:
    """The run of the question's words that a section's title shares and that names a thing (see
    :func:`not_covered`), lower-cased; "" when none."""
    shared = set(tokenize(title))
    words = re.findall(r"[^\W\d_][\w'-]*", question)
    runs: list[list[int]] = []
    for i, word in enumerate(words):
        if set(tokenize(word)) & shared:
            if runs and runs[-1][-1] == i - 1:
                runs[-1].append(i)
            else:
                runs.append([i])
    named = [r for r in runs if r[0] > 0 and words[r[0] - 1].lower() in _NAMES_AFTER]
    if not named:
        return ""
    # A thing the customer has ("the item", "my refund") before one a preposition names ("out of stock": not
    # "your stock").
    run = max(named, key=lambda r: (words[r[0] - 1].lower() not in _PREPOSITIONS, len(r), r[0]))
    return " ".join(words[i].lower() for i in run[:3])


def _answers_own(asked: str, quotes: Sequence[str], body: str) -> bool:
    """Whether ``quotes`` of a section may answer the customer's words ``asked``: a section written for
    customers always may (its sections are topics: "what if it's been worn?" is answered by "Items
    must be unused"); in one written for the staff (an agent playbook), the sections are cases found
    by their description, and what is quotable is what is left of their steps, so a quote must share
    a content word with the customer's.

    Example:
        >>> playbook = "- Get the amount for [Offer Refund]\\n  - The total refund is the sum of both refunds."
        >>> _answers_own("I want to exchange an item", ["The total refund is the sum of both refunds."], playbook)
        False
        >>> _answers_own("can I get a refund?", ["The total refund is the sum of both refunds."], playbook)
        True
    """
    if has_cjk(asked) and not any(has_cjk(u) for u in quotes):
        return True  # a Chinese question of an English playbook shares no word: the retrieval decides
    return not written_for_staff(body) or any(_shared(asked, u) for u in quotes)


def passage_language(p: Passage) -> str:
    lang = p.metadata.get("language")
    if isinstance(lang, str) and lang:
        return lang
    return "zh" if has_cjk(p.text) else "en"


class ExtractiveComposer:
    """Builds replies from the best passages and catalog facts; no language model involved.

    ``min_policy_cosine`` is the similarity a policy passage needs to answer at all.
    """

    def __init__(
        self,
        shop_name: str = "",
        min_policy_cosine: float = 0.3,
        meaning_weight: float = 0.0,
        section_margin: float = 1.0,
        currency: str = "USD",
    ) -> None:
        self.shop_name = shop_name
        self.currency = currency  # how prices are written (the `conversation.currency` setting)
        self.min_policy_cosine = min_policy_cosine
        self.meaning_weight = meaning_weight
        self.section_margin = section_margin

    def _answering(self, ranked: Sequence[Passage], question: str = "", own: str = "") -> Passage:
        """The passage that answers: the first of the fused order, unless another retrieved one is closer in
        meaning by more than ``section_margin`` (words like "how long … take" can lift an unrelated entry;
        "what time are you open?" shares "time" with the delivery times, not one word with the opening hours).
        """
        first = ranked[0]
        named = _named_section(question, ranked, own) if question else None
        if named is not None:
            return named
        closest = max(ranked, key=lambda p: p.cosine or 0.0)
        if (closest.cosine or 0.0) - (first.cosine or 0.0) > self.section_margin:
            return closest
        return first

    # --- policy and approved answers -----------------------------------------------------------
    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        language: str = "en",
        focus: str = "",
        slot_values: Mapping[str, str] | None = None,
        meaning: Meaning | None = None,
        own: str | None = None,
        case: Sequence[str] = (),
        other_kinds: frozenset[str] = frozenset(),
    ) -> Composed:
        """Answer a service question from policy passages and approved answers (never past replies).

        ``focus`` is extra wording used only to pick the sentences (the topic a follow-up continues).
        ``meaning``: each sentence's cosine with the customer's own message, weighed
        ``meaning_weight`` times beside shared words when picking the sentences of the best section.
        ``slot_values``: the *verified* customer's own details for an approved answer's slots
        (:mod:`assistant.conversation.slots`); slots without a value are worded neutrally.
        ``own``: the customer's own words when ``question`` holds words added to find the section (a
        fault report's "defective faulty damaged…"); a quote from a section written for the staff must
        share one of them (or, in a follow-up, of ``focus``).
        ``case``: the terms naming the customer's case (see :func:`best_sentences`): only sentences naming it
        are quoted, and when the answering section has none, the reply says it is not found.
        ``other_kinds``: kinds of product the customer's item is not (see :func:`best_sentences`).
        """
        shop_text = [p for p in passages if p.collection in ("policies", "answers")]
        mine = question if own is None else own  # the customer's own words, without a topic's added
        asked = f"{mine} {focus}".strip()
        # A section with nothing written for customers (only steps for the staff) answers nothing.
        # A label ("Flow: refunds and returns.") states nothing either.
        usable = [
            p
            for p in shop_text
            if p.collection != "policies" or any(not _LABEL_ONLY.match(u) for u in customer_units(policy_body(p)[1]))
        ]
        same = [p for p in usable if passage_language(p) == language]
        staff_only = [p for p in shop_text if p not in usable]
        nearest = max(staff_only, key=lambda p: p.cosine or 0.0, default=None)
        if nearest is not None and (
            not usable or (nearest.cosine or 0.0) - ((same or usable)[0].cosine or 0.0) > STAFF_ONLY_MARGIN
        ):
            # The section closest to the question is written for the staff only ("Recover Password"
            # in an agent playbook): quoting a farther one would answer another question. Not covered.
            return Composed(
                not_covered(question, nearest, language, shop_text), (), meta={"basis": "none", "topic": True}
            )
        first = shop_text[0] if shop_text else None
        if (
            first is not None
            and first in staff_only
            and first.collection == "policies"
            and ((same or usable)[0].cosine or 0.0) - (first.cosine or 0.0) <= STAFF_ONLY_MARGIN
            and not (usable and _case_named(mine, (same or usable)[0]) >= max(1, _case_named(mine, first)))
        ):
            # The section that matches best is written for the staff only ("Refund Status" for "what's
            # the status of my refund?"): the next one with a sentence for customers is another case
            # ("Update Refund": adding an item to a refund). Not covered, as above. Unless the next one's
            # heading names the question as well ("how do I update my payment method?": "Manage Payment
            # Method" for the staff, "Status Payment Method" states the payment methods accepted).
            return Composed(
                not_covered(question, first, language, shop_text), (), meta={"basis": "none", "topic": True}
            )
        if not usable:
            return Composed(say("no_answer", language), (), meta={"basis": "none"})
        best = self._answering(same or usable, question, "" if own is None else own)
        if best.collection == "policies" and _asks_how_long(mine) and not _states_asked(mine, policy_body(best)[1]):
            # "how long will shipping take?": a section nearly as close that states the duration asked
            # ("it can often take a couple days…") answers, not the closest one that states none ("The item
            # has already shipped and the date cannot be altered").
            timed = [
                p
                for p in (same or usable)
                if p.collection == "policies"
                and (p.cosine or 0.0) >= (best.cosine or 0.0) - STAFF_ONLY_MARGIN / 2
                and _states_asked(mine, policy_body(p)[1])
            ]
            best = timed[0] if timed else best
        named_case = max(
            (
                p
                for p in staff_only
                if p.collection == "policies" and (best.cosine or 0.0) - (p.cosine or 0.0) <= STAFF_ONLY_MARGIN
            ),
            key=lambda p: _case_named(mine, p),
            default=None,
        )
        if (
            named_case is not None
            and _case_named(mine, named_case) > _case_named(mine, best)
            and not _states_asked(mine, policy_body(best)[1])
        ):
            # A section nearly as close whose heading names the question better than the best one's is the
            # case asked about ("when is my subscription due for renewal?": "Status Due Date", not "Manage Pay
            # Bill", whose "The standard subscription is $99 a year." shares only the topic of both); it holds
            # nothing for customers: not covered.
            return Composed(
                not_covered(question, named_case, language, shop_text), (), meta={"basis": "none", "topic": True}
            )
        rest = [p for p in (same or usable) if p is not best]
        pick = f"{question} {focus}".strip()
        if best.collection == "answers":
            title = str(best.metadata.get("title") or "Our answer")
            # {order_number}-style slots: the verified customer's own values, else neutral words.
            filled = fill_answer_slots(best.text, dict(slot_values or {}))
            body = clean_markdown(fill_placeholders(filled, {}, self.shop_name))
            text = f"{say('answer_intro', language, title=title)}\n{snippet(body, 600)} [1]"
            return Composed(text, (best,), meta={"basis": "answer"})
        used = [best]
        title, body = policy_body(best)
        # A long section is stored in several chunks: read them together.
        for other in rest[:3]:
            if other.collection == "policies" and policy_body(other)[0] == title and other.id != best.id:
                body += "\n\n" + policy_body(other)[1]
        section = clean_markdown(title.split(">")[-1].strip()) if title else "our policy"
        parts = [say("policy_intro", language, section=section)]
        chosen = best_sentences(
            question,
            body,
            limit=2,
            context=title,
            meaning=meaning,
            meaning_weight=self.meaning_weight,
            focus=focus,
            case=case,
            other_kinds=other_kinds,
        )
        if case and not chosen:
            # The section on the question says nothing of the customer's case ("when will I get my money
            # back?" after a cancellation, and only the refunds of returns are stated): not found.
            return Composed(say("unanswered", language), (), meta={"basis": "none"})
        # The customer's own words the quotes share: a follow-up naming its own subject ("and can I pay
        # with a gift card?" after "how much is shipping?") is answered about it, not the one before.
        if not _answers_own(asked, chosen, body):
            # A playbook's sentence left over from its steps, sharing no word with the customer's
            # ("The total refund is the amount of …" for "I want to exchange an item"): the section
            # was found for its case, which its quotable sentences do not speak to. Not covered.
            return Composed(not_covered(question, best, language, shop_text), (), meta={"basis": "none", "topic": True})
        # A labelled rule naming everything asked ("Return window: 30 days…") answers alone: nothing beside it.
        whole = next((u for u in chosen if label_names(mine, u)), None)
        chosen = [whole] if whole is not None else chosen
        subject = set().union(*(_shared(question, u) for u in chosen))
        asks = question if subject else pick
        parts.extend(f"- {u} [1]" for u in chosen)
        # "How long do refunds take?": when the best section states no duration (no amount for "how
        # much"), the sentence that does may sit in another retrieved section: add it, cited.
        typed = _HAS_DURATION if _DURATION_Q.search(asks) else (_HAS_AMOUNT if _AMOUNT_Q.search(asks) else None)
        if typed is not None and whole is None and not any(typed.search(u) for u in chosen):
            for extra in rest[:3]:
                if extra.collection != "policies" or policy_body(extra)[0] == title:
                    continue
                etitle, ebody = policy_body(extra)
                hits = [
                    u
                    for u in customer_units(ebody)
                    if typed.search(u)
                    and _overlap(asks, u) >= 1
                    and _answers_own(asked, [u], ebody)
                    and (not case or names_case(u, case))
                ]
                if hits:
                    used.append(extra)
                    parts.append(f"- {max(hits, key=lambda u: _overlap(asks, u, etitle))} [{len(used)}]")
                    break
        # A second section when it matches nearly as well and adds something the question asks about.
        covered = set().union(*(_shared(asked, u) for u in chosen))
        condition = stated_condition(question)
        for extra in rest[:1] if whole is None else ():
            close = (extra.cosine or 0.0) >= (best.cosine or 0.0) - 0.05
            if close and extra.collection == "policies" and policy_body(extra)[0] != title:
                more = best_sentences(asks, policy_body(extra)[1], limit=1, min_overlap=2, case=case)
                if more and focus and not _shared(question, more[0]):
                    # A follow-up ("can I send it back if it doesn't fit?" after "how many days do I have
                    # to send something back?"): the question it continues picks the best section's
                    # quotes, but another section must answer the customer's own words, not only the
                    # earlier ones ("a couple days for the product to arrive" answers no return).
                    more = []
                if more and not _answers_own(asked, more, policy_body(extra)[1]):
                    more = []  # a playbook's sentence sharing no word with the customer's (see above)
                if more and any(speaks_to(u, condition) for u in chosen) and not speaks_to(more[0], condition):
                    more = []  # the condition stated is answered above ("if I used it": "items must be unused")
                if (
                    more
                    and _second_weight(asked, more[0]) < 2
                    and not _shared(asked, more[0]) - covered - _ZH_FUNCTION_PAIRS
                ):
                    # Another section's sentence sharing one word of the customer's, one the quotes above
                    # already speak to, adds nothing asked ("I moved, how do I update my address?": "P.O. boxes
                    # and APO/FPO addresses are served by USPS Standard only" beside the order-changes rule on
                    # changing an address); "can I get it by friday if I order today" keeps the overnight
                    # "order … placed by 12:00 pm" beside the hours on Fridays.
                    more = []
                if (
                    more
                    and _DURATION_Q.search(mine)
                    and any(_HAS_DURATION.search(u) for u in chosen)
                    and not _HAS_DURATION.search(more[0])
                ):
                    # "how long does delivery take?" is answered by the duration quoted: another section's
                    # sentence naming delivery but no duration ("… 'Out for Delivery' … then it is too late")
                    # adds nothing asked.
                    more = []
                if more and more[0] not in "\n".join(parts):
                    used.append(extra)
                    parts.append(f"- {more[0]} [{len(used)}]")
        return Composed("\n".join(parts), tuple(used), meta={"basis": "policy"})

    # --- products ------------------------------------------------------------------------------
    @staticmethod
    def kinds_answer(thing: str, passages: Sequence[Passage], language: str = "en") -> Composed | None:
        """The answer to "what membership levels do you have?" from the shop's text: the sentences of the
        retrieved section that opens the most sentences with distinct kinds of ``thing`` ("Gold members get
        unlimited returns", "Silver members: …", "Bronze …", "Guest …"), one a kind, cited; None when no
        section names two kinds (then the question is answered, or not, as any other).

        Example:
            >>> body = "Returns > Size\\n\\n- Gold members get unlimited returns\\n- Silver members: 6 months"
            >>> print(ExtractiveComposer.kinds_answer("membership", [Passage("p", "policies", body, {}, 0.0)]).text)
            Our help center names these kinds of membership: Gold and Silver. What it says about each, under **Size**:
            - Gold members get unlimited returns [1]
            - Silver members: 6 months [1]
        """
        best: tuple[int, Passage, list[str]] | None = None
        for p in passages:
            if p.collection != "policies":
                continue
            seen: dict[str, str] = {}
            for u in customer_units(policy_body(p)[1]):
                kind = kind_named(thing, u)
                if kind is not None and kind not in seen:
                    seen[kind] = u
            if len(seen) >= 2 and (best is None or len(seen) > best[0]):
                best = (len(seen), p, list(seen.values()))
        if best is None:
            return None
        _, p, units = best
        title = policy_body(p)[0]
        section = clean_markdown(title.split(">")[-1].strip()) if title else "our policy"
        names = [kind_named(thing, u) or "" for u in units]
        listed = "、".join(names) if language == "zh" else ", ".join(names[:-1]) + f" and {names[-1]}"
        # A playbook's heading ("Return Due to Size") is the staff's name for a case, not the customer's topic:
        # the rules it states are quoted (cited), its heading not said.
        plain = written_for_staff(policy_body(p)[1])
        intro = say(
            "kinds_intro_plain" if plain else "kinds_intro",
            language,
            thing=thing.lower(),
            names=listed,
            section=section,
        )
        lines = [intro, *(f"- {u} [1]" for u in units)]
        return Composed("\n".join(lines), (p,), meta={"basis": "policy"})

    def product_price(self, product: ProductFacts, language: str) -> str:
        prices = sorted({v[1] for v in product.variants if v[1] is not None})
        if len(prices) > 1:
            return say(
                "price_range",
                language,
                name=product.name,
                low=money(prices[0], language, self.currency),
                high=money(prices[-1], language, self.currency),
            )
        price = product.price if product.price is not None else (prices[0] if prices else None)
        if price is None:
            return say("no_price", language, name=product.name)
        return say("price", language, name=product.name, price=money(price, language, self.currency))

    @staticmethod
    def product_stock(product: ProductFacts, language: str) -> str:
        if not product.available:
            return say("out_of_stock", language, name=product.name)
        opts = [" / ".join(str(v) for v in o.values()) for o, _p, ok in product.variants if ok]
        opts = [o for o in opts if o]  # a variant without options ({}) is the product itself
        if not opts:
            return say("in_stock", language, name=product.name)
        return say("stock", language, options=", ".join(opts[:12]))

    def product_answer(
        self,
        question: str,
        product: ProductFacts,
        qa: Sequence[Passage],
        reviews: Sequence[Passage],
        language: str = "en",
        *,
        wants_price: bool = False,
        wants_stock: bool = False,
        overview: bool = False,
    ) -> Composed:
        """Answer from the product's own facts first, then its Q&A, then reviews; each labelled.

        Only sources that share the question's content words are quoted, so an answer never opens
        with a yes or no given to a different question. ``overview`` ("tell me more about it"):
        what the catalog states about the product as a whole (brand, category, price, description).
        """
        if overview and not (wants_price or wants_stock):
            return self.product_overview(product, language)
        # "does the stove come with a carrying case?" asks about a case: "come" alone is no match for the
        # Q&A "does the stove come with propane?".
        ask = (
            [w for w in tokenize(question) if w not in product.name_words and w not in _GENERIC_VERBS]
            or [w for w in tokenize(question) if w not in product.name_words]
            or tokenize(question)
        )
        ask_text = " ".join(ask)
        lines: list[str] = []
        if wants_price:
            lines.append(self.product_price(product, language) + " [1]")
        if wants_stock:
            lines.append(self.product_stock(product, language) + " [1]")
            option = asked_option(question)
            if option and not any(o for o, _p, _ok in product.variants):
                # "what sizes does it come in?" of a product sold in one version: say so, not an empty list
                lines.append(say("one_version", language, name=product.name, what=option))
        measured = measured_answers(question)
        opinion = asks_opinion(question)
        # The question's English words ("battery 能用多久？": battery), generic verbs left out.
        latin = {w for w in tokenize(question) if not has_cjk(w) and w not in _GENERIC_VERBS}

        fit = asks_fit(question)

        def answers(text: str, review: bool = False) -> bool:
            if opinion:  # "what do people say about it?": what reviewers wrote, whatever the words
                return review
            if fit:  # "is it true to size?": a sentence on how the sizes fit ("the L is snug"), whatever its words
                return states_fit(text)
            if measured:
                return any(m.search(text) for m in measured)
            words = set(tokenize(text))
            if not words & set(ask):
                return False
            # A buyer's sentence sharing one word of a longer question ("carry" of "does the stove come
            # with a carrying case?") says something else: a review answers with two of its words (the
            # product's name counts: "in the rain" of the Rain Shell).
            return not review or len(words & latin) >= min(2, len(latin))

        fits = _FITS_Q.search(question)
        listed = written_codes(fits.group(1), product.codes) if fits else []
        if listed and not (wants_price or wants_stock):
            # An Amazon-style title lists the models a supply is made for: the name answers.
            lines.append(say("name_lists", language, name=product.name, codes=", ".join(listed)) + " [1]")
        facts = [s for s in product.sentences() if answers(s)]
        if facts and not (wants_price or wants_stock):
            # Chinese sentences follow each other without a space ("…防水。…保暖。").
            quoted = joined((clean_markdown(s) for s in facts[:2]), "zh" if has_cjk(facts[0]) else "en")
            lines.append(f"{say('from_description', language, name=product.name)} {quoted} [1]")
        used: list[Passage] = []
        from_facts = bool(lines)
        if not lines:
            for p in qa:
                q_part, _, a_part = p.text.partition("\nA:")
                if a_part.strip() and (answers(a_part) if measured else answers(q_part)):
                    used.append(p)
                    label = say("from_qa", language, name=product.name)
                    q_text = clean_markdown(q_part.removeprefix("Q:"))
                    a_text = snippet(clean_markdown(a_part), 280)
                    lines.append(f"{label} \u201c{q_text}\u201d \u2014 {a_text} [{len(used)}]")
                    break
        if not lines and opinion and reviews:
            return self.review_summary(product, reviews, language)
        if not lines:
            quotes = []
            for p in reviews:
                hits = [s for s in split_sentences(p.text) if answers(s, review=True)]
                if hits:
                    used.append(p)
                    if fit:  # a reviewer's fit in their sentences ("the L is snug"), the title ("Runs slim") else
                        hits = [h for h in hits if h.rstrip()[-1:] in ".!?"] or hits
                    said = " ".join(hits[:2]) if fit else hits[0]
                    quotes.append(f"\u201c{snippet(said, 240)}\u201d [{len(used)}]")
                if len(used) >= 2:
                    break
            if quotes:  # one label for the quotes of up to two reviews
                lines.append(f"{say('from_reviews', language, name=product.name)} {' '.join(quotes)}")
        if not lines:
            return Composed(say("product_unknown", language, name=product.name), (), meta={"basis": "none"})
        if not ask_text:
            lines = lines[:1]
        return Composed("\n".join(lines), tuple(used), meta={"basis": "product", "product_cited": from_facts})

    @staticmethod
    def product_said(product: ProductFacts, sentence: str, question: str = "", language: str = "en") -> Composed:
        """One sentence of the product's own text that answers in other words than the question's:
        from its description, or (``question``: that Q&A entry's question) from an answer in its Q&A."""
        text = clean_markdown(sentence)
        if not question:
            line = f"{say('from_description', language, name=product.name)} {text} [1]"
            return Composed(line, (), meta={"basis": "product", "product_cited": True})
        asked = clean_markdown(question)
        line = f"{say('from_qa', language, name=product.name)} \u201c{asked}\u201d \u2014 {text} [1]"
        return Composed(line, (), meta={"basis": "product", "product_cited": True})

    @staticmethod
    def review_summary(product: ProductFacts, reviews: Sequence[Passage], language: str = "en") -> Composed:
        """ "What do other customers say about it?": the average of all its reviews' ratings, then what
        the best- and the worst-rated of the retrieved reviews say (title and first sentence), so a
        critical review is shown beside a glowing one rather than two glowing ones."""
        lines: list[str] = []
        rated_as = product.rating()
        if rated_as is not None:
            average, scale, count = rated_as
            key = "review_average" if count > 1 else "review_single"
            lines.append(say(key, language, name=product.name, average=average, scale=scale, count=str(count)))

        def stars(p: Passage) -> float:
            return float(p.metadata.get("rating") or 0.0)

        whole = list({str(p.metadata.get("record_id") or p.id): p for p in reversed(reviews)}.values())[::-1]
        rated = sorted(whole, key=lambda p: -stars(p))  # one passage per review, best-rated first
        picked = rated[:1] + [p for p in rated[-1:] if stars(p) < stars(rated[0])] if rated else []
        picked = picked if len(picked) == 2 else rated[:2]
        lines.append(say("from_reviews", language, name=product.name))
        for i, p in enumerate(picked, start=1):
            head, _, rest = p.text.partition("\n")
            first = next(iter(split_sentences(rest.strip())), "")
            said = f"{head.strip()}: {first}" if first and head.strip() else first or head.strip()
            given = f" ({stars(p):g}/{5 if stars(p) <= 5 else 10})" if stars(p) else ""
            lines.append(f"- \u201c{snippet(said, 240)}\u201d{given} [{i}]")
        return Composed("\n".join(lines), tuple(picked), meta={"basis": "product", "product_cited": False})

    def product_overview(self, product: ProductFacts, language: str = "en") -> Composed:
        """The product's own catalog facts: brand, category (its last level), price, two description
        sentences. Nothing is added that the catalog does not state."""
        facts: list[str] = []
        if product.brand:
            facts.append(say("overview_brand", language, brand=product.brand))
        if product.category:
            leaf = product.category.replace(">", ",").split(",")[-1].strip()
            leaf = category_zh(leaf) if language == "zh" else leaf
            facts.append(say("overview_category", language, category=leaf))
        if product.price is not None or any(v[1] is not None for v in product.variants):
            facts.append(self.product_price(product, language))
        facts.extend(clean_markdown(s) for s in product.sentences()[:2])
        lines = [say("overview_intro", language, name=product.name)]
        lines.extend(f"- {f} [1]" for f in facts if f)
        return Composed("\n".join(lines), (), meta={"basis": "product", "product_cited": True})

    # --- shopping ------------------------------------------------------------------------------
    def shopping_answer(
        self,
        question: str,
        products: Sequence[ProductFacts],
        language: str = "en",
        *,
        need: str = "",
        lead: str = "",
        before: str = "",
    ) -> Composed:
        """The matching products, each with its price and one line of its own description; ``before``: a
        line ahead of the usual opening ("Got it, I'll leave out tents.")."""
        lines = [before] if before and not lead else []
        lines += [lead] if lead else []
        if need:
            lines.append(say("shopping_intro", language, need=need))
        elif not lead:
            lines.append(say("shopping_intro_plain", language))
        for n, p in enumerate(products, start=1):
            price = f" ({money(p.price, language, self.currency)})" if p.price else ""
            stock = "" if p.available else (" — 缺货" if language == "zh" else " — currently out of stock")
            if language == "zh":
                lines.append(f"- **{p.name}**{price}{stock} [{n}]")
                continue
            # (a care instruction, "Machine wash warm.", says nothing of what the product is for)
            sents = [t for t in p.sentences() if not care_instruction(t)] or p.sentences()
            line = " ".join(best_sentences(question, " ".join(sents), limit=1)) if sents else ""
            body = f": {snippet(clean_markdown(line), 200)}" if line else ""
            lines.append(f"- **{p.name}**{price}{stock}{body} [{n}]")
        lines.append(say("shopping_outro", language))
        return Composed("\n".join(lines), (), meta={"basis": "catalog"})

    @staticmethod
    def order_status(orders: Sequence[OrderFacts], missing: Sequence[str], language: str = "en") -> Composed:
        """Order details of the verified customer, straight from the store, in ``language``."""
        parts: list[str] = []
        if orders:
            parts.append(say("orders_intro", language))
            for i, order in enumerate(orders, start=1):
                parts.append(f"- {order.text_in(language)} [{i}]")
        bullet = "- " if orders else ""  # beside the orders found, a line of the list; alone, the answer
        if len(missing) == 1:
            parts.append(bullet + say("order_missing", language))
        elif missing:
            parts.append(bullet + say("orders_missing", language, count=str(len(missing))))
        if not parts:
            parts.append(say("no_orders", language))
        return Composed("\n".join(parts), (), facts=tuple(line for o in orders for line in o.lines_in(language)))
