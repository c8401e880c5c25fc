#!/usr/bin/env python
"""Generate the bundled, fully synthetic demo data under ``data/<domain>/``.

The words come from the hand-written vocabularies in ``scripts/demo_vocab/``: one TOML file per domain plus
``shared.toml`` (schema: ``data/README.md``, "How the demo data is generated", and each file's header).
Nothing is taken from any external data set. For every domain the script writes ``items.csv``,
``users.csv``, ``interactions.csv`` and ``personas.json``. Users like items by attributes only (category,
tags, price band, freshness, a hidden quality ``z``; see ``positive_logit``), never by embedding similarity,
and describe a part of their hidden preferences in their own words.

    python scripts/make_demo_data.py            # (re)write data/<domain>/ for every domain
    python scripts/make_demo_data.py --check    # regenerate into a temp dir; exit 1 if data/ differs
    python scripts/make_demo_data.py --out DIR  # write somewhere else

Deterministic: a fixed seed per domain, a fixed reference date (no clock), pure Python + numpy + pandas.
"""
from __future__ import annotations

import argparse
import filecmp
import json
import math
import re
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

SEED = 20261128
REF_DATE = date(2026, 11, 1)  # the "snapshot" day of the demo data; nothing depends on the real clock
REF_TS = int(datetime(2026, 11, 1, tzinfo=timezone.utc).timestamp())
N_ITEMS = 330
N_USERS = 240
IMPRESSIONS = (15, 40)
FILES = ("items.csv", "users.csv", "interactions.csv", "personas.json")
LOCALES = ("en-US", "en-GB", "en-CA", "en-AU", "en-IE", "en-NZ", "en-IN")
LOCALE_P = (0.34, 0.22, 0.11, 0.11, 0.07, 0.05, 0.10)
CROSS_TAGS = ("budget", "premium", "eco", "beginner")
BAND_NAMES = ("budget", "mainstream", "premium")
EXPOSURE_SKEW = 0.9  # impressions outside the favourite categories: drawn with weight exp(EXPOSURE_SKEW * z)
FAV_SHARE = (0.35, 0.55)  # share of a user's impressions drawn from their favourite categories

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "data"
VOCAB = Path(__file__).resolve().parent / "demo_vocab"


# The attribute model (shared by all domains; exposed for tests)
@dataclass(frozen=True)
class ItemAttrs:
    """Hidden/visible attributes of one item that drive the synthetic interactions."""

    category: str
    tags: frozenset
    price_band: int | None  # 0 budget, 1 mid, 2 premium; None when the domain has no prices
    age_days: int  # days between release and REF_DATE
    quality: float  # latent quality/popularity, standard-normal-ish


@dataclass(frozen=True)
class UserPrefs:
    """Hidden preferences of one log user (not written to users.csv; only described in words)."""

    fav_categories: tuple
    liked_tags: frozenset
    price_band: int | None = None  # 0 budget, 1 mainstream, 2 premium
    recency: float = 0.0  # >0 prefers fresh items, <0 prefers older ones
    avoid_category: str | None = None


@dataclass(frozen=True)
class SignalWeights:
    """Coefficients of the logistic model ``P(positive | user, item)``."""

    bias: float = -2.35
    category: float = 2.6
    avoid: float = -2.2
    tag: float = 0.9
    tag_cap: int = 3
    price: float = -1.0  # per band of distance
    recency: float = 1.1
    quality: float = 0.6
    noise: float = 0.6  # std of the per-impression logit noise


WEIGHTS = SignalWeights()


def freshness(age_days: int, max_age_days: int) -> float:
    """Map an item's age to [-1, 1]: 1 = released today, -1 = as old as the oldest item."""
    return 1.0 - 2.0 * min(max(age_days, 0), max_age_days) / max_age_days


def positive_logit(user: UserPrefs, item: ItemAttrs, max_age_days: int = 3 * 365,
                   weights: SignalWeights = WEIGHTS) -> float:
    """Attribute-only logit of a positive interaction (no embeddings involved)."""
    w = weights
    logit = w.bias + w.quality * item.quality
    if item.category in user.fav_categories:
        logit += w.category
    if user.avoid_category is not None and item.category == user.avoid_category:
        logit += w.avoid
    logit += w.tag * min(len(user.liked_tags & item.tags), w.tag_cap)
    if user.price_band is not None and item.price_band is not None:
        logit += w.price * abs(user.price_band - item.price_band)
    logit += w.recency * user.recency * freshness(item.age_days, max_age_days)
    return float(logit)


def positive_probability(user: UserPrefs, item: ItemAttrs, max_age_days: int = 3 * 365,
                         weights: SignalWeights = WEIGHTS) -> float:
    """``sigmoid(positive_logit)``: the noise-free probability that ``user`` likes ``item``."""
    return 1.0 / (1.0 + math.exp(-positive_logit(user, item, max_age_days, weights)))


# Small text helpers
def pick(rng: np.random.Generator, seq: Sequence):
    return seq[int(rng.integers(len(seq)))]


