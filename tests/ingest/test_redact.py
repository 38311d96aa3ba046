"""Tests for the PII redaction stage (``ingest.redact``).

The core of this file is a labelled set of customer-service texts, written by hand
and generated from templates: each case lists the PII values that must be
replaced by their placeholder and the near-miss values (order ids, product ids,
prices, dates, tracking numbers, ...) that must survive verbatim.  Per-type
precision and recall are computed over it at the span level and printed
(run with ``-s`` to see them).
"""

from __future__ import annotations

import logging
import random
import re
import socket
import statistics
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ingest.redact as redact_module
from ingest.redact import ENTITY_TYPES, RedactionResult, Redactor, get_redactor

# ---------------------------------------------------------------------------
# Labelled set
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One labelled text: ``pii`` values must be replaced, ``keep`` values must survive."""

    text: str
    pii: tuple[tuple[str, str], ...] = ()
    keep: tuple[str, ...] = ()


def luhn_valid(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


EMAILS = [
    "jane.doe@example.com",
    "john+orders@gmail.com",
    "support-team@mail.shop.example.co.uk",
    "JOHN.SMITH@EXAMPLE.COM",
    "a.b-c_d@sub.domain.example.org",
    "o'brien@example.ie",
    "user123@example.io",
    "maria.garcia@correo.example.es",
    "li.wei@example.cn",
    "first.last+tag@sub.example.com.au",
    "x@example.de",
    "Customer.Care@Example.Net",
    "bob_smith99@yahoo.com",
    "anna-lena@web.de",
    "kim@example.co.jp",
    "dev+shop+2026@example.dev",
    "info@xn--mller-kva.de",
    "sales@example-shop.com",
    "n.nguyen@example.vn",
    "Tom.O.Hara+Returns@Shop.Example.Travel",
]
EMAIL_TEMPLATES = [
    "Please send the invoice to {v} as soon as possible.",
    "My email is {v}",
    "You can reach me at {v}, thanks!",
    "Contact: {v}",
    "I changed my address to {v} last week but still get mails on the old one.",
    "Hi, this is Jane ({v}) writing about my refund.",
    "email me at <{v}> please",
    "Reply to {v}.",
    "{v} is the account email.",
    "Can you update the account email to {v}? The old one no longer works.",
]

PHONES = [
    # US / Canada (NANP)
    "(415) 555-0132",
    "415-555-0132",
    "415.555.0132",
    "415 555 0132",
    "+1 415 555 0132",
    "+1-212-555-0187",
    "1-800-555-0199",
    "+1 (312) 555-0178",
    "(646) 555-0143",
    "202.555.0161",
    "+1.415.555.0132",
    "1 (415) 555-0132",
    "+1 416 555 0199",
    "604-555-0142",
    # UK
    "+44 20 7946 0958",
    "+44 161 496 0000",
    "+44 7911 123456",
    "+44 (0)20 7946 0958",
    "020 7946 0958",
    "07911 123456",
    # Germany
    "+49 30 901820",
    "+49 89 12345678",
    "+49 1512 3456789",
    "030 901820",
    "0151 23456789",
    # France
    "+33 1 42 68 53 00",
    "+33 6 12 34 56 78",
    "01 42 68 53 00",
    # India
    "+91 98765 43210",
    "+91-22-2778-1234",
    # China
    "+86 138 0013 8000",
    "+86 10 6552 9988",
    "010 6552 9988",
    # Australia
    "+61 2 9374 4000",
    "+61 412 345 678",
    "(02) 9374 4000",
    "0412 345 678",
    # other +CC forms
    "+353 1 234 5678",
    "+81 3-1234-5678",
    "+34 912 345 678",
    "+55 11 91234-5678",
]
PHONE_TEMPLATES = [
    "Call me at {v} after 5pm.",
    "My phone number is {v}",
    "You can reach me on {v} tomorrow morning.",
    "Tel: {v}",
    "please text {v} when the courier is close",
    "My new mobile: {v} (the old one is disconnected)",
    "If nobody answers, try {v}.",
    "{v} is my cell, call anytime",
]

CARDS = [
    "4111 1111 1111 1111",  # Visa
    "4111-1111-1111-1111",
    "4111111111111111",
    "4012 8888 8888 1881",
    "4222222222222",  # 13-digit Visa
    "4000 0566 5566 5556",  # Visa debit
    "5555 5555 5555 4444",  # Mastercard
    "5105-1051-0510-5100",
    "2223 0031 2200 3222",  # Mastercard 2-series
    "5200828282828210",
    "3782 822463 10005",  # Amex
    "3714-496353-98431",
    "378734493671000",
    "6011 1111 1111 1117",  # Discover
    "6011-0009-9013-9424",
    "6011000990139424",
    "3056 930902 5904",  # Diners (14)
    "3530 1113 3330 0000",  # JCB
    "3566 0020 2036 0505",
    "6200 0000 0000 0005",  # UnionPay
    "6205500000000000004",  # UnionPay, 19 digits
]
CARD_TEMPLATES = [
    "My card number is {v}, expiry 09/27.",
    "Please charge {v} for the replacement.",
    "I paid with {v} but was charged twice.",
    "Visa {v}",
    "card: {v} cvv 123",
    "The refund should go to {v}.",
]

ADDRESSES = [
    "123 Main Street",
    "42 Oak Ave, Apt 5",
    "1600 Pennsylvania Avenue NW",
    "221B Baker Street",
    "10 Downing Street",
    "350 Fifth Avenue, Suite 3300",
    "77 Massachusetts Ave",
    "500 W 5th St",
    "9 Elm Rd",
    "1234 N. Lake Shore Dr.",
    "15 Church Lane",
    "Hauptstraße 5",
    "Friedrichstr. 123",
    "PO Box 1234",
    "456 Maple Blvd, Unit 12",
    "3 Cherry Tree Close",
    "742 Evergreen Terrace",
    "100 Universal City Plaza",
    "88 Queen's Road",
    "12 harbour road",
]
ADDRESS_TEMPLATES = [
    "Please ship it to {v}.",
    "My address is {v}, Springfield, IL 62704.",
    "I moved to {v} last month",
    "Deliver to {v} between 9 and 5",
    "Send the return label to {v} please",
]

# Near-misses that must never be redacted.
ORDER_IDS = [
    "#W2378156",
    "#JP1004",
    "113542617735902",
    "00004587345",
    "#113542617735902",
    "9876543210",
    "112-7584910-3362214",
    "W2378156",
    "4012888888881881",  # Luhn-valid, but an order id here
    "#7894561230",
]
ORDER_TEMPLATES = [
    "Where is my order {v}?",
    "order {v} arrived damaged",
    "I want to return purchase {v}.",
    "Status of order number {v} please",
    "My order ID is {v} and it is late",
    "Refund for purchase {v} has not arrived",
]
PRODUCT_IDS = ["JP-001", "B00004Z5M1", "SKU 884392-0012", "model SM-G991B", "item 10045871", "ASIN B07XJ8C8F5"]
PRICES = ["$1,299.99", "€49.95", "USD 2,499.00", "$12,345,678.90", "£7.50", "1.299,00 €"]
DATES = ["2026-09-14", "09/14/2026", "14.09.2026", "September 14, 2026", "2026/09/14", "14/09/26"]
TIMES = ["10:30 AM", "14:45", "between 9am and 5pm", "2026-09-14 10:30:00", "at 8:15:30"]
TRACKING = [
    "1Z999AA10123456784",
    "9400111899223197428490",
    "tracking 794612345678",
    "TBA123456789000",
    "JJD0002249542365",
    "tracking number 612345678901234",
]
ZIPS = ["94105", "10001-1234", "SW1A 1AA", "D-10115", "75008"]
QUANTITIES = ["3 items", "qty 250", "2 x 500ml", "a pack of 12", "1,000 units", "a 2 TB Drive"]
VERSIONS = ["version 10.15.7", "v2.3.14", "firmware 1.0.20260914", "iOS 17.4.1", "build 20260914.1"]
INVALID_LUHN = ["4111 1111 1111 1112", "1234 5678 9012 3456", "5555 5555 5555 4445", "6011 1111 1111 1118"]
MISC_NEAR_MISSES = [
    "IP 192.168.10.254",
    "IMEI 356938035643809",
    "UPC 036000291452",
    "ISBN 978-3-16-148410-0",
    "ticket 4410023",
    "room 101",
    "my account number ends in 4242",
]
NEAR_MISS_TEMPLATES = [
    "Quick question about {v}, thanks.",
    "I saw {v} on the confirmation page.",
    "The label says {v}",
]

HAND_WRITTEN: list[Case] = [
    Case("please email me the receipt", keep=("email me",)),
    Case("Can you email me when it ships?", keep=("email me",)),
    Case("I tweeted @ShopAssistHelp about this yesterday", keep=("@ShopAssistHelp",)),
    Case("Email is the best way to reach me", keep=("Email",)),
    Case("The parcel 1Z999AA10123456784 left the depot at 10:30 AM", keep=("1Z999AA10123456784", "10:30 AM")),
    Case("Order #W2378156 for $1,299.99 placed on 2026-09-14", keep=("#W2378156", "$1,299.99", "2026-09-14")),
    Case("order 113542617735902 and purchase 00004587345", keep=("113542617735902", "00004587345")),
    Case("Order #JP1004: 2 x JP-001 kettles, zip 94105", keep=("#JP1004", "JP-001", "94105")),
    Case("Invoice 2026-000123 covers order #113542617735902", keep=("2026-000123", "#113542617735902")),
    Case("B00004Z5M1 is out of stock until 09/14/2026", keep=("B00004Z5M1", "09/14/2026")),
    Case("Please update to version 10.15.7 and reboot", keep=("10.15.7",)),
    Case("The code 4111 1111 1111 1112 did not work", keep=("4111 1111 1111 1112",)),
    Case("Support hours: 9-5, Mon-Fri, 14:45 cut-off", keep=("9-5", "14:45")),
    Case(
        "Hi, order #W2378156: call (415) 555-0132 or mail jane@example.com; card 4111 1111 1111 1111 "
        "was charged $1,299.99 on 09/14/2026. Ship to 42 Oak Ave, Apt 5.",
        pii=(
            ("PHONE", "(415) 555-0132"),
            ("EMAIL", "jane@example.com"),
            ("CARD", "4111 1111 1111 1111"),
            ("ADDRESS", "42 Oak Ave, Apt 5"),
        ),
        keep=("#W2378156", "$1,299.99", "09/14/2026"),
    ),
    Case(
        "Two addresses on file: a@example.com and b.second@example.org, phone +44 20 7946 0958.",
        pii=(("EMAIL", "a@example.com"), ("EMAIL", "b.second@example.org"), ("PHONE", "+44 20 7946 0958")),
    ),
    Case(
        "Phone #: 415-555-0132 (order # 113542617735902)",
        pii=(("PHONE", "415-555-0132"),),
        keep=("113542617735902",),
    ),
    Case("card # 5555 5555 5555 4444 please", pii=(("CARD", "5555 5555 5555 4444"),)),
    Case(
        "Call 617-555-0111 ext. 23 about purchase 00004587345", pii=(("PHONE", "617-555-0111"),), keep=("00004587345",)
    ),
    Case(
        "order 9876543210 was late; my cell is +91 98765 43210",
        pii=(("PHONE", "+91 98765 43210"),),
        keep=("9876543210 was",),
    ),
    Case(
        "Mail: JANE.DOE+ORDERS@MAIL.EXAMPLE.COM / tel 0151 23456789",
        pii=(("EMAIL", "JANE.DOE+ORDERS@MAIL.EXAMPLE.COM"), ("PHONE", "0151 23456789")),
    ),
    Case(
        "Amex 3782 822463 10005 expires 09/28, Discover 6011-0009-9013-9424",
        pii=(("CARD", "3782 822463 10005"), ("CARD", "6011-0009-9013-9424")),
        keep=("09/28",),
    ),
    Case(
        "Bitte an Hauptstraße 5, 10115 Berlin liefern, Tel. +49 30 901820",
        pii=(("ADDRESS", "Hauptstraße 5"), ("PHONE", "+49 30 901820")),
        keep=("10115 Berlin",),
    ),
    Case(
        "请发邮件到zhang.wei@example.cn谢谢，订单号#JP1004",
        pii=(("EMAIL", "zhang.wei@example.cn"),),
        keep=("#JP1004", "请发邮件到", "谢谢"),
    ),
    Case("我的电话是+86 138 0013 8000", pii=(("PHONE", "+86 138 0013 8000"),), keep=("我的电话是",)),
    # punctuation around the values
    Case("Write to jane@example.com.", pii=(("EMAIL", "jane@example.com"),)),
    Case("(jane@example.com)", pii=(("EMAIL", "jane@example.com"),)),
    Case("mailto:jane@example.com", pii=(("EMAIL", "jane@example.com"),)),
    Case("JANE@EXAMPLE.ORG; thanks", pii=(("EMAIL", "JANE@EXAMPLE.ORG"),)),
    Case("a@123mail.com is my old address", pii=(("EMAIL", "a@123mail.com"),)),
    Case("邮箱：li.na@example.com。", pii=(("EMAIL", "li.na@example.com"),)),
    Case("Call 415-555-0132.", pii=(("PHONE", "415-555-0132"),)),
    Case("(415)555-0132 is mine", pii=(("PHONE", "(415)555-0132"),)),
    Case("call 4155550132 please", pii=(("PHONE", "4155550132"),)),
    Case("WhatsApp +14155550132", pii=(("PHONE", "+14155550132"),)),
    Case("UK office +44 (0) 20 7946 0958", pii=(("PHONE", "+44 (0) 20 7946 0958"),)),
    Case(
        "Berlin: +49 (0)30 901820 or 0049 30 901821", pii=(("PHONE", "+49 (0)30 901820"), ("PHONE", "0049 30 901821"))
    ),
    Case("Sydney +61 (0)2 9374 4000", pii=(("PHONE", "+61 (0)2 9374 4000"),)),
    Case("+91 9876543210 or +8613800138000", pii=(("PHONE", "+91 9876543210"), ("PHONE", "+8613800138000"))),
    Case("415 555 0132 or 415 555 0133", pii=(("PHONE", "415 555 0132"), ("PHONE", "415 555 0133"))),
    Case("card 4111 1111 1111 1111.", pii=(("CARD", "4111 1111 1111 1111"),)),
    Case("4111111111111111, thanks", pii=(("CARD", "4111111111111111"),)),
    Case("(4111-1111-1111-1111)", pii=(("CARD", "4111-1111-1111-1111"),)),
    Case("Charge 5555-5555-5555-4444 again", pii=(("CARD", "5555-5555-5555-4444"),)),
    Case("1 Infinite Loop, Cupertino, CA 95014", pii=(("ADDRESS", "1 Infinite Loop"),)),
    Case("55 Water St. in Brooklyn", pii=(("ADDRESS", "55 Water St."),), keep=("Brooklyn",)),
    Case("at 4 Privet Drive, Little Whinging", pii=(("ADDRESS", "4 Privet Drive"),)),
    Case("Flat 3, 27 Old Gloucester Street", pii=(("ADDRESS", "27 Old Gloucester Street"),)),
    # ids that look like phone or card numbers, and other digit-rich near-misses
    Case("Part no. 4155550132 is the left hinge", keep=("4155550132",)),
    Case("Customer ID 9876543210", keep=("9876543210",)),
    Case("account number 9876543210", keep=("9876543210",)),
    Case("Your case number is 07911123456", keep=("07911123456",)),
    Case("ticket #: 4155550132", keep=("4155550132",)),
    Case("member #8765432109 since 2019", keep=("8765432109",)),
    Case("Reference: 4111111111111111", keep=("4111111111111111",)),
    Case("SKU: 4006381333931", keep=("4006381333931",)),
    Case("RMA 2026091412 approved", keep=("2026091412",)),
    Case("my order: 415 555 0132", keep=("415 555 0132",)),
    Case("Shipped 2026-09-14T10:30:00Z, arrives in 3-5 business days", keep=("2026-09-14T10:30:00Z", "3-5")),
    Case("24/7 support, call center open 08:00-20:00", keep=("24/7", "08:00-20:00")),
    Case("Qty: 1000000 labels at 1,234,567 points", keep=("1000000", "1,234,567")),
    Case("card ending in 1111, PIN not needed", keep=("1111",)),
    Case("Apple Watch Series 9, 45mm, 2 pcs, about 2 Large Drives", keep=("45mm", "2 Large Drives")),
    Case("room 1012, floor 3, 10115 Berlin, 75008 Paris", keep=("1012", "10115 Berlin", "75008 Paris")),
    # A batch first run as a held-out check (it found the two near-misses "Account
    # 7788990011" and the spaced UPS number, since fixed); kept as regression cases.
    Case("hey its me again, my number changed to 917-555-0148, pls update", pii=(("PHONE", "917-555-0148"),)),
    Case(
        "You can text me at 312.555.0190 or email m.rossi@libero.it",
        pii=(("PHONE", "312.555.0190"), ("EMAIL", "m.rossi@libero.it")),
    ),
    Case("Ring me on 07700 123456 after six", pii=(("PHONE", "07700 123456"),)),
    Case("Mobile: +44 7400 123456", pii=(("PHONE", "+44 7400 123456"),)),
    Case("Tel.: 089 2123 4567 (Büro)", pii=(("PHONE", "089 2123 4567"),)),
    Case("mon numéro: 06 12 34 56 78", pii=(("PHONE", "06 12 34 56 78"),)),
    Case("call +1 650-253-0000 ext 5", pii=(("PHONE", "+1 650-253-0000"),)),
    Case(
        "my wife's cell (713) 555-0123 and mine (713) 555-0124",
        pii=(("PHONE", "(713) 555-0123"), ("PHONE", "(713) 555-0124")),
    ),
    Case("WeChat/phone 13912345678", pii=(("PHONE", "13912345678"),)),
    Case("contact no 9820012345 (India)", pii=(("PHONE", "9820012345"),)),
    Case("AU office 1300 655 506", pii=(("PHONE", "1300 655 506"),)),
    Case("Please bill my Visa 4242424242424242 exp 12/28", pii=(("CARD", "4242424242424242"),), keep=("12/28",)),
    Case("used mastercard 5454 5454 5454 5454 yesterday", pii=(("CARD", "5454 5454 5454 5454"),)),
    Case("amex: 3400 000000 00009", pii=(("CARD", "3400 000000 00009"),)),
    Case("Card no. 6011-6011-6011-6611 was declined", pii=(("CARD", "6011-6011-6011-6611"),)),
    Case("cc 5425233430109903", pii=(("CARD", "5425233430109903"),)),
    Case("my card is 4917 4845 8989 7107 and the cvv is 123", pii=(("CARD", "4917 4845 8989 7107"),)),
    Case("write back to Peter.Parker@DailyBugle.com please", pii=(("EMAIL", "Peter.Parker@DailyBugle.com"),)),
    Case("my gmail: sarah.connor1984@gmail.com.", pii=(("EMAIL", "sarah.connor1984@gmail.com"),)),
    Case(
        "Send the receipt to accounts-payable@acme-corp.co.uk;thanks",
        pii=(("EMAIL", "accounts-payable@acme-corp.co.uk"),),
    ),
    Case("email:ahmed_ali@outlook.sa", pii=(("EMAIL", "ahmed_ali@outlook.sa"),)),
    Case("E-Mail an lukas.mueller@t-online.de bitte", pii=(("EMAIL", "lukas.mueller@t-online.de"),)),
    Case("ship to 4059 Mt Lee Dr, Hollywood, CA 90068", pii=(("ADDRESS", "4059 Mt Lee Dr"),)),
    Case("I live at 31 Spooner Street, Quahog", pii=(("ADDRESS", "31 Spooner Street"),)),
    Case("new address: 700 Exposition Park Dr", pii=(("ADDRESS", "700 Exposition Park Dr"),)),
    Case("deliver to 1 Apple Park Way, Cupertino", pii=(("ADDRESS", "1 Apple Park Way"),)),
    Case("Lieferadresse: Musterweg 12, 80331 München", pii=(("ADDRESS", "Musterweg 12"),), keep=("80331 München",)),
    Case("my order 404-5551234-9876543 still says pending", keep=("404-5551234-9876543",)),
    Case("Order #1005 and order #1006 were merged", keep=("#1005", "#1006")),
    Case("it says shipment 9400110898825022579493 is delayed", keep=("9400110898825022579493",)),
    Case("The total was $4,567.89 incl. tax, invoice INV-2026-0042", keep=("$4,567.89", "INV-2026-0042")),
    Case("I bought 12 units on 3/14/2026 at 4:15pm", keep=("12 units", "3/14/2026", "4:15pm")),
    Case("model number WH-1000XM5, serial 7654321098", keep=("WH-1000XM5", "7654321098")),
    Case("The promo code SAVE15 didn't apply to SKU 55-1234-99", keep=("SAVE15", "55-1234-99")),
    Case("refund of 129.99 EUR for purchase 20260914-55812", keep=("129.99", "20260914-55812")),
    Case("Your ticket 0012345678 has been escalated", keep=("0012345678",)),
    Case("I need 2 more of item B07PGL2ZSL", keep=("B07PGL2ZSL",)),
    Case("reference number 4556737586899855 (not my card!)", keep=("4556737586899855",)),
    Case("The warehouse in zip 60614 is closed on 12/25", keep=("60614", "12/25")),
    Case("firmware v3.2.1 build 20260301 fixed it", keep=("v3.2.1", "20260301")),
    Case("order confirmation: 112-3456789-1234567", keep=("112-3456789-1234567",)),
    Case("Paid 1,049.00 on 2026.09.14", keep=("1,049.00", "2026.09.14")),
    Case("size 10.5 US, width 2E, 3 pairs", keep=("10.5", "3 pairs")),
    Case("between 08:30 and 17:00 CET", keep=("08:30", "17:00")),
    Case("call me maybe? or email me, whatever works", keep=("call me maybe",)),
    Case("My ZIP is 10001 and my apt is 4B", keep=("10001", "4B")),
    Case("Tracking: 1Z 999 AA1 01 2345 6784", keep=("1Z 999 AA1 01 2345 6784",)),
    Case("Your parcel 00340434292135100186 is out for delivery", keep=("00340434292135100186",)),
    Case("Account 7788990011 is locked", keep=("7788990011",)),
    Case("Invoice total 2 x 49.99 = 99.98", keep=("49.99", "99.98")),
]


def build_cases() -> list[Case]:
    """Hand-written cases plus template x value combinations (seeded, deterministic)."""
    rng = random.Random(20260914)
    cases = list(HAND_WRITTEN)

    def fill(values: Sequence[str], templates: Sequence[str], per_value: int) -> Iterator[tuple[str, str]]:
        for value in values:
            for template in rng.sample(list(templates), per_value):
                yield value, template.format(v=value)

    for value, text in fill(EMAILS, EMAIL_TEMPLATES, 3):
        cases.append(Case(text, pii=(("EMAIL", value),)))
    for value, text in fill(PHONES, PHONE_TEMPLATES, 3):
        cases.append(Case(text, pii=(("PHONE", value),)))
    for value, text in fill(CARDS, CARD_TEMPLATES, 3):
        cases.append(Case(text, pii=(("CARD", value),)))
    for value, text in fill(ADDRESSES, ADDRESS_TEMPLATES, 2):
        cases.append(Case(text, pii=(("ADDRESS", value),)))
    for value, text in fill(ORDER_IDS, ORDER_TEMPLATES, 3):
        cases.append(Case(text, keep=(value,)))
    near_misses = [
        *PRODUCT_IDS,
        *PRICES,
        *DATES,
        *TIMES,
        *TRACKING,
        *ZIPS,
        *QUANTITIES,
        *VERSIONS,
        *INVALID_LUHN,
        *MISC_NEAR_MISSES,
    ]
    for value, text in fill(near_misses, NEAR_MISS_TEMPLATES, 2):
        cases.append(Case(text, keep=(value,)))
    # Random order numbers: long digit runs after "order"/"#"/"purchase" (some are
    # Luhn-valid, some are valid phone numbers somewhere).
    for _ in range(40):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(9, 16)))
        prefix = rng.choice(["order ", "order #", "#", "purchase ", "Order no. ", "order number: "])
        cases.append(Case(f"Any update on {prefix}{digits}? It has been a week.", keep=(digits,)))
    # Mixed: one value of each type in one message, plus a near-miss.
    for _ in range(30):
        email, phone, card = rng.choice(EMAILS), rng.choice(PHONES), rng.choice(CARDS)
        order = rng.choice(["#W2378156", "#JP1004", "113542617735902", "00004587345"])
        text = (
            f"Hello, about order {order}: my email is {email} and my phone is {phone}. "
            f"I paid with card {card} on 2026-09-14 for $1,299.99."
        )
        cases.append(
            Case(
                text, pii=(("EMAIL", email), ("PHONE", phone), ("CARD", card)), keep=(order, "2026-09-14", "$1,299.99")
            )
        )
    return cases


CASES = build_cases()


@dataclass
class Score:
    tp: int = 0
    fn: int = 0
    fp: int = 0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0


@dataclass
class Evaluation:
    scores: dict[str, Score]
    misses: list[str]  # PII that survived or got the wrong placeholder
    damaged: list[str]  # near-misses that were not kept verbatim


def evaluate(redactor: Redactor, cases: Sequence[Case]) -> Evaluation:
    """Span-level scores: a PII value counts as found when it is gone from the output and its
    placeholder is there; every placeholder beyond the found values of its type is a false positive."""
    scores = {entity: Score() for entity in ENTITY_TYPES}
    misses: list[str] = []
    damaged: list[str] = []
    for case, result in zip(cases, redactor.redact_many([c.text for c in cases]), strict=True):
        hits: Counter[str] = Counter()
        for entity, value in case.pii:
            if value not in result.text and f"<{entity}>" in result.text:
                hits[entity] += 1
                scores[entity].tp += 1
            else:
                scores[entity].fn += 1
                misses.append(f"{entity}: {case.text!r} -> {result.text!r}")
        for entity in ENTITY_TYPES:
            placeholders = result.text.count(f"<{entity}>") - case.text.count(f"<{entity}>")
            scores[entity].fp += max(0, placeholders - hits[entity])
        damaged.extend(f"{v!r}: {case.text!r} -> {result.text!r}" for v in case.keep if v not in result.text)
    return Evaluation(scores, misses, damaged)


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return get_redactor()


# ---------------------------------------------------------------------------
# Labelled-set metrics
# ---------------------------------------------------------------------------


def test_labelled_set_is_large_and_valid() -> None:
    assert len(CASES) >= 200
    counts = Counter(entity for case in CASES for entity, _ in case.pii)
    assert all(counts[entity] >= 40 for entity in ENTITY_TYPES), counts
    assert sum(len(case.keep) for case in CASES) >= 150
    assert all(luhn_valid(card) for card in CARDS)
    assert not any(luhn_valid(number) for number in INVALID_LUHN)
    for case in CASES:
        for _, value in case.pii:
            assert value in case.text


def test_precision_and_recall_per_type(redactor: Redactor) -> None:
    evaluation = evaluate(redactor, CASES)
    print(f"\nPII redaction on {len(CASES)} labelled texts (span level):")
    print(f"  {'type':8} {'TP':>4} {'FN':>4} {'FP':>4} {'recall':>7} {'precision':>9}")
    for entity, score in evaluation.scores.items():
        print(f"  {entity:8} {score.tp:4d} {score.fn:4d} {score.fp:4d} {score.recall:7.3f} {score.precision:9.3f}")
    kept = sum(len(case.keep) for case in CASES)
    print(f"  near-miss values kept verbatim: {kept - len(evaluation.damaged)}/{kept}")
    for line in evaluation.misses + evaluation.damaged:
        print("  !", line)
    for entity in ("EMAIL", "PHONE", "CARD"):
        assert evaluation.scores[entity].recall >= 0.98, entity
        assert evaluation.scores[entity].precision >= 0.95, entity
    # Addresses are "where detectable": a looser bar, still guarded against regressions.
    assert evaluation.scores["ADDRESS"].recall >= 0.9
    assert evaluation.scores["ADDRESS"].precision >= 0.95
    assert len(evaluation.damaged) <= kept // 100


# ---------------------------------------------------------------------------
# Unit tests
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Where is my order #W2378156?",
        "Order #JP1004 has not shipped",
        "order 113542617735902 arrived broken",
        "purchase 00004587345 was refunded",
        "order number: 9876543210",
        "order 112-7584910-3362214",
        "Order no. 4012888888881881 was cancelled",
        "Product JP-001 and B00004Z5M1 are in stock",
        "tracking 1Z999AA10123456784",
        "It costs $1,299.99 and ships on 2026-09-14 or 09/14/2026 at 10:30",
        "zip 94105, 3 items, version 10.15.7",
    ],
)
def test_ids_prices_and_dates_survive(redactor: Redactor, text: str) -> None:
    result = redactor.redact(text)
    assert result.text == text
    assert result.found == {}


def test_typed_placeholders_and_counts(redactor: Redactor) -> None:
    result = redactor.redact(
        "Mail jane.doe+shop@mail.example.co.uk or call (415) 555-0132 / +44 20 7946 0958, "
        "card 4111-1111-1111-1111, ship to 123 Main Street."
    )
    assert result.text == "Mail <EMAIL> or call <PHONE> / <PHONE>, card <CARD>, ship to <ADDRESS>."
    assert result.found == {"EMAIL": 1, "PHONE": 2, "CARD": 1, "ADDRESS": 1}
    assert isinstance(result, RedactionResult)
    with pytest.raises(AttributeError):
        result.text = "changed"  # type: ignore[misc]


def test_redaction_is_idempotent(redactor: Redactor) -> None:
    first = redactor.redact_many([case.text for case in CASES])
    second = redactor.redact_many([result.text for result in first])
    for a, b in zip(first, second, strict=True):
        assert b.text == a.text
        assert b.found == {}


def test_empty_and_pii_free_text(redactor: Redactor) -> None:
    assert redactor.redact("") == RedactionResult("", {})
    assert redactor.redact_many([]) == []
    assert redactor.redact("Thanks, the kettle works again!") == RedactionResult("Thanks, the kettle works again!", {})


def test_very_long_text(redactor: Redactor) -> None:
    block = (
        "Order #W2378156 ({i}) was charged $1,299.99 on 2026-09-14. Please call me at (415) 555-0132 "
        "or write to jane.doe@example.com, card 4111 1111 1111 1111, 42 Oak Ave, Apt 5. "
    )
    text = "".join(block.format(i=i) for i in range(1000))  # ~190 kB
    started = time.perf_counter()
    result = redactor.redact(text)
    elapsed = time.perf_counter() - started
    print(f"\n{len(text)} characters redacted in {elapsed:.2f} s")
    assert result.found == {"PHONE": 1000, "EMAIL": 1000, "CARD": 1000, "ADDRESS": 1000}
    assert result.text.count("#W2378156") == 1000
    assert "555-0132" not in result.text and "@" not in result.text
    assert elapsed < 60


def test_unicode_text(redactor: Redactor) -> None:
    text = "您好，我的邮箱是zhang.wei@example.cn，订单号#JP1004还没有发货，请尽快处理。"
    result = redactor.redact(text)
    assert result.text == "您好，我的邮箱是<EMAIL>，订单号#JP1004还没有发货，请尽快处理。"
    assert result.found == {"EMAIL": 1}
    spaced = redactor.redact("Grüße aus München — schreib an jürgen@example.de oder ruf +49 89 12345678 an 🙂")
    assert spaced.text == "Grüße aus München — schreib an <EMAIL> oder ruf <PHONE> an 🙂"


def test_entity_subset_and_threshold() -> None:
    text = "Call (415) 555-0132 or mail jo@example.com"
    assert Redactor(entities=["EMAIL"]).redact(text).text == "Call (415) 555-0132 or mail <EMAIL>"
    assert Redactor(entities=("PHONE",)).redact(text).text == "Call <PHONE> or mail jo@example.com"
    # Phone numbers score 0.4 without context, 0.75 with a context word before them.
    strict = Redactor(score_threshold=0.5)
    assert strict.redact("Reach me at (415) 555-0132").found == {}
    assert strict.redact("My phone: (415) 555-0132").found == {"PHONE": 1}
    assert strict.redact(text).found == {"EMAIL": 1}


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"entities": []}, ValueError),
        ({"entities": ["EMAIL", "SSN"]}, ValueError),
        ({"entities": "EMAIL"}, TypeError),
        ({"score_threshold": 1.5}, ValueError),
        ({"score_threshold": -0.1}, ValueError),
        ({"score_threshold": "0.4"}, TypeError),
        ({"score_threshold": True}, TypeError),
    ],
)
def test_constructor_validates_arguments(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        Redactor(**kwargs)  # type: ignore[arg-type]


def test_rejects_non_string_input(redactor: Redactor) -> None:
    with pytest.raises(TypeError):
        redactor.redact(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        redactor.redact_many(["ok", b"bytes"])  # type: ignore[list-item]


def test_get_redactor_is_cached() -> None:
    assert get_redactor() is get_redactor()
    assert get_redactor().entities == ENTITY_TYPES
    assert get_redactor().score_threshold == 0.4


def test_redact_many_matches_redact(redactor: Redactor) -> None:
    texts = [case.text for case in CASES[:80]]
    assert redactor.redact_many(iter(texts)) == [redactor.redact(text) for text in texts]


def test_no_network_and_no_warnings(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """Building the engines and validating e-mail domains must not touch the network or warn."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(requests.Session, "send", refuse)
    monkeypatch.setattr(redact_module, "_engines_instance", None)  # force a fresh build
    caplog.set_level(logging.DEBUG)
    capfd.readouterr()

    result = Redactor().redact("write to someone@example.co.uk or someone@mail.example.travel")

    assert result.text == "write to <EMAIL> or <EMAIL>"
    assert attempts == []
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert not [r for r in caplog.records if r.name.startswith("tldextract")]
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_speed_per_short_text(redactor: Redactor) -> None:
    texts = {
        "PII": (
            "Hi, my order #W2378156 arrived damaged. Please call me at (415) 555-0132 or email "
            "jane.doe+shop@mail.example.co.uk about a refund of $129.99 by 2026-09-14. The box was "
            "wet too. Thanks a lot, Jane"
        ),
        "digits, no PII": (
            "Hello, order 113542617735902 shipped on 2026-09-14 with tracking 1Z999AA10123456784; "
            "the JP-001 kettle cost $1,299.99 and I would like to return it, please tell me how to "
            "do that. Thanks, Bo"
        ),
        "plain": (
            "Hello, the kettle I bought last week stopped working after two days. Can you tell me "
            "how to return it and whether I get a full refund for it? Thanks a lot for your help, "
            "and have a nice weekend!"
        ),
    }
    print()
    for name, text in texts.items():
        assert 190 <= len(text) <= 210, len(text)
        for _ in range(20):
            redactor.redact(text)
        runs = []
        for _ in range(5):
            started = time.process_time()
            for _ in range(100):
                redactor.redact(text)
            runs.append((time.process_time() - started) * 1000 / 100)
        print(f"redact, {len(text)}-char text, {name:15}: {min(runs):.3f} ms (median {statistics.median(runs):.3f})")
        assert min(runs) < 10  # generous: CI machines are slow and shared


# ---------------------------------------------------------------------------
# Property tests
# ---------------------------------------------------------------------------

FRAGMENTS = [
    *EMAILS,
    *PHONES,
    *CARDS,
    *ADDRESSES,
    *ORDER_IDS,
    *PRODUCT_IDS,
    *PRICES,
    *DATES,
    *TRACKING,
    "order",
    "#",
    "purchase",
    "call me",
    "email me",
    "please",
    ",",
    ".",
    "\n",
    "Thanks!",
    "订单",
    "🙂",
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=12), max_size=12),
    st.sampled_from([" ", ", ", "\n", "  ", ". ", " and "]),
)
def test_redaction_is_idempotent_on_generated_text(redactor: Redactor, parts: list[str], separator: str) -> None:
    """Whatever one pass leaves, a second pass leaves too (found by this test: numbers
    next to other numbers, which python-phonenumbers reads as one candidate)."""
    text = separator.join(parts)
    once = redactor.redact(text)
    assert redactor.redact(once.text).text == once.text
    assert sum(once.found.values()) == len(re.findall(r"<(?:EMAIL|PHONE|CARD|ADDRESS)>", once.text)) - len(
        re.findall(r"<(?:EMAIL|PHONE|CARD|ADDRESS)>", text)
    )
