"""Chinese counterfactual rewrites of a user description (gender, age, locale) for the fairness probe.

:func:`coldrec.analysis._wordswap.swap_words` hands a text containing CJK characters to :func:`swap_words_zh`.
Chinese writes no spaces between words, so there are no word boundaries to match on: every surface form of the
lexicon (:mod:`coldrec.analysis._swap_lexicon_zh`) and every protected word is one alternative of a regex, longest
first, scanned left to right. Longest-first makes 她们 one unit (not 她 + 们), keeps 男朋友 from being read as 男,
and lets a protected word (吉他, 其他, 他们, 舞台 …) swallow the characters it contains so they are never swapped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from coldrec.analysis._swap_lexicon_zh import (
    AGE_GENERATION_ZH,
    AGE_NUMBER_ZH,
    AGE_PROTECTED,
    AGE_TENS_ZH,
    AGE_WORDS_ZH,
    CLAUSES_ZH,
    GENDER_PROTECTED,
    GENDER_ROWS_ZH,
    LOCALE_LABELS_ZH,
    LOCALE_PROTECTED,
    LOCALE_SOURCES_ZH,
    LOCALES_ZH,
    RETIRED_ADJ,
    RETIRED_VERB,
)

__all__ = ["is_cjk", "swap_words_zh", "spans_zh", "LABELS_ZH"]

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
AGE_LABELS = ("young", "middle", "old")
GENDER_LABELS = ("male", "female", "neutral")
LABELS_ZH = {"gender": GENDER_LABELS, "age": AGE_LABELS, "locale": LOCALE_LABELS_ZH}
ADDED = " (added clause)"


def is_cjk(text: str) -> bool:
    """True when ``text`` contains a CJK ideograph (the Chinese rules apply)."""
    return bool(_CJK_RE.search(text or ""))


def _alternation(words: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True)))


# ---------------------------------------------------------------- gender
_GENDER: dict[str, tuple[tuple[str, str, str], int]] = {}  # surface -> (row, 0 male / 1 female)
for _row in GENDER_ROWS_ZH:
    for _code in (0, 1):
        if _row[_code] not in GENDER_PROTECTED:
            _GENDER.setdefault(_row[_code], (_row, _code))
_GENDER_RE = _alternation(list(_GENDER) + GENDER_PROTECTED)


def _embedded(m: re.Match[str]) -> bool:
    """A one-character word written inside a longer word (男篮, 女排): it has a CJK character on both sides."""
    s, a, b = m.string, m.start(), m.end()
    before = a > 0 and _CJK_CHAR.match(s[a - 1]) is not None
    after = b < len(s) and _CJK_CHAR.match(s[b]) is not None and s[b] != "的"
    return before and after


def _gender_replacement(m: re.Match[str], mode: str) -> str:
    row, code = _GENDER[m.group(0)]
    if mode == "neutral":
        if len(m.group(0)) == 1 and m.group(0) in "男女" and _embedded(m):
            return m.group(0)  # 男篮 has no neutral form; leave it
        return row[2]
    return row[1 - code]


# ---------------------------------------------------------------- age
_AGE_NUM = re.compile(r"(?<!\d)(\d{1,3})(?=\s*(?:周岁|岁|歲))")
_AGE_TENS = re.compile(r"[二三四五六七八九]十(?=出头|出頭|多岁|多歲|好几|好幾|来岁|來歲|几岁|幾歲|岁|歲)")
_AGE_GEN = re.compile(r"(?<!\d)[0-9]0(?=后|後)")
_AGE_WORD = _alternation(list(AGE_WORDS_ZH) + ["退休"] + AGE_PROTECTED)


def _age_replacement(m: re.Match[str], label: str) -> str:
    i = AGE_LABELS.index(label)
    if m.re is _AGE_NUM:
        return str(AGE_NUMBER_ZH[label])
    if m.re is _AGE_TENS:
        return AGE_TENS_ZH[label]
    if m.re is _AGE_GEN:
        return AGE_GENERATION_ZH[label]
    word = m.group(0)
    if word == "退休":
        nxt = m.string[m.end(): m.end() + 1]
        adjective = bool(nxt) and _CJK_CHAR.match(nxt) is not None and nxt not in "了不的后後前"
        return (RETIRED_ADJ if adjective else RETIRED_VERB)[i]
    return AGE_WORDS_ZH[word][i]


# ---------------------------------------------------------------- locale
_LOCALE_RE = _alternation(list(LOCALE_SOURCES_ZH) + LOCALE_PROTECTED)


def _locale_replacement(m: re.Match[str], label: str) -> str:
    source, slot = LOCALE_SOURCES_ZH[m.group(0)]
    return m.group(0) if source == label else LOCALES_ZH[label][slot]


# ---------------------------------------------------------------- shared
_PROTECTED = {"gender": set(GENDER_PROTECTED), "age": set(AGE_PROTECTED), "locale": set(LOCALE_PROTECTED)}


def spans_zh(text: str, axis: str) -> list[re.Match[str]]:
    """The swappable words of ``text`` on ``axis`` (protected words are matched and dropped), in text order."""
    regexes = {"gender": [_GENDER_RE], "age": [_AGE_NUM, _AGE_TENS, _AGE_GEN, _AGE_WORD],
               "locale": [_LOCALE_RE]}[axis]
    spans: list[re.Match[str]] = []
    taken: list[tuple[int, int]] = []
    for rx in regexes:
        for m in rx.finditer(text):
            if any(m.start() < b and a < m.end() for a, b in taken):
                continue
            taken.append((m.start(), m.end()))
            if m.group(0) not in _PROTECTED[axis]:
                spans.append(m)
    return sorted(spans, key=lambda m: m.start())


def _rewrite(text: str, spans: list[re.Match[str]], fn: Callable[[re.Match[str]], str]) -> str:
    out, pos = [], 0
    for m in spans:
        out += [text[pos: m.start()], fn(m)]
        pos = m.end()
    return "".join(out + [text[pos:]])


def swap_words_zh(text: str, axis: str) -> list[tuple[str, str]]:
    """Chinese :func:`coldrec.analysis._wordswap.swap_words` (same contract; ``axis`` already checked).

    Labels: gender ``male`` / ``female`` (every gendered word flipped, labelled by the gender produced for the
    first one) and ``neutral`` (他/她 → ta, 儿子/女儿 → 孩子, 老公/老婆 → 另一半 …); age ``young`` / ``middle`` /
    ``old`` (NN岁 → 22/45/70, 三十多岁 → 二十/四十/七十多岁, 90后 → 00/80/60后, 年轻人/中年人/老年人, 退休 …);
    locale ``zh-CN`` / ``zh-TW`` / ``zh-HK`` / ``zh-SG`` (cities → 北京/台北/香港/新加坡, regions, 台湾人 …).

    Example:
        >>> swap_words_zh("我是他的女儿，他弹吉他。", "gender")[1]
        ('female', '我是她的儿子，她弹吉他。')
        >>> swap_words_zh("她们是我的姐妹，他们是我的同学。", "gender")[2]
        ('neutral', '他们是我的兄弟姐妹，他们是我的同学。')
    """
    spans = spans_zh(text, axis)
    out: list[tuple[str, str]] = [("original", text)]
    if not spans:
        base = text.rstrip()
        if base and base[-1] not in "。！？.!?":
            base += "。"
        return out + [(label + ADDED, base + clause) for label, clause in CLAUSES_ZH[axis].items()]
    for label in LABELS_ZH[axis]:
        if axis == "gender":
            if label != "neutral" and label != GENDER_LABELS[1 - _GENDER[spans[0].group(0)][1]]:
                continue
            mode = "neutral" if label == "neutral" else "flip"
            variant = _rewrite(text, spans, lambda m, md=mode: _gender_replacement(m, md))
        elif axis == "age":
            variant = _rewrite(text, spans, lambda m, lab=label: _age_replacement(m, lab))
        else:
            variant = _rewrite(text, spans, lambda m, lab=label: _locale_replacement(m, lab))
        if variant != text and all(variant != t for _, t in out):
            out.append((label, variant))
    return out
