"""Value bands for trends: ransoms and assets are counted by how large they were, in euro-equivalent bands,
so that amounts in different currencies fall in comparable cells and no exact amount is published.

The rates are indicative reference rates (euros per unit, rounded, late 2026), used only to place an
amount in a band a decade wide: a band changes only if a rate moves by an order of magnitude near a
boundary. Currencies without a rate here count in the "unknown" band rather than a guessed one.
"""

from decimal import Decimal

NO_BAND = "-"  # measures that are not amounts
UNKNOWN = "unknown"
# (upper bound in euros, exclusive; label), smallest first; above the last bound: "1m+".
BANDS = (
    (Decimal(10_000), "<10k"),
    (Decimal(100_000), "10k-100k"),
    (Decimal(1_000_000), "100k-1m"),
)
TOP = "1m+"
ORDER = [label for _bound, label in BANDS] + [TOP, UNKNOWN]

EUROS_PER_UNIT = {
    "EUR": Decimal("1"),
    "USD": Decimal("0.92"),
    "GBP": Decimal("1.17"),
    "CHF": Decimal("1.05"),
    "JPY": Decimal("0.0062"),
    "CNY": Decimal("0.13"),
    "CAD": Decimal("0.67"),
    "AUD": Decimal("0.60"),
    "SEK": Decimal("0.087"),
    "NOK": Decimal("0.085"),
    "DKK": Decimal("0.134"),
    "PLN": Decimal("0.23"),
    "CZK": Decimal("0.040"),
    "HUF": Decimal("0.0025"),
    "RON": Decimal("0.20"),
    "TRY": Decimal("0.027"),
    "RUB": Decimal("0.010"),
    "UAH": Decimal("0.022"),
    "MXN": Decimal("0.050"),
    "COP": Decimal("0.00023"),
    "BRL": Decimal("0.17"),
    "ARS": Decimal("0.0009"),
    "VES": Decimal("0.02"),
    "PEN": Decimal("0.25"),
    "CLP": Decimal("0.001"),
    "ZAR": Decimal("0.050"),
    "NGN": Decimal("0.0006"),
    "KES": Decimal("0.0071"),
    "EGP": Decimal("0.019"),
    "MAD": Decimal("0.092"),
    "INR": Decimal("0.011"),
    "PKR": Decimal("0.0033"),
    "PHP": Decimal("0.016"),
    "IDR": Decimal("0.000057"),
    "AED": Decimal("0.25"),
    "SAR": Decimal("0.245"),
    "ILS": Decimal("0.25"),
}


def band_of(amount: Decimal | str | float | None, currency: str | None) -> str:
    """The band an amount falls in, or "unknown" when it or its currency's rate is missing."""
    rate = EUROS_PER_UNIT.get(currency or "")
    if amount is None or rate is None:
        return UNKNOWN
    euros = Decimal(str(amount)) * rate
    for bound, label in BANDS:
        if euros < bound:
            return label
    return TOP
