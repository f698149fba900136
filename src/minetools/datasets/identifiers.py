"""Fictitious personal numbers for the sample generator, and the two checks they pass.

Card numbers pass the Luhn check and mainland ID numbers the ISO 7064 MOD 11-2 check, so that the masking
stage meets them the way it meets real ones. Every number is drawn from the caller's ``random.Random``.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

MOBILE_PREFIXES = ("138", "139", "135", "136", "137", "150", "151", "152", "158", "159", "182", "187", "188",
                   "130", "131", "132", "155", "156", "186", "133", "153", "180", "189", "177", "199", "166")
CARD_BINS_16 = ("622202", "622848", "621700", "436742", "622588", "625965")
CARD_BINS_19 = ("6222", "6228", "6217", "6216", "6212", "6230")
#: Region codes (first six digits) of the generated ID numbers.
REGIONS = ("110105", "310104", "440106", "320102", "330106", "510107", "420106", "370102", "210102",
           "610113", "350203", "430104", "500103", "120104", "410105")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def pick(r: random.Random, seq):
    """Fast uniform pick (``random.choice`` equivalent for our purposes)."""
    return seq[int(r.random() * len(seq))]


def luhn_valid(number: str) -> bool:
    """True if the digit string passes the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _luhn_digit(partial: str) -> str:
    for d in "0123456789":
        if luhn_valid(partial + d):
            return d
    raise AssertionError("unreachable")


def id_checksum_valid(idno: str) -> bool:
    """True if an 18-character mainland ID number has a valid ISO 7064 MOD 11-2 check character."""
    if len(idno) != 18 or not idno[:17].isdigit():
        return False
    s = sum(int(c) * w for c, w in zip(idno[:17], ID_WEIGHTS))
    return ID_CHECK[s % 11] == idno[17].upper()


def mobile_number(r: random.Random) -> str:
    """An 11-digit mainland mobile number."""
    return pick(r, MOBILE_PREFIXES) + "".join(pick(r, "0123456789") for _ in range(8))


def card_number(r: random.Random) -> str:
    """A 16- or 19-digit card number that passes the Luhn check."""
    if r.random() < 0.5:
        body = pick(r, CARD_BINS_16)
        body += "".join(pick(r, "0123456789") for _ in range(15 - len(body)))
    else:
        body = pick(r, CARD_BINS_19)
        body += "".join(pick(r, "0123456789") for _ in range(18 - len(body)))
    return body + _luhn_digit(body)


def id_number(r: random.Random) -> str:
    """An 18-character ID number, born 1950–2004, with a valid check character."""
    born = date(1950, 1, 1) + timedelta(days=r.randrange(0, 20089))  # up to end of 2004
    body = pick(r, REGIONS) + born.strftime("%Y%m%d") + f"{r.randrange(1, 1000):03d}"
    s = sum(int(c) * w for c, w in zip(body, ID_WEIGHTS))
    return body + ID_CHECK[s % 11]
