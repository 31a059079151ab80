"""Availability as shops state it -> ``in_stock``, ``out_of_stock``, ``preorder``, ``backorder`` or None.

Inputs: schema.org values (``https://schema.org/InStock``, ``http://schema.org/OutOfStock``,
``schema:PreOrder``, ``InStock`` ...), platform flags (WooCommerce ``instock`` / ``outofstock`` /
``onbackorder``, Magento ``IN_STOCK``, Shopify ``available: true``, 1/0, "true"/"false",
``available``/``unavailable``), CSS classes (``stock in-stock``, ``available-on-backorder``),
stock quantities (an int > 0 is in stock, 0 is out of stock, a negative one is unknown) and the
wording of Greek, English, German and French shops, with or without accents, in any case.

schema.org mapping: InStock, LimitedAvailability, OnlineOnly, InStoreOnly -> in_stock;
OutOfStock, SoldOut, Discontinued, Reserved -> out_of_stock; PreOrder, PreSale -> preorder;
BackOrder, MadeToOrder -> backorder.

Wording rules, first match wins, so negations come before what they negate ("μη διαθέσιμο"
before "διαθέσιμο", "unavailable"/"not available" before "available"):

1. out_of_stock: sold out, not available, 0 left, "Εξαντλημένο", "(Προσωρινά) μη διαθέσιμο",
   "Ausverkauft", "Nicht vorrätig", "Rupture de stock", "Épuisé"; also "coming soon" /
   "Διαθέσιμο σύντομα" / "bientôt disponible" / "Αναμένεται": not orderable today.
2. backorder: "Διαθέσιμο κατόπιν παραγγελίας" (PrestaShop's Greek wording for "available on
   backorder", as on ``knitshop``), "Available on backorder", "Made to order", "Sur commande",
   "Auf Bestellung".
3. preorder: "Pre-order", "Προ-παραγγελία" (OpenCart), "Vorbestellbar", "Précommande", and a bare
   "Κατόπιν παραγγελίας": the hand-made shop ``cityknitting`` says that for its pre-orders (its
   availabilities are in_stock/out_of_stock/preorder). "Διαθέσιμο" in front of it makes it a
   backorder (rule 2), which is how the two Greek wordings are told apart.
4. delivery delays ("Διαθέσιμο σε 4-10 ημέρες", "Ships in 2-3 weeks", "Lieferzeit 5-7 Tage",
   "Expédié sous 2 à 3 semaines"): in_stock when the shortest delay is at most 3 days (the shop
   has it at hand), backorder when longer (the shop orders it from its supplier).
5. in_stock: "In stock", "Only 3 left", "Άμεσα διαθέσιμο", "Διαθέσιμο", "Σε απόθεμα",
   "Auf Lager", "Lieferbar", "En stock", "Disponible", "Derniers articles".

Anything else (empty, unknown wording, other types) -> None: unknown is not out of stock.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

IN_STOCK, OUT_OF_STOCK, PREORDER, BACKORDER = "in_stock", "out_of_stock", "preorder", "backorder"
AVAILABILITIES = (IN_STOCK, OUT_OF_STOCK, PREORDER, BACKORDER)

# Whole values, compared with everything but letters and digits removed ("IN_STOCK" -> "instock").
_TOKENS: dict[str, str] = {
    **dict.fromkeys(
        ("instock", "limitedavailability", "onlineonly", "instoreonly", "available", "true", "yes", "y"), IN_STOCK
    ),
    **dict.fromkeys(
        (
            "outofstock",
            "soldout",
            "discontinued",
            "reserved",
            "unavailable",
            "notavailable",
            "false",
            "no",
            "n",
            "nostock",
        ),
        OUT_OF_STOCK,
    ),
    **dict.fromkeys(("preorder", "presale", "availableforpreorder"), PREORDER),
    **dict.fromkeys(("backorder", "onbackorder", "backordered", "madetoorder", "availableonbackorder"), BACKORDER),
}

# Greek word stems are matched on folded text: lower case, no accents, final sigma as sigma.
_AVAILABLE_EL = r"διαθεσιμ(?:ο|α|η|οσ|εσ|ον)"
_DAYS = r"(?P<low>\d+)(?:\s*(?:-|–|to|εωσ|bis|a|à)\s*(?P<high>\d+))?\+?\s*"

_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # WooCommerce: "In stock (can be backordered)" is in stock, backorders merely allowed.
    (IN_STOCK, re.compile(r"\bin stock\b.*\bcan be back ?ordered")),
    (
        OUT_OF_STOCK,
        re.compile(
            rf"\bout of stock|\boutofstock\b|\bsold ?out\b|\bnot (?:currently |yet )?(?:in stock|available)"
            rf"|\bunavailable\b|\bno longer available|\bno stock\b|\bdiscontinued\b|\bcoming soon\b"
            rf"|\bavailable soon\b|\bback soon\b|\b0 (?:left|in stock|available)\b"
            rf"|\bμη {_AVAILABLE_EL}|\bδεν ειναι {_AVAILABLE_EL}|\bεξαντλ|\bεκτοσ αποθεματοσ|\bχωρισ αποθεμα"
            rf"|\bδεν υπαρχει αποθεμα|\b{_AVAILABLE_EL} συντομα|\bερχεται συντομα|\bαναμενεται"
            r"|\bnicht (?:vorratig|verfugbar|lieferbar|auf lager|mehr)|\bausverkauft|\bvergriffen|\bbald verfugbar"
            r"|\brupture\b|\bepuise|\bindisponible|\b(?:non|plus|pas) disponible|\bhors stock|\bbientot disponible"
        ),
    ),
    (
        BACKORDER,
        re.compile(
            rf"\bback ?order|\bonbackorder\b|\bmade to order\b|\bspecial order\b"
            rf"|\b{_AVAILABLE_EL}\b.*\bκατοπιν παραγγελιασ|\bμε παραγγελια\b"
            r"|\bauf bestellung\b|\bnachbestellt\b|\bsur commande\b|\ben reapprovisionnement\b"
        ),
    ),
    (
        PREORDER,
        re.compile(
            r"\bpre ?order|\bpre ?sale\b|\bκατοπιν παραγγελιασ|\bπρο ?παραγγελι"
            r"|\bvorbestell|\bvorverkauf\b|\bpre ?commande"
        ),
    ),
)
_IN_STOCK = re.compile(
    rf"\bin ?stock\b|\bonly \d+ left\b|\b\d+ (?:left|in stock|available)\b|\blast (?:\d+ )?items?\b|\bfew left\b"
    rf"|\blow stock\b|\blimited (?:stock|availability)\b|\bavailable\b|\bready to ship\b"
    rf"|\b{_AVAILABLE_EL}\b|\bσε αποθεμα\b|\bυπαρχει αποθεμα\b|\bετοιμο\w* για αποστολη|\bτελευταια τεμαχια"
    rf"|\bπεριορισμενο αποθεμα"
    r"|\bauf lager\b|\blieferbar\b|\bvorratig\b|\bverfugbar\b|\bsofort\b"
    r"|\ben stock\b|\bdisponible\b|\bderniers? articles?\b|\bstock limite\b"
)
# "Διαθέσιμο σε 4-10 ημέρες", "Ships in 2-3 weeks", "Lieferzeit: 5-7 Werktage", "Expédié sous 3 jours".
_DELAY = re.compile(
    rf"(?:{_AVAILABLE_EL}|παραδοση|αποστολη|ships?|shipped|dispatch\w*|deliver\w*|available|usually ships"
    r"|lieferbar|lieferzeit|versand\w*|expedie\w*|livr\w*|disponible)"
    rf"\W+(?:(?:σε|εντοσ|απο|in|within|sous|en|dans|innerhalb(?: von)?)\s+)?{_DAYS}"
    r"(?P<unit>ωρ|ημερ|εργασιμ|εβδομαδ|μην|hour|business day|working day|day|week|month"
    r"|stunde|werktag|arbeitstag|tag|woche|monat|heure|jour|semaine|mois)"
)
_DAYS_PER_UNIT = {
    "ωρ": Decimal(1) / 24,
    "hour": Decimal(1) / 24,
    "stunde": Decimal(1) / 24,
    "heure": Decimal(1) / 24,
    "εβδομαδ": 7,
    "week": 7,
    "woche": 7,
    "semaine": 7,
    "μην": 30,
    "month": 30,
    "monat": 30,
    "mois": 30,
}
_MAX_IN_STOCK_DELAY_DAYS = 3
_LABEL = re.compile(
    r"^(?:availability|stock status|stock|status|διαθεσιμοτητα|κατασταση|verfugbarkeit|lieferstatus"
    r"|disponibilite|etat du stock)\s*:\s*"
)


def map_availability(value: object) -> str | None:
    """Map an availability value (see the module docstring) onto the enum, or None when unknown."""
    if value is None:
        return None
    if isinstance(value, bool):
        return IN_STOCK if value else OUT_OF_STOCK
    if isinstance(value, (int, Decimal, float)):
        return _from_quantity(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if re.fullmatch(r"[+-]?\d+", text):
        return _from_quantity(int(text))
    token = re.sub(r"[\W_]+", "", _schema_name(text).casefold())
    if token in _TOKENS:
        return _TOKENS[token]
    return _from_wording(_fold(text))


def _from_quantity(quantity: int | float | Decimal) -> str | None:
    """A stock count: positive -> in stock, zero -> out of stock; negative (oversold) -> unknown."""
    if isinstance(quantity, Decimal) and quantity.is_nan():
        return None
    if quantity > 0:  # a float NaN is neither > 0 nor == 0: unknown
        return IN_STOCK
    return OUT_OF_STOCK if quantity == 0 else None


def _schema_name(text: str) -> str:
    """``https://schema.org/InStock`` and ``schema:InStock`` -> ``InStock``; other text unchanged."""
    match = re.fullmatch(r"(?:https?://)?(?:www\.)?schema\.org/(\w+)/?|schema:(\w+)", text, re.IGNORECASE)
    return (match.group(1) or match.group(2)) if match else text