def sample(rng: np.random.Generator, seq: Sequence, k: int) -> list:
    k = min(k, len(seq))
    idx = rng.choice(len(seq), size=k, replace=False)
    return [seq[int(i)] for i in idx]


def cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def fill(template: str, slots: dict) -> str:
    out = template.format(**slots)
    for _ in range(2):  # slot values may themselves contain slots
        if "{" not in out:
            break
        out = out.format(**slots)
    return out


@dataclass(frozen=True)
class Lang:
    """How a language writes: a shared file's ``[language]`` table (defaults: English).

    ``articles``: put a/an in the ``{a_x}`` slots; ``joiner``: between sentences; ``sentence_end``: characters that
    end a sentence with no space after them ("" = English: ``.!?`` followed by a space); ``length_unit``: ``words``
    (whitespace) or ``chars`` (non-space characters); ``item_length`` / ``social_length``: bounds of an item
    description in that unit; ``name_format``: a person's name from ``{first}`` and ``{last}``; ``locales`` /
    ``locale_p``: the users' locales; ``tag_names``: how the generator's built-in tags (budget, premium, eco,
    beginner, gift-idea, group, person, local) are written in items.csv.
    """

    articles: bool = True
    joiner: str = " "
    sentence_end: str = ""
    length_unit: str = "words"
    item_length: tuple = (30, 70)
    social_length: tuple = (28, 70)
    name_format: str = "{first} {last}"
    locales: tuple = LOCALES
    locale_p: tuple = LOCALE_P
    tag_names: tuple = ()  # (built-in tag, written tag) pairs

    @classmethod
    def of(cls, vocab: dict | None) -> "Lang":
        spec = dict((vocab or {}).get("language", {}))
        if "tag_names" in spec:
            spec["tag_names"] = tuple(spec["tag_names"].items())
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in spec.items()})

    def tag(self, t: str) -> str:
        return dict(self.tag_names).get(t, t)


ENGLISH = Lang()


def sentences_of(text: str, lang: Lang = ENGLISH) -> list[str]:
    if lang.sentence_end:
        return [s.strip() for s in re.split(f"(?<=[{lang.sentence_end}])", text.strip()) if s.strip()]
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def words_of(text: str, lang: Lang = ENGLISH) -> int:
    """Length of a text in the language's unit: whitespace words, or characters other than spaces."""
    if lang.length_unit == "chars":
        return len(re.sub(r"\s", "", text))
    return len(text.split())


def length_ok(text: str, lang: Lang, bounds: tuple) -> bool:
    return bounds[0] <= words_of(text, lang) <= bounds[1]


