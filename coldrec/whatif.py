"""What-if analysis: how much does a recommendation list move when the user text changes?

* :func:`compare_lists` compares two ranked lists at depth ``k`` (overlap, Jaccard, rank-biased overlap,
  items that entered / left, per-item rank changes).
* :func:`swap_words` rewrites a user description along one axis (``"gender"``, ``"age"``, ``"locale"``),
  preserving case and word boundaries, to build counterfactual variants.
* :func:`fairness_probe` runs any ``text -> ranked ids`` function on every persona and every variant and
  reports how far each variant's list moved from the original one.

The module knows nothing about the pipeline: the app passes a closure over ``Recommender.recommend``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from coldrec.errors import ColdrecError

__all__ = [
    "AXES",
    "ADDED_CLAUSE_SUFFIX",
    "WhatIfError",
    "compare_lists",
    "rank_biased_overlap",
    "swap_words",
    "has_axis_words",
    "fairness_probe",
    "probe_summary",
]

AXES = ("gender", "age", "locale")
ADDED_CLAUSE_SUFFIX = " (added clause)"
"""Appended to a variant label when the description had no word on the axis and a neutral clause was added."""


class WhatIfError(ColdrecError):
    """Bad what-if input: unknown axis, k < 1, bad recommend output."""


# ====================================================================== list comparison
def _dedupe(items: Iterable[Any]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for it in items:
        s = str(it)
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def _check_k(k: int) -> int:
    if not isinstance(k, (int,)) or isinstance(k, bool) or k < 1:
        raise WhatIfError(f"k={k!r} must be a positive integer (e.g. 10)")
    return int(k)


def rank_biased_overlap(a: Sequence[Any], b: Sequence[Any], p: float = 0.9, k: int | None = None) -> float:
    """Extrapolated rank-biased overlap (Webber, Moffat & Zobel 2010, eq. 32), in [0, 1].

    Handles lists of different lengths (the shorter list is treated as truncated, not as ending). Repeated ids
    count once (first occurrence). Two empty lists give 1.0; one empty list gives 0.0.

    Args:
        a, b: ranked ids, best first.
        p: persistence (0 < p < 1); 0.9 puts ~86% of the weight on the first 10 ranks.
        k: evaluate on the first ``k`` ids of each list (``None``: whole lists).

    Example:
        >>> round(rank_biased_overlap(["x", "y", "z"], ["x", "z", "y"]), 4)
        0.955
    """
    if not 0.0 < p < 1.0:
        raise WhatIfError(f"p={p!r} must be strictly between 0 and 1 (e.g. 0.9)")
    la, lb = _dedupe(a), _dedupe(b)
    if k is not None:
        k = _check_k(k)
        la, lb = la[:k], lb[:k]
    if not la and not lb:
        return 1.0
    if not la or not lb:
        return 0.0
    S, L = (la, lb) if len(la) <= len(lb) else (lb, la)
    s, l = len(S), len(L)
    seen_s: set[str] = set()
    seen_l: set[str] = set()
    x = 0  # overlap of the prefixes at depth d
    x_s = 0  # overlap at depth s
    total = 0.0
    for d in range(1, l + 1):
        item_l = L[d - 1]
        if d <= s:
            item_s = S[d - 1]
            if item_s == item_l:
                x += 1
            else:
                x += (item_s in seen_l) + (item_l in seen_s)
            seen_s.add(item_s)
            seen_l.add(item_l)
            if d == s:
                x_s = x
        else:
            # S has ended: only new items of L can still match S
            if item_l in seen_s:
                x += 1
            seen_l.add(item_l)
        total += (x / d) * p**d
        if d > s:
            total += x_s * (d - s) / (s * d) * p**d
    x_l = x
    value = (1 - p) / p * total + ((x_l - x_s) / l + x_s / s) * p**l
    return float(min(1.0, max(0.0, value)))


def compare_lists(a: Sequence[Any], b: Sequence[Any], k: int = 10, *, p: float = 0.9) -> dict[str, Any]:
    """Compare the top-``k`` of two ranked id lists (``a`` = before, ``b`` = after).

    Args:
        a: ranked ids before the change, best first (repeats count once).
        b: ranked ids after the change.
        k: depth; both lists are cut to their first ``k`` ids.
        p: RBO persistence.

    Returns:
        A dict with
        ``k``;
        ``overlap`` (|A∩B| / k, where A, B are the two top-k sets; k is replaced by the longer list's
        length when both are shorter, so identical short lists score 1.0);
        ``jaccard`` (|A∩B| / |A∪B|);
        ``rbo`` (extrapolated rank-biased overlap at depth k, p=0.9);
        ``entered`` (ids in B not in A, in B's order); ``left`` (ids in A not in B, in A's order);
        ``rank_diff``: DataFrame ``item_id, rank_a, rank_b, delta`` over A∪B, 1-based ranks, ``<NA>`` when the
        item is not in that top-k, ``delta = rank_a - rank_b`` (positive: moved up in B); rows ordered by
        ``rank_b`` then ``rank_a``.

    Raises:
        WhatIfError: ``k`` < 1 or ``p`` outside (0, 1).

    Example:
        >>> r = compare_lists(["x", "y", "z"], ["y", "x", "w"], k=3)
        >>> r["overlap"], r["entered"], r["left"]
        (0.6666666666666666, ['w'], ['z'])
    """
    k = _check_k(k)
    la, lb = _dedupe(a)[:k], _dedupe(b)[:k]
    sa, sb = set(la), set(lb)
    inter = sa & sb
    union = sa | sb
    denom = k if max(len(la), len(lb)) >= k else max(len(la), len(lb))
    overlap = len(inter) / denom if denom else 1.0
    jaccard = len(inter) / len(union) if union else 1.0
    rank_a = {item: i + 1 for i, item in enumerate(la)}
    rank_b = {item: i + 1 for i, item in enumerate(lb)}
    order = lb + [item for item in la if item not in sb]
    rows = pd.DataFrame(
        {
            "item_id": pd.Series(order, dtype=object),
            "rank_a": pd.array([rank_a.get(i) for i in order], dtype="Int64"),
            "rank_b": pd.array([rank_b.get(i) for i in order], dtype="Int64"),
        }
    )
    rows["delta"] = rows["rank_a"] - rows["rank_b"]
    return {
        "k": k,
        "overlap": float(overlap),
        "jaccard": float(jaccard),
        "rbo": rank_biased_overlap(la, lb, p=p),
        "entered": [i for i in lb if i not in sa],
        "left": [i for i in la if i not in sb],
        "rank_diff": rows,
    }


# ====================================================================== word swapping
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
# (male, female, neutral)
_GENDER_ROWS: list[tuple[str, str, str]] = [
    ("he", "she", "they"),
    ("himself", "herself", "themself"),
    ("man", "woman", "person"),
    ("men", "women", "people"),
    ("male", "female", "non-binary"),
    ("males", "females", "people"),
    ("boy", "girl", "kid"),
    ("boys", "girls", "kids"),
    ("father", "mother", "parent"),
    ("fathers", "mothers", "parents"),
    ("dad", "mom", "parent"),
    ("dads", "moms", "parents"),
    ("husband", "wife", "partner"),
    ("husbands", "wives", "partners"),
    ("boyfriend", "girlfriend", "partner"),
    ("boyfriends", "girlfriends", "partners"),
    ("son", "daughter", "child"),
    ("sons", "daughters", "children"),
    ("brother", "sister", "sibling"),
    ("brothers", "sisters", "siblings"),
    ("grandfather", "grandmother", "grandparent"),
    ("grandfathers", "grandmothers", "grandparents"),
    ("grandpa", "grandma", "grandparent"),
    ("uncle", "aunt", "relative"),
    ("nephew", "niece", "relative"),
    ("gentleman", "lady", "person"),
    ("gentlemen", "ladies", "people"),
    ("guy", "gal", "person"),
    ("mr", "ms", "mx"),
    ("sir", "madam", "friend"),
    ("businessman", "businesswoman", "businessperson"),
    ("fiance", "fiancee", "partner"),
]
# extra surface forms -> row index of their canonical triple
_GENDER_EXTRA = {"mum": "mom", "mrs": "ms", "miss": "ms", "mummy": "mom", "mommy": "mom",
                 "daddy": "dad", "fiancé": "fiance", "fiancée": "fiancee"}
_GENDER_LABELS = ("male", "female", "neutral")  # index = gender code (0 male, 1 female)
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
_THEY_VERB_FIX = {"is": "are", "was": "were", "has": "have", "does": "do", "isn't": "aren't",
                  "wasn't": "weren't", "hasn't": "haven't", "doesn't": "don't", "'s": "'re"}
_HER_OBJECT_FOLLOWERS = {"", "and", "or", "but", "to", "for", "with", "about", "at", "in", "on", "from", "of",
                         "too", "as", "so", "because", "when", "if", "that", "than", "again", "back", "up",
                         "out",
                         "her", "his", "a", "an", "the", "my", "your", "our", "their", "this", "these",
                         "those", "some", "any", "every", "all", "very", "much", "more", "most", "while"}


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
        idx = 1 - (_GENDER_OF[low] if low in _GENDER_OF else int(low in ("she", "her", "hers")))
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


_NOT_VERBS = {"always", "sometimes", "perhaps", "also", "was", "is", "has", "does", "thus", "nevertheless",
              "as", "us", "this", "his", "hers", "its", "yes", "less", "unless", "plus", "ourselves"}


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


def _first_gender(spans: Sequence[re.Match[str]]) -> int:
    """Gender code (0 male, 1 female) of the first gendered word: usually the user themselves."""
    low = re.sub(r"\s+", " ", spans[0].group(0).lower())
    return _GENDER_OF[low] if low in _GENDER_OF else int(low in ("she", "her", "hers"))


def _fix_they_verbs(text: str, they_starts: Sequence[int]) -> str:
    """Verb agreement after a "they" we introduced ("they is" -> "they are", "they loves" -> "they love")."""
    out = text
    for start in sorted(they_starts, reverse=True):
        m = re.compile(r"(they\s+)([A-Za-z']+)", re.IGNORECASE).match(out, start)
        if not m:
            continue
        verb = m.group(2)
        fixed = _THEY_VERB_FIX.get(verb.lower())
        if fixed is None:
            repl = _plural_verb(verb)
        else:
            repl = fixed.upper() if verb.isupper() else _match_case(verb, fixed)
        if repl is not None:
            out = out[: m.start(2)] + repl + out[m.end(2):]
    return out


# ---------------------------------------------------------------- age
_AGE_LABELS = ("young", "middle", "old")
_AGE_NUMBER = {"young": 22, "middle": 45, "old": 70}
_DECADES = ["teens", "twenties", "thirties", "forties", "fifties", "sixties", "seventies", "eighties",
            "nineties"]
_AGE_DECADE = {"young": "twenties", "middle": "forties", "old": "seventies"}
_AGE_WORDS: dict[str, tuple[str, str, str]] = {
    # word: (young, middle, old)
    "young": ("young", "middle-aged", "elderly"),
    "younger": ("younger", "middle-aged", "older"),
    "elderly": ("young", "middle-aged", "elderly"),
    "middle-aged": ("young", "middle-aged", "elderly"),
    "older": ("younger", "middle-aged", "older"),
    "teenager": ("teenager", "middle-aged adult", "retiree"),
    "teenagers": ("teenagers", "middle-aged adults", "retirees"),
    "teen": ("teen", "middle-aged adult", "retiree"),
    "teens": ("teens", "middle-aged adults", "retirees"),
    "student": ("student", "professional", "retiree"),
    "students": ("students", "professionals", "retirees"),
    "retiree": ("student", "professional", "retiree"),
    "retirees": ("students", "professionals", "retirees"),
    "pensioner": ("student", "professional", "pensioner"),
    "pensioners": ("students", "professionals", "pensioners"),
    "senior citizen": ("young adult", "middle-aged adult", "senior citizen"),
    "senior citizens": ("young adults", "middle-aged adults", "senior citizens"),
    "retired": ("a student", "working", "retired"),
    "grandchildren": ("friends", "children", "grandchildren"),
    "grandkids": ("friends", "kids", "grandkids"),
}
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
# label: (city, country after "in/from", country bare, demonym)
_LOCALES: dict[str, dict[str, str]] = {
    "UK": {"city": "London", "country_the": "the UK", "country": "UK", "demonym": "British"},
    "US": {"city": "New York", "country_the": "the US", "country": "US", "demonym": "American"},
    "Canada": {"city": "Toronto", "country_the": "Canada", "country": "Canada", "demonym": "Canadian"},
    "Australia": {"city": "Sydney", "country_the": "Australia", "country": "Australia",
                  "demonym": "Australian"},
    "India": {"city": "Mumbai", "country_the": "India", "country": "India", "demonym": "Indian"},
    "Nigeria": {"city": "Lagos", "country_the": "Nigeria", "country": "Nigeria", "demonym": "Nigerian"},
}
_LOCALE_SOURCES: dict[str, tuple[str, str]] = {}  # lower surface form -> (locale, slot)
for _loc, _cities in {
    "UK": ["London", "Manchester", "Birmingham", "Leeds", "Glasgow", "Edinburgh", "Liverpool", "Bristol"],
    "US": ["New York", "NYC", "Los Angeles", "Chicago", "San Francisco", "Boston", "Seattle", "Houston"],
    "Canada": ["Toronto", "Vancouver", "Montreal", "Calgary", "Ottawa"],
    "Australia": ["Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide"],
    "India": ["Mumbai", "Delhi", "New Delhi", "Bangalore", "Bengaluru", "Chennai", "Kolkata", "Hyderabad"],
    "Nigeria": ["Lagos", "Abuja", "Ibadan"],
}.items():
    for _c in _cities:
        _LOCALE_SOURCES[_c.lower()] = (_loc, "city")
for _loc, _countries in {
    "UK": ["United Kingdom", "Britain", "Great Britain", "England", "Scotland", "Wales"],
    "US": ["United States", "America", "USA"],
    "Canada": ["Canada"],
    "Australia": ["Australia"],
    "India": ["India"],
    "Nigeria": ["Nigeria"],
}.items():
    for _c in _countries:
        _LOCALE_SOURCES[_c.lower()] = (_loc, "country")
for _loc, _dems in {
    "UK": ["British", "Brit", "Scottish", "Welsh"],
    "US": ["American"],
    "Canada": ["Canadian"],
    "Australia": ["Australian", "Aussie"],
    "India": ["Indian"],
    "Nigeria": ["Nigerian"],
}.items():
    for _d in _dems:
        _LOCALE_SOURCES[_d.lower()] = (_loc, "demonym")
_LOCALE_WORD_RE = re.compile(
    r"(?:\bthe\s+)?(?<![\w'-])(" + "|".join(
        re.escape(w).replace(r"\ ", r"\s+") for w in sorted(_LOCALE_SOURCES, key=len, reverse=True)
    ) + r")(?![\w-])",
    re.IGNORECASE,
)
# upper-case abbreviations only ("us" is a pronoun)
_LOCALE_ABBR = {"UK": "UK", "U.K.": "UK", "US": "US", "U.S.": "US", "U.S.A.": "US", "USA": "US"}
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
    key = re.sub(r"\s+", " ", word.lower())
    if word in _LOCALE_ABBR or word.upper() in _LOCALE_ABBR and word.isupper():
        slot = "country"
    else:
        _, slot = _LOCALE_SOURCES[key]
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
_CLAUSES: dict[str, dict[str, str]] = {
    "gender": {"female": " I am a woman.", "male": " I am a man.", "neutral": " I am non-binary."},
    "age": {"young": " I am 22 years old.", "middle": " I am 45 years old.", "old": " I am 70 years old."},
    "locale": {lab: f" I live in {loc['city']}." for lab, loc in _LOCALES.items()},
}
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


# "young kids", "elderly parents", "young adult novels": the adjective describes someone (something) else
_AGE_OTHER_NOUNS = {"kid", "kids", "child", "children", "son", "sons", "daughter", "daughters", "family",
                    "families", "baby", "babies", "toddler", "toddlers", "ones", "grandchildren", "grandkids",
                    "adult", "adults", "parent", "parents", "mother", "father", "mum", "mom", "dad",
                    "relatives", "neighbour", "neighbours", "neighbor", "neighbors", "brother", "sister",
                    "siblings", "nephew", "niece", "cousin", "cousins", "audience", "audiences", "readers"}
_AGE_ADJECTIVES = {"young", "younger", "elderly", "older", "middle-aged"}


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
    return bool(_spans(text or "", _check_axis(axis)))


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


# ====================================================================== fairness probe
def _as_ids(result: Any) -> list[str]:
    if hasattr(result, "columns") and "item_id" in getattr(result, "columns", ()):
        return [str(i) for i in result["item_id"].tolist()]
    if isinstance(result, (str, bytes)) or not isinstance(result, Iterable):
        raise WhatIfError(
            f"recommend() must return a sequence of item ids or a DataFrame with an item_id column; "
            f"got {type(result).__name__}"
        )
    return [str(i) for i in result]


def fairness_probe(
    recommend: Callable[[str], Sequence[str]],
    descriptions: Mapping[str, str],
    axis: str,
    k: int = 10,
    *,
    p: float = 0.9,
) -> pd.DataFrame:
    """Measure how much each persona's recommendations move when its description is swapped along ``axis``.

    Args:
        recommend: any function ``text -> ranked item ids`` (a DataFrame with an ``item_id`` column is also
            accepted), e.g. ``lambda t: rec.recommend(t, k=10)["item_id"].tolist()``.
        descriptions: persona name → description.
        axis: ``"gender"``, ``"age"`` or ``"locale"`` (see :func:`swap_words`).
        k: list depth compared.
        p: RBO persistence.

    Returns:
        One row per (persona, variant) with columns ``persona, variant, added_clause, text, overlap, jaccard,
        rbo, shift`` (= 1 − rbo), ``entered, left`` (counts), ``entered_ids, left_ids`` (lists), compared with
        the persona's original description. ``df.attrs["summary"]`` holds plain numbers: ``mean_shift``,
        ``max_shift``, ``max_shift_persona``, ``max_shift_variant``, ``mean_overlap``, ``personas``,
        ``added_clause_personas`` (personas with no word on the axis) and ``by_variant``
        ({label: {mean_shift, max_shift, mean_overlap, n}}). :func:`probe_summary` gives the per-variant
        table.

    Raises:
        WhatIfError: unknown axis, k < 1, or ``recommend`` returned something that is not a list of ids.

    Example:
        >>> def rec(text):
        ...     return ["a", "b", "c"] if "woman" in text else ["c", "b", "a"]
        >>> df = fairness_probe(rec, {"p1": "I am a man who likes jazz."}, "gender", k=3)
        >>> df[["variant", "rbo"]].round(3).values.tolist()[0]
        ['female', 0.855]
    """
    _check_axis(axis)
    k = _check_k(k)
    rows: list[dict[str, Any]] = []
    clause_personas: list[str] = []
    for persona, description in descriptions.items():
        variants = swap_words(description, axis)
        base = _as_ids(recommend(variants[0][1]))
        added = len(variants) > 1 and variants[1][0].endswith(ADDED_CLAUSE_SUFFIX)
        if added:
            clause_personas.append(str(persona))
        for label, text in variants[1:]:
            cmp = compare_lists(base, _as_ids(recommend(text)), k=k, p=p)
            rows.append(
                {
                    "persona": str(persona),
                    "variant": label,
                    "added_clause": label.endswith(ADDED_CLAUSE_SUFFIX),
                    "text": text,
                    "overlap": cmp["overlap"],
                    "jaccard": cmp["jaccard"],
                    "rbo": cmp["rbo"],
                    "shift": 1.0 - cmp["rbo"],
                    "entered": len(cmp["entered"]),
                    "left": len(cmp["left"]),
                    "entered_ids": cmp["entered"],
                    "left_ids": cmp["left"],
                }
            )
    columns = ["persona", "variant", "added_clause", "text", "overlap", "jaccard", "rbo", "shift", "entered",
               "left", "entered_ids", "left_ids"]
    df = pd.DataFrame(rows, columns=columns)
    df.attrs["summary"] = _summary_dict(df, len(descriptions), clause_personas, axis, k)
    return df


def _base_label(label: str) -> str:
    return label[: -len(ADDED_CLAUSE_SUFFIX)] if label.endswith(ADDED_CLAUSE_SUFFIX) else label


def probe_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per-variant summary of a :func:`fairness_probe` result.

    Returns:
        DataFrame ``variant, n, mean_shift, max_shift, mean_overlap, mean_rbo`` (labels without the
        added-clause suffix, so personas with and without axis words are pooled), sorted by ``mean_shift``
        descending.

    Example:
        >>> probe_summary(df)   # doctest: +SKIP
    """
    cols = ["variant", "n", "mean_shift", "max_shift", "mean_overlap", "mean_rbo"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    g = df.assign(variant=df["variant"].map(_base_label)).groupby("variant", sort=False)
    out = pd.DataFrame(
        {
            "n": g.size(),
            "mean_shift": g["shift"].mean(),
            "max_shift": g["shift"].max(),
            "mean_overlap": g["overlap"].mean(),
            "mean_rbo": g["rbo"].mean(),
        }
    ).reset_index()
    return out[cols].sort_values("mean_shift", ascending=False, kind="stable").reset_index(drop=True)


def _summary_dict(df: pd.DataFrame, n_personas: int, clause_personas: list[str], axis: str, k: int
                  ) -> dict[str, Any]:
    summary: dict[str, Any] = {"axis": axis, "k": k, "personas": n_personas,
                               "added_clause_personas": clause_personas}
    if df.empty:
        summary.update(mean_shift=0.0, max_shift=0.0, max_shift_persona=None, max_shift_variant=None,
                       mean_overlap=1.0, by_variant={})
        return summary
    worst = int(df["shift"].to_numpy().argmax())
    summary.update(
        mean_shift=float(df["shift"].mean()),
        max_shift=float(df["shift"].max()),
        max_shift_persona=str(df["persona"].iloc[worst]),
        max_shift_variant=str(df["variant"].iloc[worst]),
        mean_overlap=float(df["overlap"].mean()),
        by_variant={
            str(r.variant): {"n": int(r.n), "mean_shift": float(r.mean_shift),
                             "max_shift": float(r.max_shift), "mean_overlap": float(r.mean_overlap)}
            for r in probe_summary(df).itertuples(index=False)
        },
    )
    return summary