def _fold(text: str) -> str:
    """Lower case, no accents (Greek tonos included), final sigma as sigma, separators as spaces."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)  # "OutOfStock" inside a longer text
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("ς", "σ")
    folded = re.sub(r"(?<=[^\W\d])[-_/]+|[-_/]+(?=[^\W\d])", " ", folded)  # "in-stock" splits, "4-10" stays
    folded = re.sub(r"\s+", " ", folded).strip(" .!:;")
    return _LABEL.sub("", folded)


def _from_wording(text: str) -> str | None:
    if not text:
        return None
    for availability, pattern in _RULES:
        if pattern.search(text):
            return availability
    delay = _delay_days(text)
    if delay is not None:
        return IN_STOCK if delay <= _MAX_IN_STOCK_DELAY_DAYS else BACKORDER
    if _IN_STOCK.search(text):
        return IN_STOCK
    # Compact platform flags inside a class list ("product type-product instock").
    for word in text.split():
        if word in _TOKENS and len(word) > 3:
            return _TOKENS[word]
    return None


def _delay_days(text: str) -> Decimal | None:
    """The shortest delivery delay the text promises, in days, or None when it states none."""
    match = _DELAY.search(text)
    if not match:
        return None
    unit = match.group("unit")
    return Decimal(match.group("low")) * Decimal(_DAYS_PER_UNIT.get(unit, 1))
