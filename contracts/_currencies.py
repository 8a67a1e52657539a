"""The ISO 4217 minor-unit table: the one place a currency's exponent is written down.

Covers every code on ISO 4217 list one that has a minor unit, including the fund codes (BOV, CHE, CHW, CLF,
COU, MXV, USN, UYI, UYW) that banks and ERPs exchange. Codes whose minor unit ISO lists as "N.A." (precious
metals XAU/XAG/XPD/XPT, the SDR XDR, the bond-market units XBA-XBD, XSU, XUA, the test code XTS and XXX) are
deliberately absent: they cannot be counted in minor units, so they are not money here.
Withdrawn codes are absent too (HRK, SLL, ZWL, VEF, ...), except ANG, still in use while XCG replaces it.
Contract version: 1.
"""

from __future__ import annotations

__all__ = ["ISO_4217_EXPONENTS"]


def _table(*groups: tuple[int, str]) -> dict[str, int]:
    table: dict[str, int] = {}
    for exp, codes in groups:
        for code in codes.split():
            if code in table:  # pragma: no cover - guards the table literal below
                raise AssertionError(f"{code} listed twice in the ISO 4217 table")
            table[code] = exp
    return dict(sorted(table.items()))


# Grouped by exponent so a reviewer can check each group against the ISO 4217 list in one pass.
ISO_4217_EXPONENTS: dict[str, int] = _table(
    (0, "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"),
    (3, "BHD IQD JOD KWD LYD OMR TND"),
    (4, "CLF UYW"),
    (
        2,
        "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD "
        "CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL "
        "GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD "
        "LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN "
        "PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB "
        "TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG",
    ),
)
