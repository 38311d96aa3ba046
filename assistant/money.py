"""Prices and budgets written in the shop's currency (the ``conversation.currency`` setting), for replies and pages."""

from __future__ import annotations

# ISO 4217 code -> (the symbol written before an amount in English, the unit written after it in Chinese,
# the minor-unit digits of a price); the `conversation.currency` setting accepts these codes.
CURRENCIES: dict[str, tuple[str, str, int]] = {
    "USD": ("$", "美元", 2),
    "EUR": ("€", "欧元", 2),
    "GBP": ("£", "英镑", 2),
    "CNY": ("¥", "元", 2),
    "JPY": ("¥", "日元", 0),
    "CAD": ("CA$", "加元", 2),
    "AUD": ("A$", "澳元", 2),
    "CHF": ("CHF ", "瑞士法郎", 2),
}


def money(value: float, language: str, currency: str) -> str:
    """A price as the catalog states it, in the shop's currency (the ``conversation.currency`` setting).

    Example:
        >>> money(28, "en", "USD"), money(1234.5, "en", "EUR"), money(28, "zh", "USD"), money(9.5, "zh", "GBP")
        ('$28.00', '€1,234.50', '28.00 美元', '9.50 英镑')
        >>> money(2800, "en", "JPY")
        '¥2,800'
    """
    symbol, unit, digits = CURRENCIES[currency]
    number = f"{value:,.{digits}f}"
    return f"{number} {unit}" if language == "zh" else f"{symbol}{number}"


def amount(value: float, language: str, currency: str) -> str:
    """A budget as the customer would write it, in the shop's currency: "$150", "€12.5", "150美元".

    Example:
        >>> amount(150, "en", "EUR"), amount(12.5, "en", "USD"), amount(150, "zh", "EUR"), amount(20, "zh", "CNY")
        ('€150', '$12.5', '150欧元', '20元')
    """
    symbol, unit, _digits = CURRENCIES[currency]
    return f"{value:g}{unit}" if language == "zh" else f"{symbol}{value:g}"
