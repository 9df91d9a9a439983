"""Vietnamese text normalisation.

Two forms exist on purpose:

* ``display_form`` (NFC, line endings unified) is what documents are stored as; unit offsets
  point into it and quotes are cut from it.
* ``match_form`` is for matching only (parsing, lexical tokens, embeddings, queries). It is
  the display form with ``Ð`` (U+00D0, Icelandic eth, common in scraped legal texts) turned
  into ``Đ`` and tone marks moved to one convention. It has exactly the same length as the
  display form, so offsets found on it are valid in the display form.
"""

from __future__ import annotations

import re
import unicodedata

# Old-style ("hòa", "thủy") is what the bundled codes and most official texts use, so
# new-style spellings ("hoà", "thuỷ") are moved to it rather than the other way round.
_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below
_NEW_STYLE = re.compile(r"(?<![qQ])([oOuU])([aAeEyY])([" + _TONES + r"])(?![^\W\d_]|[\u0300-\u036f])")


def _decompose_tone(ch: str) -> tuple[str, str]:
    decomposed = unicodedata.normalize("NFD", ch)
    base = "".join(c for c in decomposed if c not in _TONES)
    tone = "".join(c for c in decomposed if c in _TONES)
    return unicodedata.normalize("NFC", base), tone


def _move_tone(match: re.Match[str]) -> str:
    first, second, tone = match.group(1), match.group(2), match.group(3)
    return unicodedata.normalize("NFD", first + tone) + second


def display_form(text: str) -> str:
    """NFC text with unified line endings: the stored, displayed form of a document."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    return unicodedata.normalize("NFC", text)


def match_form(text: str) -> str:
    """Same-length matching form of NFC ``text``: ``Ð`` → ``Đ``, old-style tone placement."""
    text = text.replace("\u00d0", "Đ")
    decomposed = unicodedata.normalize("NFD", text)
    if not any(c in _TONES for c in decomposed):
        return text
    moved = unicodedata.normalize("NFC", _NEW_STYLE.sub(_move_tone, decomposed))
    # Moving a tone mark never changes the number of NFC characters ("oà" and "òa" are
    # both two), but guard the invariant the offsets rely on.
    return moved if len(moved) == len(text) else text


def normalize_query(text: str) -> str:
    """Normalise a user's question exactly as document text is for matching."""
    return match_form(display_form(text)).strip()