def tidy(text: str, lang: Lang = ENGLISH) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if lang.sentence_end:  # no spaces between two non-ASCII characters; no doubled full-width punctuation
        text = re.sub(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])", "", text)
        return re.sub(r"([。！？；，、])[。！？；，、]+", r"\1", text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = text.replace("..", ".")
    return text


def article(word: str, lang: Lang = ENGLISH) -> str:
    if not lang.articles:
        return ""
    return "an" if word[:1].lower() in "aeiou" else "a"


def with_article(word: str, lang: Lang = ENGLISH) -> str:
    return f"{article(word)} {word}" if lang.articles else word


def join_and(items: Sequence[str], words: dict) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return words["list_sep"].join(items[:-1]) + words["last_sep"] + items[-1]


# Vocabulary files (scripts/demo_vocab/*.toml)
def _read_toml(name: str) -> dict:
    with open(VOCAB / name, "rb") as fh:
        return tomllib.load(fh)


def _resolve(obj, lists: dict):
    """Expand ``"@name"`` references to named lists: as a value it is the list, in a list it is spliced in."""
    if isinstance(obj, str) and obj.startswith("@"):
        return list(lists[obj[1:]])
    if isinstance(obj, dict):
        return {k: _resolve(v, lists) for k, v in obj.items()}
    if isinstance(obj, list):
        out = []
        for x in obj:
            out += lists[x[1:]] if isinstance(x, str) and x.startswith("@") else [_resolve(x, lists)]
        return out
    return obj


def _pairs(bank: dict) -> dict:
    """Slot banks: a ``[text, tag]`` pair becomes a tuple (the tag is planted on the item)."""
    return {k: [tuple(v) if isinstance(v, list) else v for v in vals] for k, vals in bank.items()}


def domain_names() -> tuple[str, ...]:
    """Every domain with a vocabulary file, in ``seed_index`` order."""
    files = [p for p in VOCAB.glob("*.toml") if not p.stem.startswith("shared")]
    found = {p.stem: _read_toml(p.name)["seed_index"] for p in files}
    return tuple(sorted(found, key=found.get))


def load_vocab(name: str) -> dict:
    """One domain's vocabulary with its shared file merged in (domain values override shared defaults)."""
    spec = _read_toml(f"{name}.toml")
    shared = _read_toml(spec.get("shared", "shared.toml"))
    lists = {**shared.get("lists", {}), **spec.get("lists", {})}
    spec, shared = _resolve(spec, lists), _resolve(shared, lists)
    spec["users"] = {**shared["users"], **spec.get("users", {})}
    spec["identity"] = {**shared["identity"], **spec.get("identity", {})}
    spec["language"] = {**shared.get("language", {}), **spec.get("language", {})}
    spec["slots"] = _pairs(spec.get("slots", {}))
    for cat in spec["category"].values():
        cat["slots"] = _pairs(cat.get("slots", {}))
        for sub in cat.get("subs", []):
            sub["slots"] = _pairs(sub.get("slots", {}))
    return spec


@dataclass
class Domain:
    """Everything needed to generate one domain (built from its vocabulary file)."""

    name: str
    vocab: dict
    categories: list[str]
    has_price: bool
    max_age_days: int
    recency_choices: tuple  # (values, probabilities)
    weights: SignalWeights = WEIGHTS

    @property
    def users(self) -> dict:
        return self.vocab["users"]

    def category_weight(self, cat: str, age: int) -> float:
        """Age-dependent weight of a category among a user's favourites (``[[category_weight]]`` rules)."""
        for rule in self.vocab.get("category_weight", []):
            if cat in rule["categories"]:
                inside = rule.get("age_min", 0) <= age <= rule.get("age_max", 999)
                return rule["inside"] if inside else rule["outside"]
        return 1.0

    def make_item(self, rng: np.random.Generator, category: str) -> dict:
        return ITEM_MAKERS[self.vocab["generator"]](rng, self.vocab, category)


def load_domain(name: str) -> Domain:
    v = load_vocab(name)
    rec = v["recency"]
    return Domain(name=name, vocab=v, categories=list(v["category"]), has_price=v["has_price"],
                  max_age_days=v["max_age_days"], recency_choices=(tuple(rec["values"]), tuple(rec["p"])),
                  weights=SignalWeights(bias=v["bias"]) if "bias" in v else WEIGHTS)


# Item makers, one per ``generator`` kind: product (ecommerce), story (news, video), track (music), social
def _price_for_band(rng: np.random.Generator, lo: float, hi: float, band: int) -> float:
    u = rng.uniform(band / 3.0, (band + 1) / 3.0)
    x = lo + (hi - lo) * u
    if x < 10:
        return round(math.floor(x) + 0.49 + 0.5 * int(rng.integers(2)), 2)
    return round(max(math.floor(x), 1) + 0.99, 2) if x < 100 else float(int(x / 5) * 5 + 4.99)


def _cross_tags(rng: np.random.Generator, band: int | None, eco_p=0.18, beginner_p=0.2) -> list[str]:
    tags = []
    if band == 0 and rng.random() < 0.8:
        tags.append("budget")
    if band == 2 and rng.random() < 0.8:
        tags.append("premium")
    if rng.random() < eco_p:
        tags.append("eco")
    if rng.random() < beginner_p:
        tags.append("beginner")
    return tags


def _product_tags(rng: np.random.Generator, spec: dict, prod: dict, band: int) -> list[str]:
    core, more = prod["tags"][:2], prod["tags"][2:]  # the first two product tags always apply
    tags = list(dict.fromkeys([spec["tag"]] + core + sample(rng, more, int(rng.integers(0, len(more) + 1)))))
    tags += _cross_tags(rng, band)
    if len(tags) < 3:
        tags += [t for t in prod["tags"] if t not in tags][: 3 - len(tags)]
    if len(tags) < 3:
        tags.append("gift-idea")
    return tags[:6]


def _product_text(rng: np.random.Generator, vocab: dict, spec: dict, prod: dict, title: str, brand: str,
                  tags: list[str]) -> str:
    items, plural, lang = vocab["items"], prod["plural"], Lang.of(vocab)
    adj = pick(rng, prod["adjs"])
    noun = prod["noun"]
    if noun.split()[0] == adj or adj in noun:
        adj = ""
    the = "" if spec.get("no_brand_title") or not lang.articles else "the "
    slots = dict(title=title, brand=brand, The_title=cap(the + title), the_title=the + title, noun=noun,
                 adj=adj,
                 context=pick(rng, prod.get("ctx") or spec["contexts"]), It="They" if plural else "It",
                 has="have" if plural else "has", comes="come" if plural else "comes")
    first = adj or noun
    slots["a_adj"] = article(first, lang)
    slots["A_adj"] = cap(article(first, lang))
    feats = sample(rng, prod["feats"], 3)
    slots.update(f1=feats[0], f2=feats[1], f3=feats[2] if len(feats) > 2 else feats[0])
    parts = [fill(pick(rng, items["openers"]), slots), fill(pick(rng, items["features"]), slots)]
    extra = []
    if prod.get("uses") and rng.random() < 0.6:
        extra.append(pick(rng, prod["uses"]))
    if rng.random() < 0.7:
        extra.append(pick(rng, spec["uses"]))
    cross = [t for t in tags if t in items["cross_lines"]]
    if cross and rng.random() < 0.75:
        t = pick(rng, cross)
        extra.append(pick(rng, spec.get("cross", {}).get(t) or items["cross_lines"][t]))
    rng.shuffle(extra)
    return tidy(lang.joiner.join(parts + extra[:2]), lang)


def product_item(rng: np.random.Generator, vocab: dict, category: str) -> dict:
    spec = vocab["category"][category]
    prod = pick(rng, spec["products"])
    brand = pick(rng, spec["brands"])
    title = pick(rng, prod["titles"])
    title = title if spec.get("no_brand_title") else f"{brand} {title}"
    band = int(rng.choice(3, p=[0.38, 0.37, 0.25]))
    price = _price_for_band(rng, *prod["price"], band)
    tags = _product_tags(rng, spec, prod, band)
    lang = Lang.of(vocab)
    for _ in range(40):
        text = _product_text(rng, vocab, spec, prod, title, brand, tags)
        if length_ok(text, lang, lang.item_length) and 2 <= len(sentences_of(text, lang)) <= 4:
            break
    return dict(title=title, description=cap(text), tags=tags, price=price, band=band)


def _fill_slots(rng: np.random.Generator, *banks: dict, lang: Lang = ENGLISH) -> tuple[dict, list[str]]:
    slots, tag_of = {}, {}
    for bank in banks:
        for k, vals in bank.items():
            v = pick(rng, vals)
            if isinstance(v, tuple):  # (text, tag)
                v, t = v
                tag_of[k] = t
                slots[k + "_tag"] = t
            slots[k] = v
            slots["a_" + k] = with_article(str(v), lang)
    for k in list(slots):
        if k.islower():
            slots[k.capitalize()] = cap(str(slots[k]))
    return slots, list(tag_of.values())


def _story_tags(rng: np.random.Generator, spec: dict, sub: dict, slot_tags: list, cross_p: dict,
                band: int | None) -> list[str]:
    tags = [spec["tag"]] if spec.get("tag") else []
    tags += sample(rng, sub["tags"], int(rng.integers(1, 3))) + slot_tags
    for t, p in cross_p.items():
        if rng.random() < p:
            tags.append(t)
    if band == 0 and "budget" in cross_p and "budget" not in tags and rng.random() < 0.5:
        tags.append("budget")
    tags = list(dict.fromkeys(tags))
    if len(tags) < 3:
        tags += [t for t in sub["tags"] if t not in tags][: 3 - len(tags)]
    return tags[:6]


def _story_once(rng: np.random.Generator, vocab: dict, spec: dict, sub: dict) -> tuple:
    items, lang = vocab["items"], Lang.of(vocab)
    slots, slot_tags = _fill_slots(rng, vocab["slots"], spec["slots"], sub["slots"], lang=lang)
    v = int(rng.integers(len(sub["titles"])))
    title = fill(sub["titles"][v], slots)

    def line(alts):  # alternatives aligned with the title variants stay paired with them
        return fill(alts[v] if len(alts) == len(sub["titles"]) else pick(rng, alts), slots)

    parts = [line(sub["lines"][0])]
    rest = sub["lines"][1:]
    k = min(len(rest), 2 if rng.random() < items["full"] else 1)
    for pos in sorted(rng.choice(len(rest), size=k, replace=False)) if rest else []:
        parts.append(line(rest[int(pos)]))
    band = int(rng.choice(3, p=[0.4, 0.4, 0.2])) if "price" in items else None
    tags = _story_tags(rng, spec, sub, slot_tags, items.get("cross_p", {}), band)
    if spec.get("quotes") and rng.random() < 0.75:
        parts.insert(min(len(parts), 1 + int(rng.integers(2))), fill(pick(rng, spec["quotes"]), slots))
    cross_lines = items.get("cross_lines", {})
    extra = [t for t in tags if t in cross_lines]
    if spec.get("closers") and rng.random() < items["closer_p"]:
        parts.append(fill(pick(rng, spec["closers"]), slots))
    elif extra and rng.random() < 0.6:
        parts.append(fill(pick(rng, cross_lines[pick(rng, extra)]), slots))
    return title, cap(tidy(lang.joiner.join(cap(x) for x in parts[:4]), lang)), tags, band


def relabel(text: str, pairs) -> str:
    """A category's ``relabel`` pairs ``[old, new]`` applied to a finished description, each at most once.

    They run after the length check and draw nothing from the RNG, so adding one changes that category's
    descriptions and nothing else (titles, tags, prices, users and the interaction log stay byte-identical).
    """
    for old, new in pairs:
        text = text.replace(old, new, 1)
    return text


def relabel_first(text: str, pairs) -> str:
    """A category's ``relabel_first`` pairs: only the first ``[old, new]`` whose old phrase occurs is applied.

    For a word every description should carry once (a synopsis names its genre): the pairs list the places it can
    go, in order of preference, and a pair with ``new == old`` marks a phrase that already names it (nothing more
    is added). Like ``relabel`` it runs after the length check with no RNG draw.
    """
    for old, new in pairs:
        if old in text:
            return text.replace(old, new, 1)
    return text


def story_item(rng: np.random.Generator, vocab: dict, category: str) -> dict:
    """A sub-topic's title and sentence positions (the first mandatory), filled from the slot banks."""
    spec = vocab["category"][category]
    sub = pick(rng, spec["subs"])
    lang = Lang.of(vocab)
    for _ in range(40):
        title, text, tags, band = _story_once(rng, vocab, spec, sub)
        if length_ok(text, lang, lang.item_length) and 2 <= len(sentences_of(text, lang)) <= 4:
            break
    text = relabel_first(relabel(text, spec.get("relabel", ())), spec.get("relabel_first", ()))
    out = dict(title=title, description=text, tags=tags)
    if "price" in vocab["items"]:
        lo, hi = vocab["items"]["price"]
        out["price"] = round(lo + (hi - lo) * rng.uniform(band / 3, (band + 1) / 3), 0) - 0.01
        out["band"] = band
    return out


def track_item(rng: np.random.Generator, vocab: dict, category: str) -> dict:
    """A story item with a per-track price (era/mood/activity tags are planted via slots)."""
    for _ in range(20):
        it = story_item(rng, vocab, category)
        if "{" not in it["description"]:
            break
    prices = vocab["items"]["track_prices"]
    it["price"] = round(float(pick(rng, prices)) if it["band"] != 2 else prices[-1], 2)
    budget_max, mid_max = vocab["items"]["band_max"]
    it["band"] = 0 if it["price"] <= budget_max else (1 if it["price"] <= mid_max else 2)
    return it


def _social_once(rng: np.random.Generator, vocab: dict, sub: dict) -> tuple[str, str, bool]:
    g, lang = vocab["slots"], Lang.of(vocab)
    first, last, city = pick(rng, g["first"]), pick(rng, g["last"]), pick(rng, g["city"])
    role = pick(rng, sub["roles"])
    full = lang.name_format.format(first=first, last=last)
    slots = dict(Name=full, name=first, role=role, Role=cap(role), city=city, City=city)
    is_group = rng.random() < 0.35
    if is_group:
        title = fill(pick(rng, sub["groups"]), slots)
        parts = [fill(pick(rng, sub["group"]), slots)]
    else:
        title = full
        parts = [fill(pick(rng, sub["person"]), slots)]
    if rng.random() < 0.85:
        parts.append(pick(rng, sub["more"]))
    if is_group:
        size = pick(rng, g["group_size"])
        parts.append(fill(size, dict(n=pick(rng, vocab["items"]["group_members"]), city=city)))
        parts.append(pick(rng, g["group_style"]))
    else:
        parts.append(fill(pick(rng, g["style"]), slots) if rng.random() < 0.7 else pick(rng, g["cadence"]))
        if rng.random() < 0.5:
            parts.append(pick(rng, g["cadence"]))
    if lang != ENGLISH:  # a cadence line can be drawn twice; English keeps its pinned bytes
        parts = list(dict.fromkeys(parts))
    return title, tidy(lang.joiner.join(parts[:4]), lang), is_group


def social_item(rng: np.random.Generator, vocab: dict, category: str) -> dict:
    spec = vocab["category"][category]
    sub = pick(rng, spec["subs"])
    lang = Lang.of(vocab)
    for _ in range(40):
        title, text, is_group = _social_once(rng, vocab, sub)
        ends = len(sentences_of(text, lang)) if lang.sentence_end else text.count(".")
        if length_ok(text, lang, lang.social_length) and ends <= 4:
            break
    tags = [spec["tag"], "group" if is_group else "person"]
    tags += sample(rng, sub["tags"], int(rng.integers(1, 4)))
    tags = list(dict.fromkeys(tags))
    if len(tags) < 3:
        tags += [t for t in sub["tags"] if t not in tags][:1]
    if rng.random() < 0.2:
        tags.append("beginner")
    if rng.random() < 0.15:
        tags.append("local")
    return dict(title=title, description=text, tags=list(dict.fromkeys(tags))[:6])


ITEM_MAKERS = {"product": product_item, "story": story_item, "track": track_item, "social": social_item}


# Users: self descriptions (age/gender words appear naturally in some of them)
def identity_sentence(rng: np.random.Generator, ident: dict, age: int, gender: str, lang: Lang = ENGLISH) -> str:
    tens = ident["decades"][age // 10 - 1] if age >= 20 else ident["decades"][0]
    part = ident["decade_parts"][0 if age % 10 <= 3 else (1 if age % 10 <= 6 else 2)]
    dec = ident["decade_format"].format(part=part, tens=tens) if age >= 20 else ident["under_20"]
    if age >= ident["retired_age"]:
        job = pick(rng, ident["jobs_old"])
        options = ident["retired"]["any"] + ident["retired"][gender]
    else:
        job = pick(rng, ident["jobs_young"] if age < ident["young_age"] else ident["jobs_mid"])
        if job == ident["student_job"]:
            job = pick(rng, ident["students"])
        w = ident["working"]
        options = list(w["student" if ident["student_job"] in job else "any"])
        if age < ident["school_age"]:
            options += w["school"]
        options += w[gender]
        lo, hi = ident["parent_ages"]
        if lo <= age <= hi:
            options += ident["parent"].get(gender, [])
    slots = dict(job=job, a_job=with_article(job, lang), age=age, dec=dec, decade=tens)
    return pick(rng, options).format(**slots)


def _interest_sentence(rng: np.random.Generator, dom: Domain, prefs: UserPrefs) -> str:
    u = dom.users
    phrases = [pick(rng, u["interests"][c]) for c in prefs.fav_categories]
    rest = join_and(phrases[1:], u)
    slots = dict(a=phrases[0], A=cap(phrases[0]), all=join_and(phrases, u),
                 and_b=u["and_b"].format(x=rest) if len(phrases) > 1 else "",
                 side_b=u["side_b"].format(x=rest) if len(phrases) > 1 else "")
    interest = fill(pick(rng, u["interest_templates"]), slots)
    situation = u.get("situations", {}).get(prefs.fav_categories[0])
    if situation and rng.random() < 0.45:
        if len(phrases) > 1 and rng.random() < 0.6:
            joiner = Lang.of(dom.vocab).joiner
            interest = pick(rng, situation) + joiner + fill(pick(rng, u["also_templates"]), dict(x=rest))
        else:
            interest = pick(rng, situation)
    return interest


def describe_user(rng: np.random.Generator, dom: Domain, prefs: UserPrefs, age: int, gender: str) -> str:
    """Write a 1-3 sentence self description from hidden preferences (partial and paraphrased)."""
    u, lang = dom.users, Lang.of(dom.vocab)
    interest = _interest_sentence(rng, dom, prefs)
    optional = []
    plain = [t for t in sorted(prefs.liked_tags) if t not in CROSS_TAGS]
    if plain and rng.random() < 0.7:
        shown = sample(rng, plain, min(len(plain), int(rng.integers(1, 3))))
        words = [u["tag_words"].get(t, t.replace("-", " ")) for t in shown]
        optional.append(fill(pick(rng, u["tag_templates"]), dict(t=u["or_sep"].join(words))))
    for t in ("eco", "beginner"):
        if t in prefs.liked_tags and rng.random() < 0.7:
            optional.append(pick(rng, u["cross_user"][t]))
    if prefs.avoid_category and rng.random() < 0.75:
        x = pick(rng, u["avoid"][prefs.avoid_category])
        optional.append(fill(pick(rng, u["avoid_templates"]), dict(x=x, X=cap(x))))
    price = u.get("price_phrases", {}).get(str(prefs.price_band))
    if prefs.price_band is not None and price and rng.random() < 0.6:
        optional.append(pick(rng, price))
    sign = (prefs.recency > 0.05) - (prefs.recency < -0.05)
    recency = u.get("recency_phrases", {}).get(str(sign))
    if recency and rng.random() < 0.55:
        optional.append(pick(rng, recency))
    rng.shuffle(optional)
    parts = [interest]
    if rng.random() < 0.5:
        parts.insert(0, identity_sentence(rng, dom.vocab["identity"], age, gender, lang))
    parts += optional
    sentences = [x for part in parts for x in sentences_of(cap(part), lang)]
    return tidy(lang.joiner.join(sentences[:3]), lang)


# Generation
def _release_age(rng: np.random.Generator, dom: Domain) -> int:
    scale = dom.vocab.get("release_scale_days")  # news: most items are only days old
    if scale:
        return int(min(dom.max_age_days, 1 + rng.exponential(scale)))
    return int(rng.integers(5, dom.max_age_days + 1))


def generate_items(rng: np.random.Generator, dom: Domain) -> tuple[pd.DataFrame, list[ItemAttrs]]:
    cats = np.array([dom.categories[i % len(dom.categories)] for i in range(N_ITEMS)])
    cats = cats[rng.permutation(N_ITEMS)]
    rows, attrs, seen = [], [], set()
    lang = Lang.of(dom.vocab)
    for i, cat in enumerate(cats):
        for attempt in range(60):
            it = dom.make_item(rng, str(cat))
            if it["title"] not in seen and it["description"] not in seen:
                break
        if it["title"] in seen:  # give up on novelty: still keep titles unique
            it["title"] = f"{it['title']} ({i + 1})"
        seen.update([it["title"], it["description"]])
        age = _release_age(rng, dom)
        released = REF_DATE - timedelta(days=age)
        quality = float(rng.standard_normal())
        rows.append(dict(item_id=f"{dom.vocab['id_prefix']}-{i + 1:04d}", title=it["title"],
                         description=it["description"], category=str(cat),
                         tags=";".join(lang.tag(t) for t in it["tags"]),
                         price=it.get("price") if dom.has_price else None, released=released.isoformat()))
        attrs.append(ItemAttrs(category=str(cat), tags=frozenset(it["tags"]),
                               price_band=it.get("band") if dom.has_price else None, age_days=age,
                               quality=quality))
    return pd.DataFrame(rows, columns=["item_id", "title", "description", "category", "tags", "price",
                                       "released"]), attrs


def _liked_tags(rng: np.random.Generator, favs: tuple, tag_counts: dict, n_cat: dict) -> set:
    pool = {}
    for c in favs:
        for t, n in tag_counts[c].items():
            if n < 0.9 * n_cat[c]:  # a tag every item of the category carries says nothing beyond it
                pool[t] = pool.get(t, 0) + n
    names = sorted(pool)
    pw = np.array([pool[t] for t in names], dtype=float)
    return set(str(t) for t in rng.choice(names, size=min(len(names), int(rng.integers(2, 4))),
                                          replace=False, p=pw / pw.sum())) if names else set()


def _user_prefs(rng: np.random.Generator, dom: Domain, age: int, tag_counts: dict, n_cat: dict,
                all_tags: set) -> tuple[UserPrefs, str]:
    k = int(rng.choice([1, 2, 3], p=[0.3, 0.45, 0.25]))
    w = np.array([dom.category_weight(c, age) for c in dom.categories], dtype=float)
    favs = tuple(str(c) for c in rng.choice(dom.categories, size=k, replace=False, p=w / w.sum()))
    avoid = pick(rng, [c for c in dom.categories if c not in favs]) if rng.random() < 0.4 else None
    liked = _liked_tags(rng, favs, tag_counts, n_cat)
    if "eco" in all_tags and rng.random() < 0.25:
        liked.add("eco")
    if "beginner" in all_tags and rng.random() < 0.15:
        liked.add("beginner")
    if dom.has_price:
        band = int(rng.choice(3, p=[0.38, 0.42, 0.20]))
        segment = BAND_NAMES[band]
        if band == 0 and rng.random() < 0.5:
            liked.add("budget")
        if band == 2 and rng.random() < 0.5:
            liked.add("premium")
    else:
        band = None
        segment = str(rng.choice(["casual", "regular", "power"], p=[0.4, 0.4, 0.2]))
    rec_vals, rec_p = dom.recency_choices
    recency = float(rng.choice(rec_vals, p=rec_p))
    return UserPrefs(fav_categories=favs, liked_tags=frozenset(liked), price_band=band, recency=recency,
                     avoid_category=avoid), segment


def generate_users(rng: np.random.Generator, dom: Domain, attrs: list[ItemAttrs]
                   ) -> tuple[pd.DataFrame, list[UserPrefs]]:
    tag_counts: dict[str, dict[str, int]] = {c: {} for c in dom.categories}
    for a in attrs:
        for t in a.tags:
            if t not in CROSS_TAGS:
                tag_counts[a.category][t] = tag_counts[a.category].get(t, 0) + 1
    n_cat = {c: sum(a.category == c for a in attrs) for c in dom.categories}
    all_tags = set().union(*(a.tags for a in attrs))
    lang = Lang.of(dom.vocab)
    rows, prefs = [], []
    for u in range(N_USERS):
        age = int(np.clip(rng.normal(40, 14), 18, 75))
        gender = str(rng.choice(["female", "male", "nonbinary"], p=[0.48, 0.47, 0.05]))
        locale = str(rng.choice(lang.locales, p=lang.locale_p))
        p, segment = _user_prefs(rng, dom, age, tag_counts, n_cat, all_tags)
        rows.append(dict(user_id=f"{dom.vocab['id_prefix']}-u{u + 1:04d}",
                         description=describe_user(rng, dom, p, age, gender),
                         age=age, gender=gender, locale=locale, segment=segment))
        prefs.append(p)
    return pd.DataFrame(rows, columns=["user_id", "description", "age", "gender", "locale", "segment"]), prefs


def generate_interactions(rng: np.random.Generator, dom: Domain, items: pd.DataFrame, attrs: list[ItemAttrs],
                          users: pd.DataFrame, prefs: list[UserPrefs]) -> pd.DataFrame:
    quality = np.array([a.quality for a in attrs])
    exposure = np.exp(EXPOSURE_SKEW * quality)
    cats = np.array([a.category for a in attrs])
    release_ts = np.array([REF_TS - a.age_days * 86400 for a in attrs])
    log = {"span_days": 400, "gap_hours": 120, **dom.vocab.get("log", {})}
    span, gap_scale = log["span_days"] * 86400, log["gap_hours"] * 3600
    rows = []
    for uid, seg, p in zip(users["user_id"], users["segment"], prefs):
        lo, hi = {"casual": (15, 25), "regular": (20, 35), "power": (30, 40)}.get(seg, IMPRESSIONS)
        n = int(rng.integers(lo, hi + 1))
        fav_rows = np.flatnonzero(np.isin(cats, p.fav_categories))
        k_fav = min(len(fav_rows), int(round(n * rng.uniform(*FAV_SHARE))))
        fw = np.exp(0.6 * quality[fav_rows])
        chosen = list(rng.choice(fav_rows, size=k_fav, replace=False, p=fw / fw.sum()))
        mask = np.ones(len(attrs), bool)
        mask[chosen] = False
        rest = np.flatnonzero(mask)
        ew = exposure[rest]
        chosen += list(rng.choice(rest, size=n - k_fav, replace=False, p=ew / ew.sum()))
        chosen = sorted(chosen, key=lambda r: (release_ts[r], r))
        t = REF_TS - int(rng.uniform(0.3, 1.0) * span)
        for r in chosen:
            t = max(t + int(rng.exponential(gap_scale)) + 60,
                    int(release_ts[r]) + int(rng.integers(600, 3 * 86400)))
            logit = positive_logit(p, attrs[r], dom.max_age_days, dom.weights)
            logit += rng.normal(0, dom.weights.noise)
            rating = int(rng.random() < 1 / (1 + math.exp(-logit)))
            rows.append((uid, items["item_id"].iat[r], rating, t))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"])


def resolve_personas(dom: Domain, items: pd.DataFrame) -> list[dict]:
    """Personas name liked/disliked items by [category, tag, title words]; each is the first match by id."""
    out = []
    for spec in dom.vocab.get("personas", []):
        used: set[str] = set()

        def find(sel):
            cat, tag, word = (list(sel) + [None, None, None])[:3]
            m = np.ones(len(items), bool)
            if cat:
                m &= (items["category"] == cat).to_numpy()
            if tag:
                m &= items["tags"].str.split(";").apply(lambda ts: tag in ts).to_numpy()
            if word:
                m &= items["title"].str.lower().str.contains(word.lower(), regex=False).to_numpy()
            for iid in items["item_id"][m]:
                if iid not in used:
                    used.add(iid)
                    return iid
            raise RuntimeError(f"{dom.name}: persona {spec['name']!r} selector {sel} matches no item")

        out.append(dict(name=spec["name"], description=spec["description"],
                        liked=[find(s) for s in spec.get("liked", [])],
                        disliked=[find(s) for s in spec.get("disliked", [])]))
    return out


def build_domain(name: str) -> dict:
    """Generate one domain in memory: items, users, interactions, personas (+ hidden attrs/prefs)."""
    dom = load_domain(name)
    rng = np.random.default_rng([SEED, dom.vocab["seed_index"]])
    items, attrs = generate_items(rng, dom)
    users, prefs = generate_users(rng, dom, attrs)
    inter = generate_interactions(rng, dom, items, attrs, users, prefs)
    personas = resolve_personas(dom, items)
    return dict(domain=dom, items=items, attrs=attrs, users=users, prefs=prefs, interactions=inter,
                personas=personas)


def write_domain(built: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    items = built["items"].copy()
    if built["domain"].has_price:
        items["price"] = items["price"].map(lambda x: f"{x:.2f}")
    else:
        items["price"] = ""
    opts = dict(index=False, lineterminator="\n", encoding="utf-8")
    items.to_csv(folder / "items.csv", **opts)
    built["users"].to_csv(folder / "users.csv", **opts)
    built["interactions"].to_csv(folder / "interactions.csv", **opts)
    (folder / "personas.json").write_text(json.dumps(built["personas"], indent=2, ensure_ascii=False) + "\n",
                                          encoding="utf-8")


DOMAINS = domain_names()


def generate_all(out: Path, domains: Sequence[str] = DOMAINS) -> None:
    for name in domains:
        write_domain(build_domain(name), out / name)


def check(out: Path = DEFAULT_OUT, domains: Sequence[str] = DOMAINS) -> list[str]:
    """Regenerate into a temp dir and list files that differ from (or are missing in) ``out``."""
    bad = []
    with tempfile.TemporaryDirectory() as tmp:
        generate_all(Path(tmp), domains)
        for name in domains:
            for f in FILES:
                a, b = Path(tmp) / name / f, out / name / f
                if not b.exists() or not filecmp.cmp(a, b, shallow=False):
                    bad.append(str(b))
    return bad


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: data/)")
    ap.add_argument("--check", action="store_true", help="regenerate to a temp dir; exit 1 if files differ")
    ap.add_argument("--domain", action="append", choices=DOMAINS, help="only this domain (repeatable)")
    args = ap.parse_args(argv)
    domains = args.domain or list(DOMAINS)
    if args.check:
        bad = check(args.out, domains)
        if bad:
            print("demo data is out of date; run python scripts/make_demo_data.py\n  " + "\n  ".join(bad))
            return 1
        print(f"demo data up to date ({len(domains)} domains)")
        return 0
    generate_all(args.out, domains)
    for name in domains:
        print(f"{name}: wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
