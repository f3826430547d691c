"""Decoding a CSV file: UTF-8 first; another encoding only when named or unambiguous.

A byte string that is not UTF-8 decodes without error in several legacy encodings, and the wrong
one changes the data silently: Latin-1 "µg/L" (``b5 67 2f 4c``) reads as "礸/L" in GB18030.
So a non-UTF-8 file is read only when the parameter file names its ``encoding``, or when exactly
one of the candidates (GB18030, Latin-1/cp1252) gives plausible text:

- GB18030 is plausible when every non-ASCII character is a GB2312 character (both bytes
  0xA1-0xFE: simplified Chinese text; "礸" above is a GBK extension character, trail byte 0x67);
- Latin-1 is plausible when every word holding a non-ASCII letter also holds an ASCII letter
  ("µg/L", "Größe"), or the non-ASCII characters are common signs (°, ±, ², µ, ...): GB18030
  text read as Latin-1 gives words of accented letters only ("铁" → "Ìú").

Otherwise the file is refused, naming the candidates and how each reads the first difference.
"""

from __future__ import annotations

import re

from ..errors import InputError

LATIN = ("cp1252", "latin-1")
SIGNS = set("°±²³µ·×÷§¹¼½¾‰€£¥©®¬¦¤¸¨´`«»¿¡ºª–—‘’“”•… \u00a0")
WORD = re.compile(r"[^\s,;\t\"'()\[\]{}/|=:]+")


def decode(raw: bytes, name: str, encoding: str | None) -> tuple[str, str, str | None]:
    """(text, encoding used, note for the report or None)."""
    if encoding:
        try:
            return raw.decode(encoding), encoding, f"read as {encoding} (named in the parameter file)"
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputError(
                f"cannot be read as {encoding} ({exc.__class__.__name__})",
                file=name,
                hint="set 'encoding' to the file's real encoding",
            ) from None
    try:
        return raw.decode("utf-8-sig"), "utf-8", None
    except UnicodeDecodeError:
        pass
    cands = {}
    gb = _try(raw, "gb18030")
    if gb is not None and _gb2312_only(gb):
        cands["GB18030"] = ("gb18030", gb)
    lat = _latin(raw)
    if lat is not None and _latin_plausible(lat[1]):
        cands["Latin-1"] = lat
    if len(cands) == 1:
        label, (enc, text) = next(iter(cands.items()))
        return text, enc, f"not UTF-8; read as {label} ({enc}), the only plausible encoding"
    if not cands:
        raise InputError(
            "is not UTF-8 text and no other encoding reads it plausibly",
            file=name,
            hint="save it as UTF-8 CSV or set 'encoding' for this data source",
        )
    shown = "; ".join(f"{label} reads {_sample(t)!r}" for label, (_, t) in cands.items())
    raise InputError(
        f"is not UTF-8 and its encoding is ambiguous ({shown})",
        file=name,
        hint="save it as UTF-8 or set 'encoding' for this data source (e.g. "
        "'encoding: latin-1' or 'encoding: gb18030')",
    )


def _try(raw: bytes, enc: str) -> str | None:
    try:
        return raw.decode(enc)
    except UnicodeDecodeError:
        return None


def _latin(raw: bytes):
    for enc in LATIN:
        t = _try(raw, enc)
        if t is not None:
            return enc, t
    return None


def _gb2312_only(text: str) -> bool:
    for ch in text:
        if ord(ch) < 128:
            continue
        try:
            b = ch.encode("gb2312")
        except UnicodeEncodeError:
            return False
        if len(b) != 2:
            return False
    return True


def _latin_plausible(text: str) -> bool:
    for word in WORD.findall(text):
        odd = [c for c in word if ord(c) > 127 and c not in SIGNS]
        if odd and not any(c.isascii() and c.isalpha() for c in word):
            return False
        if any(ord(c) < 32 and c not in "\r\n\t" for c in word):
            return False
    return True


def _sample(text: str) -> str:
    """The first word with a non-ASCII character (what the user can recognise)."""
    for word in WORD.findall(text):
        if any(ord(c) > 127 for c in word):
            return word[:20]
    return text[:20]
