"""Which policy section answers: a labelled set of service questions on the office shop (ABCD's agent
playbook as policy, the Amazon Office catalog, Bitext conversations as history).

Each question lists the section titles (substrings) that may answer it first; ``NC`` accepts a reply
saying the help center does not cover it (a person offered), where the section for the case holds only
agents' steps. Prints each reply and the count of questions answered from an accepted section.

Build the shop once as ``tests/assistant/evaluation/test_other_shop_dialogues.py`` does
(``test_office_shop_with_an_agent_playbook_suite_passes``, 800 items), then:

    SHOPASSIST_DATA_DIR=/tmp/office-shop python -m benchmarks.office_policy_sections [substring]

(as a module: run as a file, ``benchmarks/ingest.py`` would hide the ``ingest`` package)
"""

from __future__ import annotations

import logging
import sys

from assistant.config import load_settings
from assistant.services import Services

NC = "NC"
LABELS: list[tuple[str, list[str]]] = [
    ("What's your return policy?", ["Return Due to", "Policy FAQ", NC]),
    ("how many days do I have to send something back?", ["Return Due to"]),
    ("can I return a shirt that doesn't fit?", ["Return Due to"]),
    ("How much does shipping cost?", ["Shipping Cost", "Pricing FAQ", NC]),
    ("how long does delivery take?", ["Status Delivery Time", "Shipping Status", "Timing FAQ", NC]),
    ("My promo code isn't working at checkout, why?", ["Promo Code Invalid", "Promo Code Out of Date", NC]),
    ("my promo code has expired, can I still use it?", ["Promo Code Out of Date", NC]),
    ("I forgot my password and can't log in", ["Recover Password", NC]),
    ("I forgot my username", ["Recover Username", NC]),
    ("how do I reset my two-factor authentication?", ["Reset Two-Factor", NC]),
    ("my credit card keeps getting declined on your website", ["Invalid Credit Card", NC]),
    ("the items in my cart aren't updating", ["Cart Not Updating", NC]),
    ("the search on your site isn't working", ["Search Not Working", NC]),
    ("your website is really slow", ["Website Too Slow", NC]),
    ("how do I change the phone number on my account?", ["Manage Change Phone", NC]),
    ("I moved, how do I change my address on my account?", ["Manage Change Address", NC]),
    ("how do I update my payment method?", ["Manage Payment Method", "Status Payment Method"]),
    ("what payment methods do you accept?", ["Payment Method"]),
    ("I need to change the name on my account", ["Manage Change Name", NC]),
    ("what are the membership levels?", ["Membership FAQ", "Manage Extension", "Return Due to"]),
    ("what are the benefits of membership?", ["Membership FAQ", NC]),
    ("when is my subscription due for renewal?", ["Status Due Date", "Status Active", "Membership FAQ", NC]),
    ("how do I renew my subscription?", ["Manage Pay Bill", "Status Due Date", NC]),
    ("is my premium subscription still active?", ["Status Active", NC]),
    ("how much do I owe on my subscription?", ["Status Due Amount", "Manage Pay Bill", NC]),
    ("I can't pay my subscription this month, can I get an extension?", ["Manage Extension"]),
    ("a service was added to my account that I never asked for", ["Status Service Added", NC]),
    ("the item I want is out of stock", ["Out-of-Stock", NC]),
    ("I found the same item cheaper at another store", ["Bad Price Competitor", NC]),
    ("the price dropped the day after I bought it", ["Bad Price Yesterday", NC]),
    ("an item was missing from my package", ["Missing Item", NC]),
    ("what's the status of my refund?", ["Refund Status", NC]),
    ("how much does gift wrapping cost?", ["Pricing FAQ", NC]),
    ("when does the annual sale begin?", ["Timing FAQ", NC]),
]
NOT_COVERED = ("couldn't find", "nothing I can tell you", "member of our team")


def main(only: str = "") -> int:
    logging.disable(logging.WARNING)
    assistant = Services.build(load_settings()).assistant
    good = total = 0
    for question, accepted in LABELS:
        if only and only.lower() not in question.lower():
            continue
        total += 1
        reply = assistant.send(assistant.start_conversation(), question)
        cited = [c.title for c in reply.citations if c.collection == "policies"]
        covered = not cited and any(s in reply.text for s in NOT_COVERED)
        first = cited[0] if cited else ""
        ok = (covered and NC in accepted) or any(a != NC and a.lower() in first.lower() for a in accepted if first)
        good += ok
        shown = first or ("not covered" if covered else f"other: {[c.title for c in reply.citations][:3]}")
        print(f"{'OK ' if ok else 'BAD'} {question!r} -> {shown} {cited[1:]}")
        print("      " + reply.text.replace("\n", " | ")[:400])
    print(f"{good}/{total} answered from an accepted section")
    return 0 if good == total else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
