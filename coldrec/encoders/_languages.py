"""Which languages an encoder covers, and a notice when the text is in a language it does not.

all-MiniLM-L6-v2 was trained on English: a Chinese description gets cosines near zero against everything and the
list is whatever the ranker's popularity prior says. The multilingual E5 encoder covers Chinese and about 100
other languages. :func:`language_notice` says so in one sentence when CJK (or other non-Latin) text meets an
English-only encoder, so the app can offer and the CLI can suggest the multilingual one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["encoder_languages", "is_english_only", "script_of", "language_notice"]

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_OTHER = re.compile(r"[\u0370-\u03ff\u0400-\u04ff\u0590-\u06ff\u0900-\u0dff\u0e00-\u0e7f]")  # Greek…Thai


def encoder_languages(encoder: object) -> str:
    """A short phrase: which languages ``encoder`` understands.

    Example:
        >>> from coldrec.encoders import HashEncoder
        >>> encoder_languages(HashEncoder())
        'any script, by shared words only (no model)'
    """
    name = str(getattr(encoder, "name", "")).lower()
    if name.startswith("hash"):
        return "any script, by shared words only (no model)"
    if "multilingual" in name or "e5" in name or "labse" in name or "xlm" in name:
        return "about 100 languages, Chinese included (multilingual)"
    if "minilm-l6" in name or "all-minilm" in name or "mpnet" in name:
        return "English only"
    return "as trained (a local model folder: check its card)"


def is_english_only(encoder: object) -> bool:
    """True for the bundled all-MiniLM-L6-v2 (and other English sentence-transformers models)."""
    return encoder_languages(encoder) == "English only"


def script_of(texts: Iterable[str]) -> str:
    """``"cjk"``, ``"other"`` (Greek, Cyrillic, Arabic, Hebrew, Indic, Thai) or ``"latin"``: the script most of the
    letters of ``texts`` are written in.

    Example:
        >>> script_of(["深夜学习时喜欢听安静的爵士乐"]), script_of(["quiet jazz"]), script_of(["Тихий джаз"])
        ('cjk', 'latin', 'other')
    """
    cjk = latin = other = 0
    for t in texts:
        t = str(t or "")
        cjk += len(_CJK.findall(t))
        latin += len(_LATIN.findall(t)) / 4  # about four Latin letters carry what one CJK character does
        other += len(_OTHER.findall(t)) / 4
    if cjk and cjk >= max(latin, other):
        return "cjk"
    if other and other > latin:
        return "other"
    return "latin"


def language_notice(texts: Iterable[str], encoder: object, *, where: str = "This text") -> str | None:
    """One sentence when ``texts`` are mostly CJK or another non-Latin script and ``encoder`` is English-only.

    Args:
        texts: the description, or a sample of catalog texts.
        encoder: the active encoder.
        where: what the texts are, for the sentence ("This description", "The catalog").

    Returns:
        The notice, or ``None`` when the encoder covers the text.

    Example:
        >>> class MiniLM: name = "all-MiniLM-L6-v2@abc"
        >>> language_notice(["喜欢做素食"], MiniLM())[:40]
        'This text is in Chinese, Japanese or Kor'
    """
    if not is_english_only(encoder):
        return None
    script = script_of(texts)
    if script == "latin":
        return None
    lang = "Chinese, Japanese or Korean" if script == "cjk" else "a non-Latin script"
    return (f"{where} is in {lang}, but the active encoder ({getattr(encoder, 'name', 'all-MiniLM-L6-v2')}) is "
            "English-only: its matches will be close to random. Use the multilingual encoder "
            "(`--model multilingual`, or COLDREC_ENCODER=multilingual for the app).")
