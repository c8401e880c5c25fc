"""Counterfactual rewrites of a user description along one axis: gender, age or locale.

:func:`swap_words` builds the variants the fairness probe (:mod:`coldrec.analysis._fairness`) compares; the word lists live
in :mod:`coldrec.analysis._swap_lexicon`. Replacements keep case, match whole words only and fix "a"/"an".
A text with Chinese characters is rewritten by :mod:`coldrec.analysis._wordswap_zh` (longest-substring matching,
Chinese lexicon, locale labels zh-CN / zh-TW / zh-HK / zh-SG).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from coldrec.analysis._swap_lexicon import (
    AGE_ADJECTIVES as _AGE_ADJECTIVES,
    AGE_DECADE as _AGE_DECADE,
    AGE_LABELS as _AGE_LABELS,
    AGE_NUMBER as _AGE_NUMBER,
    AGE_OTHER_NOUNS as _AGE_OTHER_NOUNS,
    AGE_WORDS as _AGE_WORDS,
    CLAUSES as _CLAUSES,
    DECADES as _DECADES,
    GENDER_EXTRA as _GENDER_EXTRA,
    GENDER_LABELS as _GENDER_LABELS,
    GENDER_ROWS as _GENDER_ROWS,
    HER_OBJECT_FOLLOWERS as _HER_OBJECT_FOLLOWERS,
    LOCALES as _LOCALES,
    LOCALE_ABBR as _LOCALE_ABBR,
    LOCALE_SOURCES as _LOCALE_SOURCES,
    NOT_VERBS as _NOT_VERBS,
    THEY_VERB_FIX as _THEY_VERB_FIX,
)
from coldrec.analysis._common import WhatIfError
from coldrec.analysis._wordswap_zh import is_cjk, spans_zh, swap_words_zh

__all__ = ["AXES", "ADDED_CLAUSE_SUFFIX", "swap_words", "has_axis_words"]

AXES = ("gender", "age", "locale")
ADDED_CLAUSE_SUFFIX = " (added clause)"
"""Appended to a variant label when the description had no word on the axis and a neutral clause was added."""


def _match_case(src: str, repl: str) -> str:
    if not src or not repl:
        return repl
    if src.isupper() and len(src) > 1:
        return repl.upper()
    if src[0].isupper():
        return repl[0].upper() + repl[1:]
    return repl


def _words_pattern(words: Iterable[str], flags: int = re.IGNORECASE) -> re.Pattern[str]:
    alts = sorted(set(words), key=len, reverse=True)
    body = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in alts)
    return re.compile(rf"(?<![\w'-])({body})(?![\w-])", flags)


# ---------------------------------------------------------------- gender
_GENDER_LOOKUP: dict[str, tuple[str, str, str]] = {}
for _row in _GENDER_ROWS:
    _GENDER_LOOKUP[_row[0]] = _row
    _GENDER_LOOKUP[_row[1]] = _row
_GENDER_OF: dict[str, int] = {}  # surface form -> 0 male / 1 female
for _row in _GENDER_ROWS:
    _GENDER_OF[_row[0]], _GENDER_OF[_row[1]] = 0, 1
for _alias, _canon in _GENDER_EXTRA.items():
    _GENDER_LOOKUP[_alias] = _GENDER_LOOKUP[_canon]
    _GENDER_OF[_alias] = _GENDER_OF[_canon]
_PRONOUNS = {"he", "she", "him", "her", "his", "hers"}
_GENDER_RE = _words_pattern(list(_GENDER_LOOKUP) + sorted(_PRONOUNS))


def _next_word(text: str, end: int) -> str:
    m = re.match(r"\s*([A-Za-z']+)", text[end:])
    return m.group(1).lower() if m and not re.match(r"\s*[.,;:!?]", text[end:]) else ""


def _gender_replacement(m: re.Match[str], label: str) -> str:
    word = m.group(0)
    low = re.sub(r"\s+", " ", word.lower())
    text = m.string
    if label == "neutral":
        idx = 2
    else:  # "flip": every gendered word to the other gender (counterfactual data augmentation)
        idx = 1 - _gender_code(low)
    if low in _PRONOUNS:
        nxt = _next_word(text, m.end())
        if low in ("he", "she"):
            repl = ("he", "she", "they")[idx]
        elif low == "him":
            repl = ("him", "her", "them")[idx]
        elif low == "hers":
            repl = ("his", "hers", "theirs")[idx]
        elif low == "his":
            # "his book" (determiner) vs "the book is his" (pronoun)
            repl = ("his", "her", "their")[idx] if nxt and nxt not in _HER_OBJECT_FOLLOWERS else (
                "his", "hers", "theirs")[idx]
        else:  # "her": determiner ("her books") or object ("I love her")
            determiner = bool(nxt) and nxt not in _HER_OBJECT_FOLLOWERS
            repl = (("his", "her", "their") if determiner else ("him", "her", "them"))[idx]
        return _match_case(word, repl)
    row = _GENDER_LOOKUP[low]
    return _match_case(word, row[idx])


def _plural_verb(verb: str) -> str | None:
    """Third-person singular -> plural ("loves" -> "love", "watches" -> "watch"); None if not a verb form."""
    low = verb.lower()
    if low in _THEY_VERB_FIX:
        return _match_case(verb, _THEY_VERB_FIX[low])
    if low in _NOT_VERBS or not verb.islower() or len(low) < 3 or not low.endswith("s") or low.endswith(
            ("ss", "us", "is", "'s")):
        return None
    if low.endswith("ies") and len(low) > 4:
        return verb[:-3] + "y"
    if low.endswith(("ches", "shes", "sses", "xes", "zzes", "oes")):
        return verb[:-2]
    return verb[:-1]


def _gender_code(low: str) -> int:
    """Gender code (0 male, 1 female) of a lower-case gendered word or pronoun."""
    return _GENDER_OF[low] if low in _GENDER_OF else int(low in ("she", "her", "hers"))


def _first_gender(spans: Sequence[re.Match[str]]) -> int:
    """Gender code of the first gendered word: usually the user themselves."""
    return _gender_code(re.sub(r"\s+", " ", spans[0].group(0).lower()))


_THEY_VERB_RE = re.compile(r"(they\s+)([A-Za-z']+)", re.IGNORECASE)


def _fix_they_verbs(text: str, they_starts: Sequence[int]) -> str:
    """Verb agreement after a "they" we introduced ("they is" -> "they are", "they loves" -> "they love")."""
    out = text
    for start in sorted(they_starts, reverse=True):
        m = _THEY_VERB_RE.match(out, start)
        repl = _plural_verb(m.group(2)) if m else None  # handles the irregular ones ("is" -> "are") too
        if repl is not None:
            out = out[: m.start(2)] + repl + out[m.end(2):]
    return out


# ---------------------------------------------------------------- age
_AGE_NUM_RE = re.compile(r"(?<![\w.])(\d{1,3})(?=(?:[- ]years?[- ]old|[- ]yo\b|[- ]yrs?\b))", re.IGNORECASE)
_AGE_AFTER_RE = re.compile(r"\b(?:aged|age|I am|I'm)\s+(\d{1,3})\b(?![.,]\d)", re.IGNORECASE)
_AGE_DECADE_RE = re.compile(rf"\bmy\s+(?:(?:early|mid|late)[\s-]+)?({'|'.join(_DECADES)})\b", re.IGNORECASE)
_DECADE_IN_RE = re.compile(rf"\b({'|'.join(_DECADES)})\b", re.IGNORECASE)
_AGE_WORD_RE = _words_pattern(_AGE_WORDS)


def _age_replacement(m: re.Match[str], label: str) -> str:
    word = m.group(0)
    if m.re is _AGE_NUM_RE or m.re is _AGE_AFTER_RE:
        return re.sub(r"\d{1,3}(?!.*\d)", str(_AGE_NUMBER[label]), word)
    if m.re is _AGE_DECADE_RE:
        return _DECADE_IN_RE.sub(lambda d: _match_case(d.group(0), _AGE_DECADE[label]), word)
    low = re.sub(r"\s+", " ", word.lower())
    row = _AGE_WORDS[low]
    repl = row[_AGE_LABELS.index(label)]
    if low == "retired" and repl == "a student":
        # "retired teacher" -> "student teacher"; "I am retired" -> "I am a student"
        before = m.string[: m.start()].rstrip().lower()
        if not re.search(r"(\bam|'m|\bis|\bare|\bwas|\bwere|\bbeing|\bbe)$", before):
            repl = "student"
    return _match_case(word, repl)


# ---------------------------------------------------------------- locale
_LOCALE_WORD_RE = re.compile(
    r"(?:\bthe\s+)?(?<![\w'-])(" + "|".join(
        re.escape(w).replace(r"\ ", r"\s+") for w in sorted(_LOCALE_SOURCES, key=len, reverse=True)
    ) + r")(?![\w-])",
    re.IGNORECASE,
)
_LOCALE_ABBR_RE = re.compile(r"(?:\b[Tt]he\s+)?(?<![\w.])(U\.S\.A\.|U\.K\.|U\.S\.|USA|UK|US)(?![\w])")
_PLACE_PREPS = re.compile(r"(\b(?:in|from|to|across|around|visit|visiting|of|throughout|outside|near|left|"
                          r"moved to|live in|lives in)\s+)$", re.IGNORECASE)


def _locale_replacement(m: re.Match[str], label: str) -> str:
    whole = m.group(0)
    word = m.group(1)
    if _locale_of(m) == label:
        return whole  # already in the target locale: keep "Manchester", "Britain", ...
    has_the = whole.lower().startswith("the")
    the_prefix = whole[: m.start(1) - m.start(0)]
    if word in _LOCALE_ABBR:
        slot = "country"
    else:
        _, slot = _LOCALE_SOURCES[re.sub(r"\s+", " ", word.lower())]
    target = _LOCALES[label]
    if slot == "country":
        before = m.string[: m.start()]
        after = m.string[m.end(): m.end() + 1]
        if after == "-":  # "UK-based" -> "Canada-based"
            repl = target["country"]
        elif has_the or _PLACE_PREPS.search(before):
            repl = target["country_the"]
            if has_the and not repl.lower().startswith("the "):
                return repl  # drop the source's "the": "the UK" -> "Canada"
            if has_the:
                return the_prefix + repl[4:]  # keep the source's "the"/"The" and spacing
            return repl
        else:
            repl = target["country"]
        return the_prefix + repl
    repl = target[slot]
    if word.isupper() and len(word) > 3:
        repl = repl.upper()
    return the_prefix + repl


def _locale_of(m: re.Match[str]) -> str:
    word = m.group(1)
    if word in _LOCALE_ABBR:
        return _LOCALE_ABBR[word]
    return _LOCALE_SOURCES[re.sub(r"\s+", " ", word.lower())][0]


# ---------------------------------------------------------------- shared machinery
_LABELS = {"gender": _GENDER_LABELS, "age": _AGE_LABELS, "locale": tuple(_LOCALES)}


def _fix_articles(text: str) -> str:
    """Fix "a"/"an" before words our swaps changed ("a young" -> "an elderly")."""

    def fix(m: re.Match[str]) -> str:
        art, space, word = m.group(1), m.group(2), m.group(3)
        vowel = word[0].lower() in "aeiou" and not re.match(r"(?i)uni|use|eu|one", word)
        want = "an" if vowel else "a"
        if art.lower() == want:
            return m.group(0)
        return _match_case(art, want) + space + word

    return re.sub(r"\b([Aa]n?)(\s+)([A-Za-z][\w-]*)", fix, text)


def _age_spans(text: str) -> list[re.Match[str]]:
    spans: list[re.Match[str]] = []
    for rx in (_AGE_NUM_RE, _AGE_AFTER_RE, _AGE_DECADE_RE, _AGE_WORD_RE):
        for m in rx.finditer(text):
            if rx is _AGE_WORD_RE and m.group(0).lower() in _AGE_ADJECTIVES and _next_word(
                    text, m.end()) in _AGE_OTHER_NOUNS:
                continue
            if not any(m.start() < o.end() and o.start() < m.end() for o in spans):
                spans.append(m)
    return sorted(spans, key=lambda m: m.start())


def _locale_spans(text: str) -> list[re.Match[str]]:
    spans: list[re.Match[str]] = []
    for rx in (_LOCALE_ABBR_RE, _LOCALE_WORD_RE):
        for m in rx.finditer(text):
            if not any(m.start() < o.end() and o.start() < m.end() for o in spans):
                spans.append(m)
    return sorted(spans, key=lambda m: m.start())


def _spans(text: str, axis: str) -> list[re.Match[str]]:
    if axis == "gender":
        return list(_GENDER_RE.finditer(text))
    if axis == "age":
        return _age_spans(text)
    return _locale_spans(text)


def _check_axis(axis: str) -> str:
    if axis not in AXES:
        raise WhatIfError(f"axis={axis!r} is not supported; choose one of {list(AXES)}")
    return axis


def has_axis_words(text: str, axis: str) -> bool:
    """True when ``text`` contains at least one word :func:`swap_words` would change on ``axis``."""
    _check_axis(axis)
    if is_cjk(text or ""):
        return bool(spans_zh(text, axis))
    return bool(_spans(text or "", axis))


def _rewrite(text: str, spans: list[re.Match[str]], fn: Callable[[re.Match[str]], str],
             track: Sequence[str] = ()) -> tuple[str, list[int]]:
    """Replace every span; also return the output offsets of spans whose source word is in ``track``."""
    out: list[str] = []
    starts: list[int] = []
    pos = 0
    length = 0
    for m in spans:
        chunk = text[pos: m.start()]
        out.append(chunk)
        length += len(chunk)
        if m.group(0).lower() in track:
            starts.append(length)
        repl = fn(m)
        out.append(repl)
        length += len(repl)
        pos = m.end()
    out.append(text[pos:])
    return "".join(out), starts


def swap_words(text: str, axis: str) -> list[tuple[str, str]]:
    """Counterfactual rewrites of a user description along one axis.

    Axes and variant labels:
        * ``"gender"``: the gender-swapped text, labelled ``female`` or ``male`` after the gender it produces
          for the first gendered word (every gendered word is flipped, as in counterfactual data augmentation:
          "He … his wife" → "She … her husband"), and ``neutral`` (he/she → they with verb agreement,
          him/her → them, his/her → their, man/woman → person, father/mother → parent, husband/wife →
          partner, boy/girl → kid, Mr/Ms → Mx, …).
        * ``"age"``: ``young``, ``middle``, ``old`` ("24-year-old" → 22/45/70, "in my sixties" → twenties/
          forties/seventies, student/professional/retiree, young/middle-aged/elderly, "retired", …).
        * ``"locale"``: ``UK``, ``US``, ``Canada``, ``Australia``, ``India``, ``Nigeria`` (cities → London /
          New York / Toronto / Sydney / Mumbai / Lagos, countries, UK/US abbreviations, demonyms).
        * A text with Chinese characters uses the Chinese lexicon and longest-substring matching
          (:func:`coldrec.analysis._wordswap_zh.swap_words_zh`; locale labels zh-CN / zh-TW / zh-HK / zh-SG).

    Replacements keep the case of the source word ("He" → "She", "MAN" → "WOMAN"), only match whole words
    ("the" is never touched by "he"), and fix "a"/"an" in front of a changed word.

    Args:
        text: the user description.
        axis: ``"gender"``, ``"age"`` or ``"locale"``.

    Returns:
        ``[("original", text), (label, variant_text), ...]`` — the original first, then only the variants
        whose text differs from it. When the text has no word on the axis, every variant is the original plus
        a short neutral clause (e.g. ``" I am a woman."``) and its label ends with :data:`ADDED_CLAUSE_SUFFIX`.

    Raises:
        WhatIfError: unknown axis.

    Example:
        >>> swap_words("He is a retired father in London.", "gender")[1]
        ('female', 'She is a retired mother in London.')
        >>> swap_words("I like jazz.", "gender")[1]
        ('female (added clause)', 'I like jazz. I am a woman.')
    """
    _check_axis(axis)
    text = text or ""
    if is_cjk(text):
        return swap_words_zh(text, axis)
    spans = _spans(text, axis)
    out: list[tuple[str, str]] = [("original", text)]
    if not spans:
        base = text.rstrip()
        if base and base[-1] not in ".!?":
            base += "."
        for label, clause in _CLAUSES[axis].items():
            out.append((label + ADDED_CLAUSE_SUFFIX, (base + clause).strip()))
        return out
    for label in _LABELS[axis]:
        if axis == "gender":
            if label != "neutral":
                if label != _GENDER_LABELS[1 - _first_gender(spans)]:
                    continue  # the flip is labelled by the gender it produces: "female" for a male text
                mode = "flip"
            else:
                mode = "neutral"
            variant, starts = _rewrite(text, spans, lambda m, md=mode: _gender_replacement(m, md),
                                       track=("he", "she"))
            if label == "neutral":
                variant = _fix_they_verbs(variant, starts)
        elif axis == "age":
            variant, _ = _rewrite(text, spans, lambda m, lab=label: _age_replacement(m, lab))
        else:
            variant, _ = _rewrite(text, spans, lambda m, lab=label: _locale_replacement(m, lab))
        variant = _fix_articles(variant) if variant != text else variant
        if variant != text and all(variant != t for _, t in out):
            out.append((label, variant))
    return out
