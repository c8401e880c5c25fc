#!/usr/bin/env python
# ruff: noqa: E501  -- most of this file is hand-written vocabulary tables
"""Generate the bundled, fully synthetic demo data under ``data/<domain>/``.

Every word of text here was written for coldrec (Apache-2.0, like the rest of the repository); nothing is taken
from any external data set. Five domains are written: ``ecommerce``, ``news``, ``video``, ``music`` and
``social`` (people and groups to follow). For each one the script writes ``items.csv``, ``users.csv``,
``interactions.csv`` and ``personas.json``.

How the interaction log is made (the "planted signal"):

* every item has attributes: a category, a set of tags, a price band (budget / mid / premium, or none), a release
  date (freshness) and a hidden quality/popularity latent ``z`` with a long tail;
* every log user has hidden preferences: 1-3 favourite categories, sometimes one avoided category, a few liked
  tags, a price band and a recency preference. Their ``description`` is written from those preferences (it
  mentions some of them, in varied words, never all of them, and never copies item text);
* each user is shown 15-40 items (exposure is popularity-biased, partly focused on their favourite categories);
  each impression is a positive (rating 1) with probability ``sigmoid(positive_logit(user, item) + noise)``,
  where ``positive_logit`` looks only at the attributes above -- never at any embedding similarity.

Usage::

    python scripts/make_demo_data.py            # (re)write data/<domain>/ for all five domains
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
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

SEED = 20261128
REF_DATE = date(2026, 11, 1)  # the "snapshot" day of the demo data; nothing depends on the real clock
REF_TS = int(datetime(2026, 11, 1, tzinfo=timezone.utc).timestamp())
DOMAINS = ("ecommerce", "news", "video", "music", "social")
PREFIX = {"ecommerce": "ec", "news": "nw", "video": "vd", "music": "mu", "social": "so"}
N_ITEMS = 330
N_USERS = 240
IMPRESSIONS = (15, 40)
FILES = ("items.csv", "users.csv", "interactions.csv", "personas.json")
LOCALES = ("en-US", "en-GB", "en-CA", "en-AU", "en-IE", "en-NZ", "en-IN")
LOCALE_P = (0.34, 0.22, 0.11, 0.11, 0.07, 0.05, 0.10)
CROSS_TAGS = ("budget", "premium", "eco", "beginner")
BAND_NAMES = ("budget", "mainstream", "premium")
EXPOSURE_SKEW = 0.9  # impressions outside the favourite categories are drawn with weight exp(EXPOSURE_SKEW * z)
FAV_SHARE = (0.35, 0.55)  # share of a user's impressions drawn from their favourite categories

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "data"


# ----------------------------------------------------------------------------------------------------------
# The attribute model (shared by all domains; exposed for tests)
# ----------------------------------------------------------------------------------------------------------
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


# ----------------------------------------------------------------------------------------------------------
# Small text helpers
# ----------------------------------------------------------------------------------------------------------
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


def sentences_of(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def words_of(text: str) -> int:
    return len(text.split())


def tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = text.replace("..", ".")
    return text


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def join_and(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ----------------------------------------------------------------------------------------------------------
# Domain specification
# ----------------------------------------------------------------------------------------------------------
@dataclass
class Domain:
    """Everything needed to generate one domain."""

    name: str
    categories: list[str]
    category_tags: dict[str, list[str]]  # per-category tag vocabulary
    make_item: Callable[[np.random.Generator, str, int], dict]  # -> title, description, tags, price, band
    interests: dict[str, list[str]]  # per category: noun phrases a user would use ("home cooking")
    avoid_phrases: dict[str, list[str]]  # per category: what a user says they avoid
    tag_words: dict[str, str]  # tag -> how a user says it (defaults to the tag with dashes as spaces)
    has_price: bool
    max_age_days: int
    recency_choices: tuple  # (values, probabilities)
    recency_phrases: dict  # sign -> list of sentences
    price_phrases: dict  # band -> list of sentences
    personas: list[dict]
    tag_sentence_templates: list[str] = field(default_factory=list)  # interest sentence templates override
    category_weight: Callable[[str, int, str], float] | None = None  # (category, age, gender) -> weight
    weights: SignalWeights = WEIGHTS


# Sentences about the cross-cutting tags, shared by the product-like domains.
CROSS_TAG_LINES = {
    "budget": [
        "It is priced for people watching their spending.",
        "A sensible buy that does not stretch the budget.",
        "Good value for money, with no frills you will not use.",
        "An affordable option that still feels well made.",
    ],
    "premium": [
        "It is a premium pick, with materials and finish to match the price.",
        "Built to a high standard and backed by a long warranty.",
        "A splurge, but one that is made to last for years.",
        "Top-end materials and careful detailing set it apart.",
    ],
    "eco": [
        "It ships in plastic-free packaging and uses recycled materials where possible.",
        "Made with sustainability in mind, from sourcing to packaging.",
        "A lower-impact choice, designed to be repaired rather than replaced.",
    ],
    "beginner": [
        "Simple enough for complete beginners to get going straight away.",
        "A friendly starting point if you are new to this.",
        "Clear instructions make it easy for first-timers.",
    ],
}


# ----------------------------------------------------------------------------------------------------------
# E-commerce
# ----------------------------------------------------------------------------------------------------------
# product: (noun, plural?, title variants, (price lo, hi), tags, adjectives, features (noun phrases), uses)
def P(noun, plural, titles, price, tags, adjs, feats, uses=(), ctx=()):
    return dict(noun=noun, plural=plural, titles=titles, price=price, tags=tags, adjs=adjs, feats=feats,
                uses=list(uses), ctx=list(ctx))


ECOM: dict[str, dict] = {
    "Kitchen & Cooking": dict(
        tag="kitchen",
        brands=["Hearthwell", "Copperleaf", "Saltmarsh", "Kitchenry", "Ovenbird", "Larder & Co", "Mirepoix"],
        contexts=["everyday home cooking", "quick weeknight dinners", "small kitchens with little cupboard space",
                  "cooks who make most meals from scratch", "batch cooking on a Sunday afternoon"],
        uses=["A dependable choice for everyday home cooking.",
              "Handy whether you cook for one or for a family of five.",
              "It makes weeknight dinners quicker and a little more enjoyable.",
              "Cleaning up afterwards takes a couple of minutes at most.",
              "Sized sensibly for compact kitchens and rented flats."],
        products=[
            P("frying pan", False, ["Nonstick Frying Pan 24 cm", "Ceramic Frying Pan 28 cm", "Everyday Skillet 20 cm"],
              (12, 75), ["cookware", "nonstick"], ["lightweight", "everyday", "ceramic-coated"],
              ["a PFAS-free ceramic nonstick coating", "an induction-ready base that heats evenly",
               "a stay-cool riveted handle", "a weight light enough to toss vegetables one-handed",
               "a surface that wipes clean in seconds"]),
            P("cast-iron skillet", False, ["Cast-Iron Skillet 26 cm", "Pre-Seasoned Cast-Iron Pan", "Cast-Iron Griddle Pan"],
              (18, 95), ["cookware", "cast-iron"], ["heavy-duty", "pre-seasoned", "classic"],
              ["a factory seasoning that is ready on day one", "heat retention that gives a proper sear",
               "a helper handle for lifting it out of the oven", "a finish that improves with every use",
               "pouring lips on both sides"]),
            P("chef's knife", False, ["Chef's Knife 20 cm", "Santoku Knife", "Everyday Kitchen Knife Trio"],
              (10, 130), ["knives"], ["razor-sharp", "well-balanced", "forged"],
              ["a full-tang stainless steel blade", "an edge that holds through weeks of daily chopping",
               "a grippy handle that stays secure when wet", "a protective blade guard for the drawer",
               "a balance point that makes fast slicing feel controlled"]),
            P("stackable saucepan set", False, ["Stackable Saucepan Set", "Nesting Pot and Pan Set, 8 pieces", "Space-Saver Cookware Set"],
              (30, 160), ["cookware", "compact"], ["space-saving", "nesting", "clever"],
              ["pans that nest into the footprint of a single pot", "detachable handles so everything stacks flat",
               "glass lids with steam vents", "bases that work on every hob, induction included",
               "oven-safe pans up to 220 degrees"],
              ["It frees up a whole cupboard in a small kitchen."]),
            P("chopping board set", False, ["Colour-Coded Chopping Boards", "Bamboo Chopping Board Trio", "Slim Chopping Board Set"],
              (8, 45), ["meal-prep", "compact"], ["colour-coded", "slim", "hard-wearing"],
              ["separate boards for vegetables, bread and raw food", "non-slip rubber feet",
               "a slim upright storage stand", "juice grooves that catch spills",
               "surfaces that are gentle on knife edges"]),
            P("set of meal-prep containers", True, ["Glass Meal-Prep Containers, set of 10", "Leak-Proof Lunch Boxes", "Stacking Food Storage Set"],
              (12, 42), ["meal-prep", "dishwasher-safe"], ["leak-proof", "stackable", "freezer-friendly"],
              ["snap-lock lids that do not leak in a bag", "borosilicate glass that goes from freezer to oven",
               "shapes that stack neatly in the fridge", "portion sizes that suit packed lunches",
               "labels you can write on and wipe off"]),
            P("mandoline slicer", False, ["Adjustable Mandoline Slicer", "Fold-Flat Vegetable Slicer"],
              (12, 55), ["meal-prep", "gadget"], ["adjustable", "fold-flat", "handy"],
              ["a dial that sets slices from paper-thin to thick", "a hand guard that keeps fingertips safe",
               "a julienne blade for stir-fry vegetables", "a frame that folds flat into a drawer"]),
            P("set of kitchen utensils", True, ["Silicone Utensil Set, 6 pieces", "Wooden Spoon and Spatula Set", "Starter Kitchen Tool Kit"],
              (9, 40), ["gadget", "nonstick"], ["heat-resistant", "starter", "gentle"],
              ["heads that will not scratch nonstick pans", "a hanging loop on every handle",
               "heat resistance up to 230 degrees", "a ladle, turner, whisk and tongs in one set"],
              ["Everything a new kitchen needs on the first night."]),
        ]),
    "Headphones & Audio": dict(
        tag="audio",
        brands=["Sonaro", "Quietline", "Auralis", "Bassfield", "Hushwave", "Tuneloft", "Lumen Audio"],
        contexts=["long commutes and flights", "focused work in a noisy open-plan office",
                  "listening on the move", "music lovers who want clear, detailed sound", "calls and podcasts"],
        uses=["A good match for commuters and frequent flyers.",
              "Well suited to long listening sessions at home or on the move.",
              "Pairing with a phone, tablet or laptop takes seconds.",
              "Music, podcasts and calls all come through clear and natural."],
        products=[
            P("pair of wireless noise-cancelling headphones", True,
              ["Wireless Noise-Cancelling Over-Ear Headphones", "ANC Wireless Headphones", "Noise-Cancelling Bluetooth Headphones Pro",
               "Travel Noise-Cancelling Headphones"],
              (60, 380), ["wireless", "noise-cancelling", "over-ear", "bluetooth"], ["wireless", "noise-cancelling", "over-ear"],
              ["active noise cancelling that hushes trains, planes and chatty offices",
               "up to 30 hours of battery life on one charge", "Bluetooth multipoint pairing with two devices",
               "a transparency mode for hearing announcements", "memory-foam ear cushions for all-day comfort",
               "a folding design with a hard travel case"],
              ["If you want silence on a noisy commute, these wireless headphones deliver it."]),
            P("set of noise-cancelling wireless earbuds", True,
              ["Noise-Cancelling Wireless Earbuds", "True Wireless ANC Earbuds", "Compact Noise-Cancelling Earbuds"],
              (40, 280), ["wireless", "noise-cancelling", "earbuds", "bluetooth"], ["wireless", "noise-cancelling", "pocketable"],
              ["adaptive noise cancelling that blocks out background noise", "a pocket-sized charging case",
               "sweat resistance for workouts", "touch controls for calls and playback",
               "six hours of playback per charge plus three refills from the case"]),
            P("pair of wired studio headphones", True, ["Closed-Back Studio Headphones", "Wired Monitor Headphones"],
              (35, 210), ["over-ear", "hi-fi", "wired"], ["closed-back", "studio-grade", "wired"],
              ["a flat, detailed sound for mixing and editing", "a detachable coiled cable",
               "velour pads that stay comfortable for hours", "a 6.3 mm adapter for audio interfaces"]),
            P("portable Bluetooth speaker", False, ["Waterproof Bluetooth Speaker", "Portable Party Speaker", "Mini Travel Speaker"],
              (25, 180), ["speaker", "bluetooth", "wireless"], ["waterproof", "portable", "rugged"],
              ["an IP67 rating for the beach or the shower", "surprisingly deep bass for its size",
               "stereo pairing with a second speaker", "a strap loop for hanging it from a bag",
               "twelve hours of playback"]),
            P("USB podcast microphone", False, ["USB Podcast Microphone", "Desktop Streaming Microphone"],
              (40, 170), ["microphone", "home-studio"], ["plug-and-play", "cardioid", "desktop"],
              ["a cardioid pickup that ignores room noise", "a zero-latency headphone output",
               "a sturdy desk stand and pop filter", "driver-free USB-C connection"]),
            P("pair of bookshelf speakers", True, ["Active Bookshelf Speakers", "Hi-Fi Bookshelf Speaker Pair"],
              (90, 420), ["speaker", "hi-fi"], ["powered", "hi-fi", "walnut-finish"],
              ["built-in amplification with a phono input", "a warm, room-filling sound",
               "Bluetooth and optical inputs for the TV", "a real wood veneer finish"]),
            P("pair of open-ear sports headphones", True, ["Open-Ear Sports Headphones", "Bone-Conduction Running Headphones"],
              (50, 160), ["wireless", "bluetooth", "sport"], ["open-ear", "lightweight", "sweat-proof"],
              ["an open-ear design that keeps you aware of traffic", "a secure wraparound fit for running",
               "eight hours of battery life", "sweat and rain resistance"]),
        ]),
    "Garden & Outdoor": dict(
        tag="garden",
        brands=["Greenacre", "Fernhollow", "Rootstock", "Wildmoss", "Bramble & Vine", "Allotment Works", "Tilthouse"],
        contexts=["weekend gardeners", "keeping borders and hedges tidy", "small gardens and allotments",
                  "balconies and patios", "growing your own vegetables"],
        uses=["Built for weekend gardeners who want tools that last.",
              "A solid choice whether you tend a large plot or a few pots.",
              "It makes outdoor jobs quicker and easier on your back.",
              "Hang it in the shed and it will be ready every spring."],
        products=[
            P("pair of bypass secateurs", True, ["Bypass Pruning Secateurs", "Garden Pruning Shears", "Ratchet Secateurs"],
              (10, 48), ["garden-tools", "pruning"], ["sharp", "sturdy", "ergonomic"],
              ["hardened steel blades that cut stems up to 20 mm thick", "a one-handed safety lock",
               "cushioned grips that suit small and large hands", "a sap groove that stops the blades sticking"]),
            P("trowel and hand fork set", False, ["Stainless Garden Trowel and Fork Set", "Hand Tool Trio for Planting"],
              (12, 42), ["garden-tools", "planting"], ["stainless", "rust-proof", "hard-wearing"],
              ["depth markings etched on the trowel blade", "ash-wood handles", "a canvas tool roll for storage",
               "a narrow transplanting trowel for seedlings"]),
            P("cordless hedge trimmer", False, ["Cordless Hedge Trimmer 20V", "Battery Hedge Cutter"],
              (60, 230), ["garden-tools", "pruning", "cordless"], ["cordless", "powerful", "lightweight"],
              ["about 45 minutes of cutting per battery", "dual-action blades for thick growth",
               "a wraparound front handle", "a blade guard that doubles as a hanger"]),
            P("expandable garden hose", False, ["Expandable Garden Hose 15 m", "Hose with Seven-Pattern Spray Nozzle"],
              (18, 60), ["watering"], ["kink-free", "expandable", "light"],
              ["a hose that triples in length when the water is on", "a spray gun with seven patterns",
               "brass fittings that do not leak", "a storage bag that hangs by the tap"]),
            P("raised balcony planter", False, ["Raised Wooden Planter", "Balcony Planter Box", "Herb Garden Planter"],
              (25, 130), ["planting", "balcony"], ["raised", "cedar", "compact"],
              ["free-draining slats that keep roots healthy", "a waist height that saves bending",
               "a liner that protects the wood", "a footprint that fits a small balcony"],
              ["Perfect for herbs, salad leaves and strawberries in a small space."]),
            P("rotating compost bin", False, ["Tumbling Compost Bin", "Dual-Chamber Compost Tumbler"],
              (40, 160), ["composting", "eco"], ["rotating", "dual-chamber", "rodent-proof"],
              ["a drum you turn by hand every few days", "two chambers so one batch matures while you fill the other",
               "ventilation holes for quick breakdown", "a sliding door for emptying"]),
            P("leaf rake", False, ["Wide Leaf Rake", "Adjustable Lawn Rake"],
              (15, 48), ["garden-tools", "lawn"], ["wide", "adjustable", "sturdy"],
              ["an adjustable head that fans from 20 to 60 cm", "a telescopic aluminium handle",
               "tines that do not snag on turf"]),
            P("push reel lawn mower", False, ["Push Reel Lawn Mower", "Manual Cylinder Mower"],
              (70, 210), ["lawn", "eco"], ["quiet", "manual", "petrol-free"],
              ["five sharp cylinder blades for a clean cut", "height adjustment in four steps",
               "a grass box that clips on and off", "no fuel, no cable and almost no noise"]),
            P("folding bistro set", False, ["Folding Bistro Table and Chairs", "Balcony Bistro Set"],
              (50, 300), ["outdoor-living", "balcony"], ["folding", "weatherproof", "powder-coated"],
              ["two chairs and a round table that fold flat", "a powder-coated steel frame",
               "a parasol hole in the table top"]),
        ]),
    "Home Office": dict(
        tag="home-office",
        brands=["Deskwise", "Northlight", "Workhaven", "Paperkite", "Lumbar Lab", "Quillstone", "Studio Nine"],
        contexts=["working from home", "long days at a laptop", "a tidy and focused desk",
                  "hybrid workers who split the week between home and office", "students with a small desk"],
        uses=["It helps you stay comfortable through long days at the desk.",
              "A practical upgrade for anyone working from home.",
              "It keeps a home workspace tidy and focused.",
              "Video calls look and feel more professional with it."],
        products=[
            P("height-adjustable standing desk", False, ["Electric Standing Desk 120 cm", "Compact Sit-Stand Desk"],
              (180, 650), ["desk", "standing-desk", "ergonomic"], ["electric", "height-adjustable", "sturdy"],
              ["a quiet dual motor", "four memory presets", "a cable tray under the top",
               "a frame that stays steady at standing height"]),
            P("ergonomic office chair", False, ["Ergonomic Mesh Office Chair", "Task Chair with Lumbar Support"],
              (120, 520), ["ergonomic", "chair"], ["breathable", "adjustable", "supportive"],
              ["adjustable lumbar support", "a breathable mesh back", "4D armrests",
               "a seat depth slider for taller people"]),
            P("LED desk lamp", False, ["LED Desk Lamp with USB Charging", "Architect Desk Lamp"],
              (20, 95), ["lighting", "desk"], ["dimmable", "flicker-free", "slim"],
              ["five colour temperatures", "stepless dimming", "a USB port for charging a phone",
               "a flexible arm that reaches across the desk"]),
            P("wireless keyboard and mouse combo", False, ["Wireless Keyboard and Mouse Combo", "Quiet Keyboard and Mouse Set"],
              (25, 110), ["keyboard", "wireless"], ["quiet", "full-size", "low-profile"],
              ["whisper-quiet keys", "a single USB receiver for both devices", "a battery life measured in months",
               "a contoured mouse for right-handers"]),
            P("HD webcam", False, ["1080p Webcam with Ring Light", "Streaming Webcam with Privacy Cover"],
              (30, 140), ["webcam", "video-calls"], ["sharp", "low-light", "clip-on"],
              ["a built-in ring light", "autofocus that keeps you sharp", "a privacy shutter",
               "dual microphones that reduce echo"]),
            P("monitor riser", False, ["Monitor Riser with Drawer", "Bamboo Monitor Stand"],
              (20, 75), ["ergonomic", "desk", "storage"], ["bamboo", "sturdy", "tidy"],
              ["a shallow drawer for pens and cables", "a height that puts the screen at eye level",
               "space underneath for a keyboard"]),
            P("cable management kit", False, ["Cable Management Kit", "Under-Desk Cable Tray Set"],
              (10, 38), ["cable-management", "desk"], ["tidy", "adhesive", "reusable"],
              ["reusable velcro ties", "an under-desk tray for plugs", "adhesive clips for chargers"]),
            P("set of dot-grid notebooks", True, ["Dot-Grid Notebook Set", "A5 Planner Notebook Trio"],
              (8, 28), ["stationery"], ["lay-flat", "thick-paper", "minimal"],
              ["lay-flat binding", "120 gsm paper that resists bleed-through", "numbered pages and an index"]),
        ]),
    "Fitness": dict(
        tag="fitness",
        brands=["Stridewell", "Ironbirch", "Flowform", "Peakpace", "Corecraft", "Motion Theory", "Trailrun"],
        contexts=["home workouts", "getting back into exercise", "runners training for a first 10k",
                  "yoga and stretching", "strength training in a small space"],
        uses=["Useful whether you are starting out or training for an event.",
              "Ideal for short home workouts when the gym is out of reach.",
              "It takes up little space and packs away after each session.",
              "A small investment that makes it easier to keep a routine."],
        products=[
            P("yoga mat", False, ["Non-Slip Yoga Mat 6 mm", "Travel Yoga Mat", "Cork Yoga Mat"],
              (15, 95), ["yoga", "home-gym"], ["non-slip", "cushioned", "foldable"],
              ["a grippy surface that holds in hot classes", "alignment lines printed on top",
               "a carrying strap", "extra cushioning for knees"]),
            P("pair of adjustable dumbbells", True, ["Adjustable Dumbbells, pair", "Quick-Change Dumbbell Set"],
              (80, 420), ["strength", "home-gym"], ["adjustable", "space-saving", "solid"],
              ["a dial that changes the weight in seconds", "a range from 2 to 24 kg per hand",
               "a storage tray for each dumbbell"]),
            P("resistance band set", False, ["Resistance Band Set", "Fabric Booty Bands", "Pull-Up Assist Bands"],
              (10, 42), ["resistance-bands", "strength"], ["portable", "colour-coded", "durable"],
              ["five resistance levels", "door anchors and handles", "a printed exercise guide",
               "a pouch that fits in a suitcase"]),
            P("foam roller", False, ["High-Density Foam Roller", "Textured Massage Roller"],
              (12, 48), ["recovery"], ["textured", "firm", "lightweight"],
              ["a textured surface for deep tissue massage", "a hollow core that stays firm",
               "a size that fits in a gym bag"]),
            P("GPS running watch", False, ["GPS Running Watch", "Multisport Fitness Watch"],
              (120, 460), ["running", "tracking"], ["GPS", "lightweight", "long-lasting"],
              ["accurate GPS pace and distance", "a wrist heart-rate sensor", "training plans on the watch",
               "two weeks of battery in smartwatch mode"]),
            P("weighted skipping rope", False, ["Skipping Rope with Counter", "Speed Jump Rope"],
              (8, 32), ["cardio"], ["speed", "tangle-free", "adjustable"],
              ["ball-bearing handles", "a digital jump counter", "an adjustable cable length"]),
            P("kettlebell", False, ["Cast-Iron Kettlebell 12 kg", "Vinyl Kettlebell 8 kg"],
              (20, 95), ["strength", "home-gym"], ["cast-iron", "compact", "classic"],
              ["a wide handle for two-handed swings", "a flat base that will not roll",
               "a powder-coated grip"]),
        ]),
    "Baby & Kids": dict(
        tag="kids",
        brands=["Little Lark", "Pebble & Pip", "Acornbright", "Tumbleweed Kids", "Moonbeam Nursery", "Kinderkit"],
        contexts=["busy parents", "toddlers who want to do everything themselves", "new parents",
                  "rainy-day play at home", "families on the move"],
        uses=["Designed with busy parents in mind.",
              "A thoughtful gift for new parents and growing families.",
              "Safety-tested and made to survive enthusiastic little hands.",
              "It grows with your child for more than one stage."],
        products=[
            P("set of wooden stacking blocks", True, ["Wooden Stacking Blocks", "Rainbow Block Set"],
              (12, 45), ["toys", "toddler", "educational"], ["wooden", "colourful", "chunky"],
              ["water-based paints", "rounded edges", "letters and animals on the sides", "a cloth storage bag"]),
            P("ergonomic baby carrier", False, ["Ergonomic Baby Carrier", "Newborn Sling Carrier"],
              (40, 170), ["baby", "travel"], ["breathable", "ergonomic", "adjustable"],
              ["four carrying positions", "a hip-healthy seat", "padded shoulder straps", "breathable mesh panels"]),
            P("silicone weaning set", False, ["Silicone Weaning Set", "Suction Plate and Spoon Set"],
              (12, 38), ["feeding", "baby"], ["suction", "dishwasher-safe", "soft"],
              ["a suction base that stays on the high chair", "soft-tip spoons", "a sippy cup with handles"]),
            P("night light with white noise", False, ["Night Light with White Noise", "Sleep Helper Lamp"],
              (20, 65), ["nursery", "baby"], ["soothing", "dimmable", "portable"],
              ["ten soothing sounds", "a warm dimmable glow", "a timer that fades out", "control from a phone"]),
            P("balance bike", False, ["Balance Bike", "Lightweight Balance Bike"],
              (50, 160), ["outdoor-play", "toddler"], ["lightweight", "adjustable", "puncture-proof"],
              ["puncture-proof tyres", "an adjustable seat and handlebar", "a frame under 3 kg"]),
            P("STEM building kit", False, ["STEM Building Kit", "Magnetic Building Tiles", "Junior Robotics Kit"],
              (20, 85), ["educational", "toys"], ["creative", "magnetic", "open-ended"],
              ["over 100 pieces", "an illustrated project book", "parts that click together without tools"]),
            P("foldable travel cot", False, ["Foldable Travel Cot", "Pop-Up Travel Bed"],
              (60, 210), ["travel", "baby"], ["foldable", "compact", "lightweight"],
              ["a one-handed fold", "a padded mattress", "mesh sides for airflow", "a carry bag"]),
        ]),
    "Books": dict(
        tag="books",
        brands=["Larkspur Press", "Ember Books", "Quayside Publishing", "Thistledown", "Oakgall Press", "Paper Lantern"],
        contexts=["quiet evenings", "curious readers", "commuters who read on the train", "long weekends"],
        no_brand_title=True,
        cross={"premium": ["This is the clothbound special edition, with a ribbon marker and sprayed edges.",
                           "A handsome hardback edition that looks good on the shelf."],
               "budget": ["The paperback is priced to pass around to friends.",
                          "A bargain for how much is packed into it."]},
        uses=["A satisfying read for quiet evenings.",
              "Available in paperback with clear, friendly typography.",
              "It also makes a thoughtful gift.",
              "Readers say they keep coming back to it."],
        products=[
            P("vegetarian cookbook", False,
              ["Green Weeknights: Vegetarian Dinners", "The Small-Kitchen Vegetarian", "One-Pot Vegetarian",
               "Beans, Greens and Grains", "Vegan on a Shoestring", "Plant-Based Cooking for One"],
              (10, 30), ["cookbook", "vegetarian"], ["vegetarian", "budget-friendly", "practical"],
              ["120 meat-free recipes that take under 30 minutes", "store-cupboard staples like lentils, beans and tinned tomatoes",
               "a chapter on batch cooking and freezing", "a photograph for every recipe",
               "recipes written for one hob and very little counter space", "vegan swaps on every page"],
              ["Ideal for new vegetarians and anyone cooking on a tight budget."],
              ["anyone learning to cook without meat", "vegetarians cooking in a small kitchen", "cooks on a budget"]),
            P("general cookbook", False, ["Sunday Roasts and Suppers", "The Everyday Baker", "Street Food at Home",
                                          "Fast Family Dinners"],
              (12, 35), ["cookbook", "family"], ["generous", "family-friendly", "illustrated"],
              ["over 150 tested recipes", "weekly meal plans", "a chapter on baking bread",
               "shopping lists for each menu"]),
            P("novel", False, ["The Lighthouse Keeper's Daughter", "A Winter in Lisbon", "The Glass Orchard",
                               "Salt and Silver", "The Last Train North", "Paper Boats"],
              (8, 22), ["fiction", "novel", "book-club"], ["gripping", "moving", "beautifully written"],
              ["a story told across three generations", "a twist that readers rarely see coming",
               "short chapters that make it hard to put down", "a warm, funny narrator"]),
            P("gardening guide", False, ["Grow Your Own in Small Spaces", "The Balcony Gardener", "No-Dig Vegetables"],
              (12, 30), ["gardening", "how-to"], ["practical", "seasonal", "illustrated"],
              ["a month-by-month planting calendar", "advice for pots and tiny plots", "step-by-step photographs"],
              (), ["gardeners planning the year ahead", "first-time growers"]),
            P("self-help book", False, ["Small Habits, Big Weeks", "The Calm Desk", "Saying No Nicely"],
              (10, 24), ["self-help", "productivity"], ["practical", "encouraging", "concise"],
              ["short exercises at the end of each chapter", "real stories from readers",
               "a 30-day plan to build new routines"]),
            P("parenting book", False, ["The First Year, Gently", "Toddler Talk", "Raising Readers"],
              (10, 24), ["parenting", "family"], ["reassuring", "evidence-based", "warm"],
              ["advice from a paediatric nurse", "checklists for sleep and feeding", "humour for the hard days"],
              (), ["new parents short on sleep", "parents of toddlers"]),
            P("history book", False, ["The Silk Roads Retold", "Cities of the Tide", "A Short History of Bread"],
              (12, 32), ["history", "non-fiction"], ["sweeping", "readable", "well-researched"],
              ["maps and timelines", "vivid portraits of ordinary people", "a lively, readable style"]),
            P("personal finance book", False, ["Money Made Simple", "The Renter's Guide to Saving", "Budgeting Without Tears"],
              (10, 26), ["business", "finance"], ["plain-spoken", "practical", "reassuring"],
              ["simple budgeting templates", "a jargon-free guide to pensions", "worked examples for renters"],
              (), ["renters trying to save", "anyone starting to budget"]),
        ]),
    "Pantry & Groceries": dict(
        tag="pantry",
        brands=["Good Grain", "Spicebox", "Harvest Row", "Field & Mill", "Little Pantry", "Orchard Lane"],
        contexts=["a well-stocked store cupboard", "everyday cooking", "busy households"],
        uses=["A cupboard staple worth keeping in stock.",
              "Delivered in recyclable packaging.",
              "Stock up once and it will last for weeks."],
        cross={"premium": ["Small-batch production and carefully sourced ingredients justify the price.",
                           "A treat-yourself product made from top-quality ingredients."],
               "budget": ["Cheap enough to buy in bulk without thinking twice.",
                          "Very good value per portion."]},
        products=[
            P("spice starter set", False, ["Spice Starter Set, 12 jars", "World Spice Collection", "Curry Spice Kit"],
              (12, 48), ["spices", "vegetarian"], ["aromatic", "refillable", "starter"],
              ["cumin, smoked paprika, turmeric, garam masala and more", "refillable glass jars",
               "a magnetic rack for the fridge door", "recipe cards for each blend"],
              ["It turns a few cheap ingredients into a proper vegetarian dinner.", "Suitable for vegetarians and vegans."],
              ["quick vegetarian meals", "plant-based cooking", "cooking on a budget"]),
            P("bag of red lentils", False, ["Red Lentils, 2 kg", "Organic Green Lentils, 1 kg"],
              (3, 12), ["vegan", "vegetarian", "bulk"], ["protein-rich", "quick-cooking", "economical"],
              ["a cooking time of about 15 minutes", "plenty of protein and fibre", "a resealable bag"],
              ["It turns a few cheap ingredients into a proper vegetarian dinner.", "Suitable for vegetarians and vegans."],
              ["quick vegetarian meals", "plant-based cooking", "cooking on a budget"]),
            P("pack of chickpeas", False, ["Organic Chickpeas, 6 cans", "Dried Chickpeas, 1 kg"],
              (4, 14), ["vegan", "vegetarian", "organic"], ["organic", "versatile", "economical"],
              ["beans ready for curries, stews and hummus", "no added salt", "recyclable packaging"],
              ["It turns a few cheap ingredients into a proper vegetarian dinner.", "Suitable for vegetarians and vegans."],
              ["quick vegetarian meals", "plant-based cooking", "cooking on a budget"]),
            P("plant-based protein powder", False, ["Plant-Based Protein Powder, Vanilla", "Pea Protein Powder"],
              (15, 48), ["vegan", "protein"], ["plant-based", "smooth", "unsweetened"],
              ["22 g of protein per serving", "no artificial sweeteners", "a smooth texture in oat milk"],
              (), ["post-workout shakes", "vegans who train"]),
            P("bag of whole-bean coffee", False, ["Whole-Bean Coffee, 1 kg", "Single-Origin Espresso Beans"],
              (12, 42), ["coffee-tea"], ["freshly roasted", "smooth", "fair-trade"],
              ["a medium roast with chocolate notes", "a one-way valve bag", "fair-trade farm partners"],
              (), ["the first coffee of the day", "home espresso fans"]),
            P("gluten-free granola", False, ["Gluten-Free Oat Granola", "Nut Butter Granola Clusters"],
              (4, 12), ["gluten-free", "snacks", "vegetarian"], ["crunchy", "lightly sweetened", "gluten-free"],
              ["certified gluten-free oats", "crunchy clusters with seeds", "no palm oil"],
              (), ["breakfast on the go", "coeliac-friendly breakfasts"]),
            P("pack of vegan stock cubes", False, ["Vegan Stock Cubes, 24 pack", "Vegetable Bouillon Powder"],
              (2, 8), ["vegan", "vegetarian"], ["savoury", "low-salt", "handy"],
              ["a rich vegetable flavour", "reduced salt", "no yeast extract"],
              ["It turns a few cheap ingredients into a proper vegetarian dinner.", "Suitable for vegetarians and vegans."],
              ["quick vegetarian meals", "plant-based cooking", "cooking on a budget"]),
            P("mixed nuts and seeds pack", False, ["Mixed Nuts and Seeds", "Trail Mix Snack Packs"],
              (6, 22), ["snacks", "vegan"], ["roasted", "unsalted", "portioned"],
              ["lightly roasted almonds, cashews and pumpkin seeds", "single-portion packs", "no added salt"],
              (), ["healthy snacking", "lunchboxes and hikes"]),
            P("loose-leaf tea sampler", False, ["Loose-Leaf Tea Sampler", "Herbal Tea Collection"],
              (10, 36), ["coffee-tea"], ["fragrant", "whole-leaf", "calming"],
              ["eight whole-leaf blends", "a reusable steel infuser", "brewing notes for each tea"],
              (), ["slow afternoons", "tea lovers"]),
            P("dried pasta variety pack", False, ["Dried Pasta Variety Pack", "Wholewheat Pasta, 6 x 500 g"],
              (5, 16), ["bulk", "vegetarian", "vegan"], ["bronze-cut", "wholewheat", "economical"],
              ["bronze-cut shapes that hold sauce", "six classic shapes", "durum wheat from a single mill"],
              ["It turns a few cheap ingredients into a proper vegetarian dinner.", "Suitable for vegetarians and vegans."],
              ["quick vegetarian meals", "plant-based cooking", "cooking on a budget"]),
        ]),
    "Small Appliances": dict(
        tag="appliances",
        brands=["Voltaro", "Brightbench", "Kettleworks", "Homewatt", "Crisp & Co", "Daybreak Electric"],
        contexts=["busy mornings", "small worktops", "quick weeknight meals", "energy-conscious cooking",
                  "people who cook for one or two"],
        uses=["It saves time on busy mornings and weeknights.",
              "Simple controls mean you rarely need the manual after the first use.",
              "Removable parts go straight into the dishwasher.",
              "It fits on a small worktop without hogging space."],
        products=[
            P("compact air fryer", False, ["Compact Air Fryer 3.5 L", "Dual-Basket Air Fryer", "Digital Air Fryer 5 L"],
              (40, 170), ["air-fryer", "energy-saving"], ["compact", "digital", "quick"],
              ["crisp results with a spoonful of oil", "eight cooking presets", "a nonstick basket",
               "much lower energy use than a full oven"]),
            P("personal blender", False, ["Personal Blender with Travel Cups", "High-Speed Smoothie Blender"],
              (20, 90), ["blender", "compact"], ["powerful", "compact", "portable"],
              ["two travel cups with lids", "blades that crush ice", "a single-button control"]),
            P("electric kettle", False, ["Rapid-Boil Electric Kettle", "Variable-Temperature Kettle"],
              (20, 95), ["kettle", "energy-saving"], ["fast-boiling", "quiet", "stainless"],
              ["a one-cup minimum fill line", "variable temperatures for green tea", "a keep-warm setting"]),
            P("rice cooker", False, ["Mini Rice Cooker", "Fuzzy-Logic Rice Cooker"],
              (25, 130), ["rice-cooker", "compact"], ["one-touch", "compact", "versatile"],
              ["a keep-warm mode", "a steaming basket for vegetables", "a nonstick inner bowl"]),
            P("electric multicooker", False, ["Electric Multicooker 6 L", "Pressure Cooker and Slow Cooker"],
              (60, 210), ["multicooker"], ["versatile", "programmable", "time-saving"],
              ["pressure, slow-cook and sauté modes", "a delay timer", "a stainless inner pot"]),
            P("espresso machine", False, ["Compact Espresso Machine", "Bean-to-Cup Coffee Machine"],
              (90, 460), ["coffee"], ["compact", "barista-style", "fast-heating"],
              ["a steam wand for milk", "a 15-bar pump", "a heat-up time under a minute"]),
            P("two-slice toaster", False, ["Two-Slice Toaster", "Long-Slot Toaster"],
              (20, 85), ["compact"], ["retro", "wide-slot", "compact"],
              ["wide slots for bagels", "a reheat and defrost button", "a pull-out crumb tray"]),
            P("hand blender", False, ["Stick Hand Blender Set", "Immersion Blender with Whisk"],
              (20, 75), ["blender", "compact"], ["handy", "powerful", "easy-clean"],
              ["a whisk and chopper attachment", "a splash guard", "variable speeds"]),
        ]),
    "Furniture for Small Spaces": dict(
        tag="furniture",
        brands=["Nookwood", "Smallroom", "Loftline", "Tidyhome", "Hinge & Fold", "Cornerstone Living"],
        contexts=["studio flats", "small rental apartments", "a first home with little storage",
                  "tiny kitchens", "people who move often"],
        uses=["A clever fix for studio flats and small rental apartments.",
              "It assembles in under 30 minutes with the included tools.",
              "It makes a small room feel calmer and less cluttered.",
              "No drilling needed, which landlords will appreciate."],
        products=[
            P("drop-leaf dining table", False, ["Folding Drop-Leaf Dining Table", "Wall-Mounted Fold-Down Table"],
              (80, 270), ["small-space", "foldable"], ["folding", "space-saving", "solid oak"],
              ["leaves that fold down to a 30 cm console", "seating for four when open", "a hidden storage shelf"]),
            P("over-the-door storage rack", False, ["Over-the-Door Storage Rack", "Door-Hanging Pantry Organiser"],
              (15, 48), ["storage", "small-space"], ["slim", "no-drill", "adjustable"],
              ["six adjustable baskets", "hooks that fit most doors", "a slim profile that lets the door close"]),
            P("set of under-bed storage boxes", True, ["Under-Bed Storage Boxes, set of 4", "Rolling Under-Bed Drawers"],
              (15, 55), ["storage", "small-space"], ["low-profile", "zip-top", "stackable"],
              ["see-through lids", "zip tops that keep out dust", "rolling castors"]),
            P("set of floating shelves", True, ["Floating Wall Shelves, set of 3", "Corner Floating Shelves"],
              (20, 85), ["shelving", "wall-mounted"], ["minimal", "oak-effect", "wall-mounted"],
              ["hidden brackets", "a load of 15 kg per shelf", "a fixings kit"]),
            P("slim kitchen trolley", False, ["Slim Kitchen Trolley on Wheels", "Three-Tier Rolling Cart"],
              (25, 95), ["storage", "small-space", "kitchen-storage"], ["slim", "rolling", "three-tier"],
              ["a 15 cm width that slides between fridge and wall", "three mesh tiers", "locking wheels"],
              ["It turns a dead gap in a tiny kitchen into pantry space."]),
            P("magnetic knife and spice rack", False, ["Magnetic Knife Strip", "Wall Spice Rack with Jars"],
              (12, 38), ["kitchen-storage", "wall-mounted"], ["magnetic", "space-saving", "neat"],
              ["a strong magnet that holds heavy knives", "screws and adhesive options", "a walnut finish"]),
            P("set of stackable dining chairs", True, ["Stackable Dining Chairs, set of 2", "Folding Wooden Chairs"],
              (60, 210), ["foldable", "small-space"], ["stackable", "lightweight", "sturdy"],
              ["chairs that stack four high", "a beech frame", "felt pads to protect floors"]),
            P("sofa bed", False, ["Compact Sofa Bed", "Click-Clack Sofa Bed"],
              (250, 820), ["small-space", "foldable"], ["two-in-one", "compact", "comfortable"],
              ["a click-clack mechanism", "a storage box under the seat", "a washable cover"]),
        ]),
}

ECOM_OPENERS = [
    "{The_title} is {a_adj} {adj} {noun} for {context}.",
    "{A_adj} {adj} {noun} from {brand}, made for {context}.",
    "Looking for {a_adj} {adj} {noun}? This one from {brand} is made for {context}.",
    "{brand}'s {adj} {noun} is designed with {context} in mind.",
    "Meet {the_title}: {a_adj} {adj} {noun} that suits {context}.",
]
ECOM_FEATURES = [
    "Highlights include {f1} and {f2}.",
    "{It} {has} {f1}, plus {f2}.",
    "Expect {f1}, {f2} and {f3}.",
    "What stands out is {f1}; there is also {f2}.",
    "You get {f1} as well as {f2}.",
    "{It} {comes} with {f1}. Reviewers also mention {f2}.",
]


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


def ecom_item(rng: np.random.Generator, category: str, serial: int) -> dict:
    spec = ECOM[category]
    prod = pick(rng, spec["products"])
    brand = pick(rng, spec["brands"])
    title = pick(rng, prod["titles"]) if spec.get("no_brand_title") else f"{brand} {pick(rng, prod['titles'])}"
    band = int(rng.choice(3, p=[0.38, 0.37, 0.25]))
    price = _price_for_band(rng, *prod["price"], band)
    core, more = prod["tags"][:2], prod["tags"][2:]  # the first two product tags always apply
    tags = list(dict.fromkeys([spec["tag"]] + core + sample(rng, more, int(rng.integers(0, len(more) + 1)))))
    tags += _cross_tags(rng, band)
    if len(tags) < 3:
        tags += [t for t in prod["tags"] if t not in tags][: 3 - len(tags)]
    if len(tags) < 3:
        tags.append("gift-idea")
    tags = tags[:6]
    plural = prod["plural"]
    for _ in range(40):
        adj = pick(rng, prod["adjs"])
        noun = prod["noun"]
        if noun.split()[0] == adj or adj in noun:
            adj = ""
        the = "" if spec.get("no_brand_title") else "the "
        slots = dict(title=title, brand=brand, The_title=cap(the + title), the_title=the + title, noun=noun, adj=adj, context=pick(rng, prod["ctx"] or spec["contexts"]),
                     It="They" if plural else "It", has="have" if plural else "has",
                     comes="come" if plural else "comes")
        first = adj or noun
        slots["a_adj"] = article(first)
        slots["A_adj"] = cap(article(first))
        feats = sample(rng, prod["feats"], 3)
        slots.update(f1=feats[0], f2=feats[1], f3=feats[2] if len(feats) > 2 else feats[0])
        parts = [fill(pick(rng, ECOM_OPENERS), slots), fill(pick(rng, ECOM_FEATURES), slots)]
        extra = []
        if prod["uses"] and rng.random() < 0.6:
            extra.append(pick(rng, prod["uses"]))
        if rng.random() < 0.7:
            extra.append(pick(rng, spec["uses"]))
        cross = [t for t in tags if t in CROSS_TAG_LINES]
        if cross and rng.random() < 0.75:
            t = pick(rng, cross)
            extra.append(pick(rng, spec.get("cross", {}).get(t) or CROSS_TAG_LINES[t]))
        rng.shuffle(extra)
        text = tidy(" ".join(parts + extra[:2]))
        if 30 <= words_of(text) <= 70 and 2 <= len(sentences_of(text)) <= 4:
            break
    text = cap(text)
    return dict(title=title, description=text, tags=tags, price=price, band=band)


# ----------------------------------------------------------------------------------------------------------
# Users: identity phrases (age/gender words appear naturally in some descriptions)
# ----------------------------------------------------------------------------------------------------------
JOBS_YOUNG = ["student", "barista", "junior designer", "apprentice electrician", "trainee nurse", "graduate engineer"]
JOBS_MID = ["nurse", "teacher", "software developer", "accountant", "electrician", "project manager", "chef",
            "civil servant", "graphic designer", "paramedic", "shop manager", "lab technician", "lawyer"]
JOBS_OLD = ["teacher", "librarian", "engineer", "nurse", "bus driver", "bookkeeper", "architect", "GP"]


def decade_words(age: int) -> str:
    tens = {1: "teens", 2: "twenties", 3: "thirties", 4: "forties", 5: "fifties", 6: "sixties", 7: "seventies"}
    part = "early" if age % 10 <= 3 else ("mid" if age % 10 <= 6 else "late")
    return f"{part} {tens[age // 10]}" if age >= 20 else "late teens"


def identity_sentence(rng: np.random.Generator, age: int, gender: str) -> str:
    dec = decade_words(age)
    noun = {"female": ["woman", "mum"], "male": ["man", "dad"], "nonbinary": ["person"]}[gender]
    if age >= 65:
        job = pick(rng, JOBS_OLD)
        options = [f"I'm a retired {job} in my {dec.split()[-1]}.", f"Retired {job} here, {age} years young.",
                   f"I'm {age} and recently retired."]
        if gender == "female":
            options += [f"I'm a grandmother in my {dec.split()[-1]}.", f"Grandma of three, retired and busy."]
        elif gender == "male":
            options += [f"I'm a grandfather in my {dec.split()[-1]}.", f"Retired grandad, {age}, with time on my hands."]
        else:
            options += [f"I'm a nonbinary retiree in my {dec.split()[-1]}."]
        return pick(rng, options)
    job = pick(rng, JOBS_YOUNG if age < 26 else JOBS_MID)
    if job == "student":
        job = pick(rng, ["nursing student", "history student", "engineering student", "art student"])
    options = [f"I'm {article(job)} {job} in my {dec}.", f"I'm {age} and work as {article(job)} {job}."]
    if "student" in job:
        options = [f"I'm {article(job)} {job}, {age}.", f"I'm {article(job)} {job} in my {dec}."]
    if age < 24:
        options += [f"I'm a {age}-year-old student.", "Uni student, living on a tight schedule."]
    if gender == "female":
        options += [f"I'm a {age}-year-old woman, {job} by day.", f"Woman in my {dec}, {job} by day."]
        if 27 <= age <= 50:
            options += [f"Mum of two in my {dec}.", "Working mum with a toddler at home."]
    elif gender == "male":
        options += [f"I'm a {age}-year-old guy, {job} by day.", f"Man in my {dec}, {job} by day."]
        if 27 <= age <= 50:
            options += [f"Dad of two in my {dec}.", "Busy dad with a toddler at home."]
    else:
        options += [f"I'm nonbinary, {age}, and work as {article(job)} {job}.",
                    f"Nonbinary {job} (they/them) in my {dec}."]
    return pick(rng, options)


INTEREST_TEMPLATES = [
    "I'm mostly into {a}{and_b}.",
    "My main interests are {all}.",
    "Lately I've been focused on {all}.",
    "These days it's all about {all} for me.",
    "Big on {all}.",
    "I'm really into {all}.",
]
ALSO_TEMPLATES = ["I'm also into {x}.", "Also {x}.", "Beyond that, {x}.", "Plus {x} now and then."]
TAG_TEMPLATES = [
    "Keywords that get my attention: {t}.",
    "I'm drawn to {t} in particular.",
    "Bonus points for {t}.",
    "I'll always click on {t}.",
]
AVOID_TEMPLATES = ["Not interested in {x}.", "Please, no {x}.", "I can skip {x} entirely.", "{X} does nothing for me."]
CROSS_USER = {
    "eco": ["I try to choose sustainable, low-waste options.", "Sustainability matters to me.",
            "I care about the environmental footprint of what I pick."],
    "beginner": ["I'm new to most of this, so beginner-friendly is good.", "Keep it simple, I'm just starting out."],
}


SITUATIONS = {
    "ecommerce": {
        "Kitchen & Cooking": ["I cook most evenings and my pans are falling apart.", "I'm finally learning to cook properly.",
                              "Sunday is batch-cooking day in our house.", "My kitchen is tiny but I cook every day."],
        "Headphones & Audio": ["I listen to music all day at work.", "My commute is long and noisy.",
                               "I record a podcast in my spare room.", "I fly a lot for work and need some peace."],
        "Garden & Outdoor": ["I've just taken on an allotment.", "Our garden is overgrown and I want to sort it out.",
                             "I grow tomatoes and herbs on my balcony.", "I spend every weekend in the garden."],
        "Home Office": ["I work from home four days a week.", "My back aches after a day at my desk.",
                        "I've just set up a home office in the spare room.", "I'm on video calls all day."],
        "Fitness": ["I'm training for my first 10k.", "I want to get fit without paying for a gym.",
                    "I do yoga most mornings.", "I've started lifting weights at home."],
        "Baby & Kids": ["We have a baby on the way.", "My toddler has endless energy.",
                        "I'm always looking for presents for my nieces and nephews.", "I'm a new parent and very tired."],
        "Books": ["I read every night before bed.", "I'm in two book clubs.", "I get through a novel a week on the train."],
        "Pantry & Groceries": ["I keep a well-stocked cupboard.", "I'm trying to eat more plant-based meals.",
                               "Good coffee gets me through the morning.", "I do a big grocery order once a month."],
        "Small Appliances": ["I want gadgets that save time in the kitchen.", "I'm thinking about getting an air fryer.",
                             "My kettle and toaster both just died."],
        "Furniture for Small Spaces": ["I live in a studio flat with no storage.", "I rent a tiny flat and can't drill the walls.",
                                       "Our place is small and cluttered.", "I've just moved into my first flat."],
    },
    "news": {
        "World": ["I like to know what's going on around the world.", "I have family abroad and follow foreign news."],
        "Politics": ["I follow every twist in parliament.", "I'm a local councillor, so politics is part of the job."],
        "Business": ["I work in finance and check the markets every morning.", "I run a small business and watch the economy."],
        "Technology": ["I work in tech and like to keep up.", "I'm curious about AI and what it will change."],
        "Science": ["Science stories are the first thing I read.", "I love a good discovery story."],
        "Health": ["I work in healthcare.", "I try to keep up with health research."],
        "Sports": ["I never miss a match report.", "Weekends are for sport in our house."],
        "Culture": ["I go to a lot of gigs, films and exhibitions.", "I read reviews before I pick a film or a book."],
        "Climate": ["I worry about climate change and want to know what's being done.", "I volunteer with a local nature group."],
    },
    "video": {
        "Drama": ["I like slow, emotional stories.", "I love a good period drama on a Sunday night."],
        "Comedy": ["After work I just want something funny.", "I rewatch the same sitcoms over and over."],
        "Thriller": ["I love being kept on the edge of my seat.", "I always try to guess the twist."],
        "Science Fiction": ["I grew up on space operas.", "Stories about AI and the future fascinate me."],
        "Documentary": ["I prefer real stories to made-up ones.", "Nature documentaries calm me down."],
        "Animation & Family": ["Friday is movie night with the kids.", "I need things my children can watch too."],
        "Horror": ["I love a good scare.", "Halloween is my favourite time of year."],
        "Romance": ["I'm a sucker for a love story.", "I want something cosy and romantic."],
        "Crime": ["I binge detective series.", "I love a proper whodunnit."],
    },
    "music": {
        "Rock": ["I grew up playing guitar in a band.", "I like my music loud."],
        "Pop": ["I sing along to everything in the car.", "I love a catchy chorus."],
        "Hip-Hop": ["I listen to rap for the lyrics.", "I need beats for the gym."],
        "Electronic": ["I go clubbing most weekends.", "I like long, hypnotic electronic sets."],
        "Jazz": ["I collect jazz records.", "I play piano in a small jazz group."],
        "Classical": ["I go to concerts at the symphony hall.", "I put on classical music to unwind."],
        "Folk & Acoustic": ["I love songs that tell a story.", "I play acoustic guitar myself."],
        "R&B & Soul": ["I love smooth vocals and a good groove.", "Old soul records remind me of my parents."],
        "Ambient & Chill": ["I need calm music to focus.", "I listen to quiet music to fall asleep."],
    },
    "social": {
        "Tech & Programming": ["I'm learning to code.", "I work as a developer and like learning from others."],
        "Food & Cooking": ["I cook a lot and love new recipes.", "I'm trying to cook more at home."],
        "Fitness & Running": ["I've just started running.", "I'm trying to be more active."],
        "Travel & Photography": ["I travel whenever I can.", "I take my camera everywhere."],
        "Parenting & Family": ["I'm a new parent looking for support.", "Our kids keep us busy every weekend."],
        "Gaming": ["I play games most evenings.", "I host a board game night every week."],
        "Climate & Environment": ["I'm trying to live more sustainably.", "I care a lot about nature and the climate."],
        "Books & Writing": ["I read a lot and I'm writing my first novel.", "I love finding new books to read."],
        "Personal Finance": ["I'm trying to save more money.", "I've just started investing."],
    },
}


def describe_user(rng: np.random.Generator, dom: Domain, prefs: UserPrefs, age: int, gender: str) -> str:
    """Write a 1-3 sentence self description from hidden preferences (partial and paraphrased)."""
    phrases = [pick(rng, dom.interests[c]) for c in prefs.fav_categories]
    slots = dict(a=phrases[0], A=cap(phrases[0]), all=join_and(phrases),
                 and_b=(" and " + join_and(phrases[1:])) if len(phrases) > 1 else "",
                 side_b=(", with a bit of " + join_and(phrases[1:]) + " on the side") if len(phrases) > 1 else "")
    interest = fill(pick(rng, dom.tag_sentence_templates or INTEREST_TEMPLATES), slots)
    situation = SITUATIONS.get(dom.name, {}).get(prefs.fav_categories[0])
    if situation and rng.random() < 0.45:
        if len(phrases) > 1 and rng.random() < 0.6:
            interest = pick(rng, situation) + " " + fill(pick(rng, ALSO_TEMPLATES), dict(x=join_and(phrases[1:])))
        else:
            interest = pick(rng, situation)
    optional = []
    plain = [t for t in sorted(prefs.liked_tags) if t not in CROSS_TAGS]
    if plain and rng.random() < 0.7:
        shown = sample(rng, plain, min(len(plain), int(rng.integers(1, 3))))
        words = [dom.tag_words.get(t, t.replace("-", " ")) for t in shown]
        optional.append(fill(pick(rng, TAG_TEMPLATES), dict(t=" or ".join(words))))
    for t in ("eco", "beginner"):
        if t in prefs.liked_tags and rng.random() < 0.7:
            optional.append(pick(rng, CROSS_USER[t]))
    if prefs.avoid_category and rng.random() < 0.75:
        x = pick(rng, dom.avoid_phrases[prefs.avoid_category])
        optional.append(fill(pick(rng, AVOID_TEMPLATES), dict(x=x, X=cap(x))))
    if prefs.price_band is not None and dom.price_phrases.get(prefs.price_band) and rng.random() < 0.6:
        optional.append(pick(rng, dom.price_phrases[prefs.price_band]))
    sign = (prefs.recency > 0.05) - (prefs.recency < -0.05)
    if dom.recency_phrases.get(sign) and rng.random() < 0.55:
        optional.append(pick(rng, dom.recency_phrases[sign]))
    rng.shuffle(optional)
    parts = [interest]
    if rng.random() < 0.5:
        parts.insert(0, identity_sentence(rng, age, gender))
    parts += optional
    sentences = [x for part in parts for x in sentences_of(cap(part))]
    return tidy(" ".join(sentences[:3]))


# ----------------------------------------------------------------------------------------------------------
# Generation
# ----------------------------------------------------------------------------------------------------------
def _release_age(rng: np.random.Generator, dom: Domain) -> int:
    if dom.name == "news":
        return int(min(dom.max_age_days, 1 + rng.exponential(14.0)))
    return int(rng.integers(5, dom.max_age_days + 1))


def generate_items(rng: np.random.Generator, dom: Domain) -> tuple[pd.DataFrame, list[ItemAttrs]]:
    cats = np.array([dom.categories[i % len(dom.categories)] for i in range(N_ITEMS)])
    cats = cats[rng.permutation(N_ITEMS)]
    rows, attrs, seen = [], [], set()
    for i, cat in enumerate(cats):
        for attempt in range(60):
            it = dom.make_item(rng, str(cat), i)
            if it["title"] not in seen and it["description"] not in seen:
                break
        if it["title"] in seen:  # give up on novelty: still keep titles unique
            it["title"] = f"{it['title']} ({i + 1})"
        seen.update([it["title"], it["description"]])
        age = _release_age(rng, dom)
        released = REF_DATE - timedelta(days=age)
        quality = float(rng.standard_normal())
        rows.append(dict(item_id=f"{PREFIX[dom.name]}-{i + 1:04d}", title=it["title"], description=it["description"],
                         category=str(cat), tags=";".join(it["tags"]),
                         price=it.get("price") if dom.has_price else None, released=released.isoformat()))
        attrs.append(ItemAttrs(category=str(cat), tags=frozenset(it["tags"]),
                               price_band=it.get("band") if dom.has_price else None, age_days=age, quality=quality))
    df = pd.DataFrame(rows, columns=["item_id", "title", "description", "category", "tags", "price", "released"])
    return df, attrs


def generate_users(rng: np.random.Generator, dom: Domain, attrs: list[ItemAttrs]
                   ) -> tuple[pd.DataFrame, list[UserPrefs]]:
    tag_counts: dict[str, dict[str, int]] = {c: {} for c in dom.categories}
    for a in attrs:
        for t in a.tags:
            if t not in CROSS_TAGS:
                tag_counts[a.category][t] = tag_counts[a.category].get(t, 0) + 1
    # the tag every item of a category carries says nothing beyond the category: leave it out of liked tags
    n_cat = {c: sum(a.category == c for a in attrs) for c in dom.categories}
    all_tags = set().union(*(a.tags for a in attrs))
    rows, prefs = [], []
    rec_vals, rec_p = dom.recency_choices
    for u in range(N_USERS):
        age = int(np.clip(rng.normal(40, 14), 18, 75))
        gender = str(rng.choice(["female", "male", "nonbinary"], p=[0.48, 0.47, 0.05]))
        locale = str(rng.choice(LOCALES, p=LOCALE_P))
        k = int(rng.choice([1, 2, 3], p=[0.3, 0.45, 0.25]))
        w = np.array([dom.category_weight(c, age, gender) if dom.category_weight else 1.0
                      for c in dom.categories], dtype=float)
        favs = tuple(str(c) for c in rng.choice(dom.categories, size=k, replace=False, p=w / w.sum()))
        avoid = None
        if rng.random() < 0.4:
            rest = [c for c in dom.categories if c not in favs]
            avoid = pick(rng, rest)
        pool = {}
        for c in favs:
            for t, n in tag_counts[c].items():
                if n < 0.9 * n_cat[c]:
                    pool[t] = pool.get(t, 0) + n
        names = sorted(pool)
        pw = np.array([pool[t] for t in names], dtype=float)
        liked = set(str(t) for t in rng.choice(names, size=min(len(names), int(rng.integers(2, 4))),
                                               replace=False, p=pw / pw.sum())) if names else set()
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
        recency = float(rng.choice(rec_vals, p=rec_p))
        p = UserPrefs(fav_categories=favs, liked_tags=frozenset(liked), price_band=band, recency=recency,
                      avoid_category=avoid)
        rows.append(dict(user_id=f"{PREFIX[dom.name]}-u{u + 1:04d}", description=describe_user(rng, dom, p, age, gender),
                         age=age, gender=gender, locale=locale, segment=segment))
        prefs.append(p)
    return pd.DataFrame(rows, columns=["user_id", "description", "age", "gender", "locale", "segment"]), prefs


def generate_interactions(rng: np.random.Generator, dom: Domain, items: pd.DataFrame, attrs: list[ItemAttrs],
                          users: pd.DataFrame, prefs: list[UserPrefs]) -> pd.DataFrame:
    quality = np.array([a.quality for a in attrs])
    exposure = np.exp(EXPOSURE_SKEW * quality)
    cats = np.array([a.category for a in attrs])
    release_ts = np.array([REF_TS - a.age_days * 86400 for a in attrs])
    news = dom.name == "news"
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
        span = 60 * 86400 if news else 400 * 86400
        t = REF_TS - int(rng.uniform(0.3, 1.0) * span)
        gap_scale = 4 * 3600 if news else 5 * 86400
        for r in chosen:
            t = max(t + int(rng.exponential(gap_scale)) + 60, int(release_ts[r]) + int(rng.integers(600, 3 * 86400)))
            logit = positive_logit(p, attrs[r], dom.max_age_days, dom.weights) + rng.normal(0, dom.weights.noise)
            rating = int(rng.random() < 1 / (1 + math.exp(-logit)))
            rows.append((uid, items["item_id"].iat[r], rating, t))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"])


def resolve_personas(dom: Domain, items: pd.DataFrame) -> list[dict]:
    """Personas name their liked/disliked items by (category, tag, title words); pick the first match by id."""
    out = []
    for spec in dom.personas:
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
    dom = DOMAIN_BUILDERS[name]()
    rng = np.random.default_rng([SEED, DOMAINS.index(name)])
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


def ecommerce_domain() -> Domain:
    interests = {
        "Kitchen & Cooking": ["home cooking", "good pans and sharp knives", "cooking from scratch",
                              "kitting out my kitchen", "batch cooking for the week"],
        "Headphones & Audio": ["good headphones", "music on my commute", "decent sound for my flat",
                               "audio gear", "podcasts and audiobooks on the go"],
        "Garden & Outdoor": ["gardening", "my allotment", "growing vegetables", "pottering about in the garden",
                             "keeping my balcony green"],
        "Home Office": ["my home office setup", "working from home comfortably", "a tidy desk",
                        "ergonomic kit for long workdays"],
        "Fitness": ["keeping fit at home", "running", "yoga and stretching", "strength training",
                    "getting back in shape"],
        "Baby & Kids": ["stuff for my little one", "toys that keep toddlers busy", "baby gear",
                        "things for the kids"],
        "Books": ["a good book", "reading before bed", "novels and cookbooks", "books I can learn from"],
        "Pantry & Groceries": ["stocking the pantry", "plant-based food", "good coffee and tea",
                               "healthy snacks", "store-cupboard staples"],
        "Small Appliances": ["handy kitchen appliances", "gadgets that save time in the kitchen",
                             "my air fryer", "a decent coffee machine"],
        "Furniture for Small Spaces": ["making the most of a small flat", "clever storage", "compact furniture",
                                       "decluttering my place"],
    }
    avoid = {
        "Kitchen & Cooking": ["kitchen gadgets", "cookware"], "Headphones & Audio": ["audio gear", "headphones"],
        "Garden & Outdoor": ["garden tools", "gardening stuff"], "Home Office": ["office furniture", "desk gear"],
        "Fitness": ["gym equipment", "fitness gadgets"], "Baby & Kids": ["baby stuff", "kids' toys"],
        "Books": ["books", "reading material"], "Pantry & Groceries": ["food and groceries", "snacks"],
        "Small Appliances": ["more appliances", "kitchen electricals"],
        "Furniture for Small Spaces": ["furniture", "storage boxes"],
    }
    tag_words = {"noise-cancelling": "noise-cancelling", "cast-iron": "cast iron", "meal-prep": "meal prep",
                 "dishwasher-safe": "dishwasher-safe", "garden-tools": "proper garden tools",
                 "standing-desk": "standing-desk", "home-gym": "home gym", "coffee-tea": "coffee or tea",
                 "small-space": "space-saving", "kitchen-storage": "kitchen storage", "gluten-free": "gluten-free",
                 "non-fiction": "non-fiction", "gift-idea": "gift ideas", "how-to": "how-to guides",
                 "book-club": "book-club picks", "hi-fi": "hi-fi"}
    price = {0: ["I'm on a tight budget, so price matters.", "Money is tight, so I compare prices a lot.",
                 "Budget-minded: cheap and cheerful is fine by me."],
             1: ["Happy to pay a fair price for something decent.", "I don't need the fanciest version of anything."],
             2: ["I'd rather pay more for quality that lasts.", "I'm happy to splurge on well-made things.",
                 "Quality over price, always."]}
    recency = {1: ["I like to have the latest models.", "New releases get my attention first."],
               -1: ["I prefer tried-and-tested classics over the newest thing."]}
    personas = [
        dict(name="Small-flat vegetarian cook",
             description="I just moved to a small flat and cook a lot, vegetarian, budget-minded",
             liked=[("Books", "vegetarian"), ("Pantry & Groceries", "spices")],
             disliked=[("Furniture for Small Spaces", None, "sofa bed")]),
        dict(name="Commuter who wants quiet",
             description="I commute by train for two hours a day and want to block out the noise. Wireless is a must.",
             liked=[("Headphones & Audio", "noise-cancelling")], disliked=[]),
        dict(name="Retired gardener",
             description="I'm a retired teacher in my sixties and spend most mornings in my vegetable garden.",
             liked=[("Garden & Outdoor", "pruning"), ("Books", "gardening")], disliked=[]),
        dict(name="New dad",
             description="New dad in my thirties, sleep-deprived and looking for things that make life with a baby easier.",
             liked=[("Baby & Kids", "baby")], disliked=[("Fitness", "strength")]),
        dict(name="Remote worker with back pain",
             description="I work from home full time and my back hurts by Friday. I want an ergonomic setup.",
             liked=[("Home Office", "ergonomic")], disliked=[]),
        dict(name="Young woman getting fit",
             description="I'm a 24-year-old woman starting to work out at home, mostly yoga and some running.",
             liked=[("Fitness", "yoga")], disliked=[]),
        dict(name="Premium coffee lover",
             description="Coffee is my ritual. I'm happy to pay more for a proper espresso setup and great beans.",
             liked=[("Small Appliances", "coffee"), ("Pantry & Groceries", "coffee-tea")], disliked=[]),
        dict(name="Grandmother buying gifts",
             description="I'm a grandmother looking for thoughtful presents for my grandchildren, aged two and six.",
             liked=[("Baby & Kids", "educational")], disliked=[("Headphones & Audio", "speaker")]),
        dict(name="Cold start, no history", description="Something useful for the home.", liked=[], disliked=[]),
    ]

    def weight(cat: str, age: int, gender: str) -> float:
        if cat == "Baby & Kids":
            return 3.0 if 26 <= age <= 45 else 0.5
        if cat == "Garden & Outdoor":
            return 2.0 if age >= 50 else 0.8
        if cat == "Fitness":
            return 1.6 if age < 40 else 0.8
        return 1.0

    return Domain(name="ecommerce", categories=list(ECOM), category_tags={}, make_item=ecom_item,
                  interests=interests, avoid_phrases=avoid, tag_words=tag_words, has_price=True,
                  max_age_days=3 * 365, recency_choices=((-0.8, 0.0, 1.0), (0.2, 0.5, 0.3)),
                  recency_phrases=recency, price_phrases=price, personas=personas, category_weight=weight)


# ----------------------------------------------------------------------------------------------------------
# Generic "story" items (news, video, music, social): sub-topics with title and sentence banks
# ----------------------------------------------------------------------------------------------------------
def S(tags, titles, lines, **slots):
    """A sub-topic: its tags, title templates, sentence positions (first mandatory) and local slots."""
    return dict(tags=list(tags), titles=list(titles), lines=[list(x) for x in lines], slots=slots)


def _fill_slots(rng: np.random.Generator, *banks: dict) -> tuple[dict, list[str]]:
    slots, tag_of = {}, {}
    for bank in banks:
        for k, vals in bank.items():
            v = pick(rng, vals)
            if isinstance(v, tuple):  # (text, tag)
                v, t = v
                tag_of[k] = t
                slots[k + "_tag"] = t
            slots[k] = v
            slots["a_" + k] = f"{article(str(v))} {v}"
    for k in list(slots):
        if k.islower():
            slots[k.capitalize()] = cap(str(slots[k]))
    return slots, list(tag_of.values())


def story_item(rng: np.random.Generator, spec: dict, glob: dict, cross_lines: dict, cross_p: dict,
               price: tuple | None = None, full: float = 0.7, closer_p: float = 0.5) -> dict:
    sub = pick(rng, spec["subs"])
    for _ in range(40):
        slots, slot_tags = _fill_slots(rng, glob, spec.get("slots", {}), sub["slots"])
        v = int(rng.integers(len(sub["titles"])))
        title = fill(sub["titles"][v], slots)

        def line(alts):  # alternatives aligned with the title variants stay paired with them
            return fill(alts[v] if len(alts) == len(sub["titles"]) else pick(rng, alts), slots)

        parts = [line(sub["lines"][0])]
        rest = sub["lines"][1:]
        k = min(len(rest), 2 if rng.random() < full else 1)
        for pos in sorted(rng.choice(len(rest), size=k, replace=False)) if rest else []:
            parts.append(line(rest[int(pos)]))
        band = int(rng.choice(3, p=[0.4, 0.4, 0.2])) if price else None
        tags = [spec["tag"]] if spec.get("tag") else []
        tags += sample(rng, sub["tags"], int(rng.integers(1, 3))) + slot_tags
        for t, p in cross_p.items():
            if rng.random() < p:
                tags.append(t)
        if price and band == 0 and "budget" in cross_p and "budget" not in tags and rng.random() < 0.5:
            tags.append("budget")
        tags = list(dict.fromkeys(tags))
        if len(tags) < 3:
            tags += [t for t in sub["tags"] if t not in tags][: 3 - len(tags)]
        tags = tags[:6]
        if spec.get("quotes") and rng.random() < 0.75:
            parts.insert(min(len(parts), 1 + int(rng.integers(2))), fill(pick(rng, spec["quotes"]), slots))
        extra = [t for t in tags if t in cross_lines]
        if spec.get("closers") and rng.random() < closer_p:
            parts.append(fill(pick(rng, spec["closers"]), slots))
        elif extra and rng.random() < 0.6:
            parts.append(fill(pick(rng, cross_lines[pick(rng, extra)]), slots))
        parts = parts[:4]
        text = cap(tidy(" ".join(cap(x) for x in parts)))
        if 30 <= words_of(text) <= 70 and 2 <= len(sentences_of(text)) <= 4:
            break
    out = dict(title=title, description=text, tags=tags)
    if price:
        lo, hi = price
        out["price"] = round(lo + (hi - lo) * rng.uniform(band / 3, (band + 1) / 3), 0) - 0.01
        out["band"] = band
    return out


# ----------------------------------------------------------------------------------------------------------
# News
# ----------------------------------------------------------------------------------------------------------
FIRST = ["Amara", "Tomas", "Priya", "Ewan", "Lucia", "Kofi", "Mei", "Daniel", "Ingrid", "Rafael", "Sana", "Callum",
         "Noor", "Felix", "Aisha", "Marco", "Hannah", "Jonah", "Leila", "Oskar", "Rosa", "Samuel", "Yuki", "Zara"]
LAST = ["Okafor", "Lindqvist", "Moreau", "Castillo", "Nakamura", "Brennan", "Achterberg", "Quinn", "Haddad",
        "Fitzgerald", "Mensah", "Varga", "Sorensen", "Delgado", "Whitlock", "Kaur", "Petrov", "Ashby", "Ferreira"]
NEWS_GLOBAL = dict(
    city=["Lisbon", "Nairobi", "Osaka", "Toronto", "Melbourne", "Dublin", "Glasgow", "Auckland", "Denver", "Seville",
          "Hamburg", "Montreal", "Cape Town", "Mumbai", "Leeds", "Perth", "Halifax", "Bristol", "Rotterdam", "Accra"],
    country=["Portugal", "Kenya", "Japan", "Canada", "Chile", "Norway", "Vietnam", "Ghana", "Mexico", "Poland",
             "Indonesia", "Morocco", "New Zealand", "Ireland", "Peru", "Finland"],
    person=[f"{f} {l}" for f in FIRST[:12] for l in LAST[:8]] + [f"{f} {l}" for f in FIRST[12:] for l in LAST[8:]],
    company=["Norvale Systems", "Brightwater Energy", "Kestrel Logistics", "Halcyon Foods", "Tidewell Bank", "Orbitra",
             "Larchmont Motors", "Pinecrest Pharma", "Quillon AI", "Seaforth Retail", "Ardent Telecom", "Lumio Labs"],
    day=["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "the weekend"],
    pct=[str(x) for x in range(3, 41)],
    num=[str(x) for x in (12, 18, 25, 40, 60, 75, 120, 150, 300, 450, 800, 1200)],
)
NEWS: dict[str, dict] = {
    "World": dict(tag="world", quotes=['"This is the moment people here have been waiting for," said {person}, a community organiser in {city}.',
                '"We will judge it by what happens on the ground," said {person}, a regional analyst.',
                'Residents interviewed in {city} were cautiously hopeful but wary of past promises.',
                'Neighbouring governments have so far responded with carefully worded statements.',
                'The story has dominated front pages across {country} this week.'],
        subs=[
        S(["diplomacy", "summit"], ["Leaders of {country} and its neighbours agree water-sharing deal in {city}",
                                    "{city} summit ends with pledge on border trade"],
          [["Talks in {city} ended on {day} with a framework agreement on shared rivers and cross-border trade.",
            "After three days of talks in {city}, delegations signed a pledge to reopen border crossings."],
           ["Officials from {country} called it the most significant accord in a decade.",
            "Negotiators said the deal still needs approval from national parliaments."],
           ["Farmers and hauliers on both sides have waited years for a settlement.",
            "Critics warn that enforcement details remain vague."]]),
        S(["humanitarian", "aid"], ["Aid convoys reach flood-hit towns in {country}",
                                    "UN appeals for {num} million dollars as displacement grows in {country}"],
          [["Relief agencies said on {day} that convoys had finally reached towns cut off for a week.",
            "The appeal, launched in {city}, aims to feed and shelter families forced from their homes."],
           ["Roughly {num} thousand people are living in temporary camps, according to local officials.",
            "Clean water and medical supplies are the most urgent needs, aid workers said."],
           ["Donor countries are expected to announce pledges at a meeting next week."]]),
        S(["elections", "democracy"], ["{country} votes in tight presidential run-off",
                                       "Turnout surges as {country} goes to the polls"],
          [["Voters in {country} queued from dawn on {day} in a run-off that polls describe as too close to call.",
            "Election officials in {country} reported unusually high turnout by midday."],
           ["The two candidates have clashed over the cost of living and corruption.",
            "International observers said voting was largely orderly."],
           ["Preliminary results are expected within 48 hours."]]),
        S(["migration", "policy"], ["New visa route opens for workers heading to {country}",
                                    "{country} eases rules for seasonal workers"],
          [["{country} will let seasonal workers stay up to nine months under rules announced on {day}.",
            "A new visa route aims to fill shortages in farming, care and construction."],
           ["Employers had lobbied for the change for two years.",
            "Unions want stronger protections against exploitation."]]),
    ], closers=["Our correspondent in {city} will have more as the story develops."]),
    "Politics": dict(tag="politics", quotes=['"Families cannot wait another year," said {person}, who chairs the cross-party committee.',
                '"The numbers simply do not add up," said opposition spokesperson {person}.',
                'Backbenchers are said to be uneasy about the timing.',
                'The announcement came after weeks of briefings and leaks.',
                'Voters in marginal seats are expected to pay close attention.'],
        subs=[
        S(["budget", "tax"], ["Finance minister unveils budget with {pct}% rise in housing spending",
                              "Budget day: what the new tax changes mean for renters"],
          [["The government's budget, presented on {day}, raises spending on social housing by {pct} percent.",
            "Finance minister {person} set out tax changes aimed at lower-income households."],
           ["Opposition parties said the plans were unfunded and arrived too late.",
            "Economists broadly welcomed the shift but questioned the growth forecasts behind it."],
           ["The measures take effect from April if parliament approves them."]]),
        S(["parliament", "legislation"], ["Parliament passes bill on online safety after marathon debate",
                                          "Lawmakers back overhaul of planning rules"],
          [["After a debate that ran past midnight, lawmakers approved the bill by {num} votes.",
            "A cross-party majority backed the overhaul on {day}, ending months of wrangling."],
           ["Campaigners said the law finally gives regulators real powers.",
            "Several backbenchers rebelled, warning about unintended consequences."],
           ["The bill now moves to the upper chamber for scrutiny."]]),
        S(["elections", "polling"], ["Poll shows governing party trailing by {pct} points",
                                     "Mayor of {city} announces bid for national office"],
          [["A new poll puts the governing party {pct} points behind the main opposition.",
            "{person}, the mayor of {city}, confirmed on {day} that she will seek national office."],
           ["Strategists say housing and energy bills dominate voters' concerns.",
            "Supporters praised her record on transport and local services."],
           ["The next general election must be held within eighteen months."]]),
        S(["local-government", "housing"], ["{city} council approves {num} new affordable homes",
                                            "Rent controls debated as {city} housing crisis deepens"],
          [["Councillors in {city} approved plans for {num} affordable homes on a former industrial site.",
            "Housing campaigners packed the council chamber in {city} as rent controls were debated."],
           ["Residents raised concerns about traffic and school places.",
            "Average rents in the city have climbed {pct} percent in two years."]]),
    ], closers=["Read our analysis of what this means for the coming months."]),
    "Business": dict(tag="business", quotes=['"We are investing for the long term," said chief financial officer {person}.',
                '"The consumer is tired but not broken," said {person}, an economist in {city}.',
                'Trading volumes were higher than usual throughout the day.',
                'Small suppliers say they are still waiting to see the benefits.',
                'The sector has had a turbulent eighteen months.'],
        subs=[
        S(["markets", "earnings"], ["{company} shares jump {pct}% after strong quarterly results",
                                    "{company} profit falls as costs bite"],
          [["Shares in {company} moved sharply on {day} after the firm reported quarterly results.",
            "{company} said rising costs had squeezed margins during the last quarter."],
           ["Revenue rose {pct} percent, beating analysts' forecasts.",
            "The company cut its outlook for the rest of the year."],
           ["Chief executive {person} said the firm would keep investing despite the slowdown."]]),
        S(["jobs", "economy"], ["Unemployment falls to lowest level in {num} months",
                                "{company} to create {num} jobs at new site near {city}"],
          [["Official figures published on {day} show unemployment edging down again.",
            "{company} will open a new distribution site near {city}, creating {num} jobs."],
           ["Wage growth is finally outpacing inflation, economists noted.",
            "Local leaders said the investment was a vote of confidence in the region."]]),
        S(["interest-rates", "inflation"], ["Central bank holds rates as inflation cools to {pct} percent",
                                            "Mortgage rates dip as lenders cut fixed deals"],
          [["The central bank kept interest rates unchanged on {day}, citing easing price pressures.",
            "Several large lenders cut fixed mortgage rates this week."],
           ["Inflation has fallen for four months in a row.",
            "Homebuyers could save hundreds a year if the trend continues."],
           ["Markets now expect a first cut early next year."]], pct=["2.1", "2.4", "2.7", "3.0", "3.3", "3.8"]),
        S(["startups", "retail"], ["Online grocer {company} raises funding to expand beyond {city}",
                                   "High-street retailer {company} closes {num} stores"],
          [["{company} has raised fresh funding to take its same-day delivery service beyond {city}.",
            "{company} announced it will close {num} stores as shoppers move online."],
           ["Investors are betting on faster delivery and lower waste.",
            "Staff will be offered roles in nearby branches where possible."]]),
    ], closers=["Analysts will be watching next month's figures closely."]),
    "Technology": dict(tag="technology", quotes=['"People want tools that respect their time and their data," said product lead {person}.',
                '"It is impressive, but the hard part is trust," said {person}, a researcher in {city}.',
                'Industry watchers say the episode will shape the rest of the year.',
                'Rivals are expected to respond with their own announcements within weeks.',
                'Privacy groups have asked for an independent audit.'],
        subs=[
        S(["ai", "software"], ["{company} launches AI assistant for small businesses",
                               "New AI model from {company} writes and checks code"],
          [["{company} unveiled an AI assistant on {day} that drafts invoices, emails and schedules for small firms.",
            "{company} released a model that writes code and explains its own changes."],
           ["The company says the tool runs partly on the device to protect customer data.",
            "Developers testing early versions reported fewer bugs but slower reviews."],
           ["Regulators have asked for details about how the system was trained."]]),
        S(["smartphones", "gadgets"], ["{company} phone promises a week of battery life",
                                       "Foldable tablets get cheaper as {company} cuts prices"],
          [["The new handset from {company} claims up to seven days between charges.",
            "{company} cut the price of its foldable tablet by {pct} percent on {day}."],
           ["Reviewers praised the camera but questioned the software updates policy.",
            "Analysts said competition from cheaper rivals forced the move."]]),
        S(["cybersecurity", "privacy"], ["Data breach at {company} exposes customer records",
                                         "Hospitals in {city} hit by ransomware attack"],
          [["{company} said on {day} that attackers had accessed names and email addresses of customers.",
            "A ransomware attack disrupted appointment systems at hospitals in {city}."],
           ["Users are being urged to change passwords and enable two-factor authentication.",
            "Officials said no patient data appeared to have been stolen."],
           ["Security researchers said the attack used a known, unpatched flaw."]]),
        S(["space", "telecoms"], ["Satellite internet reaches remote villages in {country}",
                                  "{company} tests 6G network in {city}"],
          [["Remote villages in {country} are getting broadband for the first time via low-orbit satellites.",
            "{company} began testing a next-generation mobile network in {city} this week."],
           ["Teachers say pupils can now join online lessons from home.",
            "Engineers reported download speeds many times faster than today's networks."]]),
    ], closers=["We'll update this story as independent tests come in."]),
    "Science": dict(tag="science", quotes=['"We had to check the data three times before we believed it," said lead author {person}.',
                '"It is a genuinely surprising result," said {person}, who was not involved in the work.',
                'The work drew on instruments and collaborators in several countries.',
                'Funding came partly from a public science programme in {country}.',
                'Other teams are already planning follow-up studies.'],
        subs=[
        S(["space", "astronomy"], ["Telescope spots water vapour on distant rocky planet",
                                   "Probe sends first close-up images of icy moon"],
          [["Astronomers say they have detected water vapour in the atmosphere of a rocky planet {num} light years away.",
            "A probe launched six years ago has sent back its first close-up images of an icy moon."],
           ["The findings, published on {day}, will need confirmation from other instruments.",
            "Scientists at an observatory in {country} said the images exceeded expectations."],
           ["The team now hopes to measure the planet's temperature."]]),
        S(["biology", "wildlife"], ["Rare frog rediscovered in cloud forest of {country}",
                                    "Bees use landmarks to plan routes, study finds"],
          [["A frog last seen decades ago has been rediscovered by researchers in the cloud forests of {country}.",
            "A study from a university in {city} suggests bees memorise landmarks to plan foraging routes."],
           ["Researchers said habitat protection made the find possible.",
            "The work could help farmers design landscapes that support pollinators."]]),
        S(["physics", "research"], ["Physicists in {city} build record-breaking quantum sensor",
                                    "New battery chemistry could halve charging times"],
          [["A team in {city} has built a quantum sensor sensitive enough to detect tiny changes in gravity.",
            "Researchers report a battery chemistry that charges in half the time of current cells."],
           ["The device could help map underground water and old mine shafts.",
            "Commercial versions are at least five years away, the authors cautioned."]]),
        S(["archaeology", "history"], ["Roman-era shipwreck found off coast of {country}",
                                       "Ancient footprints push back human arrival by {num} years"],
          [["Divers have found a well-preserved shipwreck loaded with amphorae off the coast of {country}.",
            "Footprints preserved in volcanic ash suggest people arrived far earlier than thought."],
           ["Archaeologists said the cargo could reveal forgotten trade routes.",
            "Dating was carried out independently by two laboratories."]]),
    ], closers=["The research was peer reviewed and published this week."]),
    "Health": dict(tag="health", quotes=['"Small, steady changes make the biggest difference," said {person}, a GP in {city}.',
                '"Demand is still rising faster than capacity," said {person}, a hospital manager.',
                'Patient groups welcomed the news but called for long-term funding.',
                'The advice applies to adults; separate guidance exists for children.',
                'Experts stressed that more research is needed before guidance changes.'],
        subs=[
        S(["nutrition", "diet"], ["Plant-rich diets linked to lower heart risk in large study",
                                  "Ultra-processed food makes up {pct}% of children's diets, survey finds"],
          [["A study following thousands of adults found plant-rich diets were linked to lower heart disease risk.",
            "A national survey published on {day} found ultra-processed food dominates many children's plates."],
           ["Researchers stressed the findings show association, not cause.",
            "Dietitians recommend simple swaps such as beans, oats and frozen vegetables."]]),
        S(["mental-health", "wellbeing"], ["Waiting times for talking therapies fall in {city}",
                                           "Short daily walks ease anxiety, trial suggests"],
          [["Waiting times for talking therapies in {city} have fallen after a recruitment drive.",
            "A trial found that a 20-minute daily walk reduced anxiety symptoms over eight weeks."],
           ["Charities welcomed the progress but said demand keeps rising.",
            "Participants also reported sleeping better."]]),
        S(["vaccines", "public-health"], ["Winter vaccine campaign opens to over-50s",
                                          "Measles cases rise as vaccination rates dip"],
          [["The winter vaccine campaign opened on {day} with appointments for everyone over 50.",
            "Health officials warned of rising measles cases after vaccination rates dipped."],
           ["Pharmacies and GP surgeries are offering walk-in slots.",
            "Parents are urged to check their children's records."]]),
        S(["healthcare", "hospitals"], ["Hospital in {city} trials same-day diagnosis clinic",
                                        "Nurses' pay deal agreed after months of talks"],
          [["A hospital in {city} is trialling a clinic that diagnoses patients with suspected cancer on the same day.",
            "Nursing unions have accepted a pay deal worth {pct} percent over two years."],
           ["Early results suggest anxious waits have been cut from weeks to hours.",
            "Hospital leaders hope the deal will stem staff shortages."]]),
    ], closers=["Talk to your doctor before making changes to your treatment."]),
    "Sports": dict(tag="sports", quotes=['"The players gave absolutely everything," said head coach {person}.',
                '"I have dreamed of this since I was a kid," {person} told reporters afterwards.',
                'Ticket demand for the next fixture has already doubled.',
                'The captain came off with a minor knock but is expected to be fit.',
                'Fans in {city} celebrated long into the night.'],
        slots=dict(
        team=["Harbour City Rovers", "Northbridge United", "the Redcliffe Hawks", "Eastvale Athletic",
              "the Lakeside Comets", "Westmoor Rangers"],
        team2=["Southport Wanderers", "the Granite Bay Bears", "Millbrook Town", "the Riverside Lions"]), subs=[
        S(["football", "match-report"], ["{Team} snatch late winner against {team2}",
                                         "{Team} held to goalless draw by {team2}"],
          [["{Team} scored in stoppage time to beat {team2} in front of a sell-out crowd on {day}.",
            "{Team} were frustrated by a well-organised {team2} side in a goalless draw."],
           ["The result keeps them in the race for the title.",
            "Their manager praised the defence but said the attack lacked ideas."],
           ["Next up is a cup tie away from home."]]),
        S(["tennis", "tournament"], ["{Person} reaches first major final",
                                     "Qualifier {person} stuns top seed in {city}"],
          [["{Person} reached a first major final with a straight-sets win on {day}.",
            "Qualifier {person} beat the top seed in three tense sets in {city}."],
           ["The 21-year-old has not dropped a set all tournament.",
            "The crowd rose for a standing ovation after the final point."]]),
        S(["running", "athletics"], ["Record field expected for {city} marathon",
                                     "{Person} breaks national 10,000m record"],
          [["Organisers expect more than {num} hundred runners at the {city} marathon this weekend.",
            "{Person} broke a national record that had stood for {num} years."],
           ["Road closures will be in place from early morning.",
            "Coaches credited a year of altitude training."]]),
        S(["cycling", "olympics"], ["Track cycling team targets Olympic gold after {city} win",
                                    "Youth sports funding boost announced ahead of Olympic cycle"],
          [["The track cycling team won gold in {city}, raising hopes for the next Olympics.",
            "Ministers announced new funding for youth sport clubs on {day}."],
           ["Riders said the new bikes made a real difference.",
            "Grassroots clubs said the money would pay for coaches and equipment."]]),
    ], closers=["Full highlights are available on our sports pages."]),
    "Culture": dict(tag="culture", quotes=['"Art belongs to everyone, not just the people with tickets," said {person}, the programme director.',
                '"I wrote it for my grandmother," {person} said at the ceremony.',
                'Critics and audiences, for once, seem to agree.',
                "Attendance figures were the highest in the event's history.",
                'A touring version is planned for next year.'],
        subs=[
        S(["film", "awards"], ["Debut film by {person} wins top prize at {city} festival",
                               "Festival in {city} celebrates women behind the camera"],
          [["A debut feature by director {person} took the top prize at the {city} film festival on {day}.",
            "This year's festival in {city} put women directors at the centre of its programme."],
           ["The film follows three sisters running a failing bakery.",
            "Critics praised the festival's bold choices."]]),
        S(["music", "concerts"], ["Orchestra in {city} plays free concerts in libraries",
                                  "Singer {person} announces comeback tour"],
          [["The city orchestra in {city} is taking free chamber concerts into public libraries.",
            "Singer-songwriter {person} announced a comeback tour after five years away."],
           ["Organisers hope to reach people who never go to concert halls.",
            "Tickets sold out within minutes of going on sale."]]),
        S(["books", "literature"], ["Novel about a {city} lighthouse wins fiction prize",
                                    "Libraries report surge in young readers"],
          [["A novel set in a lighthouse near {city} has won this year's fiction prize.",
            "Public libraries report a rise in borrowing by teenagers for the third year running."],
           ["Judges called it tender, funny and quietly devastating.",
            "Librarians credit book clubs and social media recommendations."]]),
        S(["art", "museums"], ["Museum in {city} returns artefacts to {country}",
                               "Street art trail opens in {city}"],
          [["A museum in {city} has agreed to return a collection of artefacts to {country}.",
            "A new street art trail links {num} murals across the old docks of {city}."],
           ["Curators said the decision followed years of research and dialogue.",
            "Local artists hope the trail will bring visitors to overlooked neighbourhoods."]]),
    ], closers=["Tell us what you think in the comments."]),
    "Climate": dict(tag="climate", quotes=['"This shows what is possible when communities lead," said {person}, a local campaigner.',
                '"We are adapting faster than we feared, but slower than we need to," said {person}, a climate scientist.',
                'Insurers are watching the results closely.',
                'The project was partly funded by residents through a community share offer.',
                'Scientists say the next decade will be decisive.'],
        subs=[
        S(["renewables", "energy"], ["Offshore wind farm near {city} starts generating power",
                                     "Solar overtakes coal in {country} for first time"],
          [["A new offshore wind farm off {city} began supplying power to the grid on {day}.",
            "Solar panels produced more electricity than coal in {country} over the past year."],
           ["It will power roughly {num} thousand homes at full capacity.",
            "Falling panel prices and rooftop schemes drove the shift."],
           ["Grid operators say storage is the next bottleneck."]]),
        S(["extreme-weather", "flooding"], ["Record rainfall floods homes in {city}",
                                            "Heatwave warnings issued across {country}"],
          [["Record rainfall flooded hundreds of homes in {city} overnight.",
            "Forecasters issued heat warnings across {country} as temperatures climbed."],
           ["Scientists say warming makes such events more frequent and intense.",
            "Residents were urged to check on elderly neighbours."]]),
        S(["policy", "emissions"], ["{country} sets target to cut emissions {pct}% by 2035",
                                    "Airlines face new levy on frequent flyers"],
          [["{country} has pledged to cut emissions by {pct} percent by 2035 compared with 2005.",
            "Ministers proposed a levy on frequent flyers to fund rail improvements."],
           ["Environmental groups said the plan lacks detail on farming and transport.",
            "Industry groups warned of higher ticket prices."]]),
        S(["nature", "conservation"], ["Rewilding project brings beavers back to rivers near {city}",
                                       "Seagrass meadows replanted along {country} coast"],
          [["Beavers have been released near {city} as part of a project to slow floods and restore wetlands.",
            "Volunteers have replanted seagrass along the coast of {country} to store carbon and shelter fish."],
           ["Farmers nearby were consulted before the release.",
            "Early surveys show fish returning to restored areas."]]),
    ], closers=["Find more climate coverage in our weekly newsletter."]),
}
NEWS_CROSS = {"analysis": ["Our analysis looks at who gains and who loses."],
              "explainer": ["This explainer sets out what changes and why it matters."],
              "breaking": ["This is a developing story and will be updated."],
              "local": ["Readers in {city} can find local details on our regional page."],
              "opinion": ["Our columnist argues the reaction so far has missed the point."]}


def news_item(rng: np.random.Generator, category: str, serial: int) -> dict:
    return story_item(rng, NEWS[category], NEWS_GLOBAL, NEWS_CROSS,
                      dict(analysis=0.15, explainer=0.12, breaking=0.1, local=0.12, opinion=0.06), full=1.0, closer_p=0.6)


def news_domain() -> Domain:
    interests = {
        "World": ["world news", "what's happening abroad", "international affairs", "global stories"],
        "Politics": ["politics", "what parliament is up to", "elections and polling", "local politics"],
        "Business": ["business news", "the markets", "the economy", "company news"],
        "Technology": ["tech news", "AI and gadgets", "what's new in tech", "cybersecurity stories"],
        "Science": ["science", "space and astronomy", "new research", "discoveries"],
        "Health": ["health news", "nutrition and wellbeing", "medical research", "the health service"],
        "Sports": ["sport", "football results", "running and athletics", "match reports"],
        "Culture": ["arts and culture", "films and books", "music and museums", "festivals"],
        "Climate": ["climate and environment", "renewable energy", "nature and wildlife", "extreme weather"],
    }
    avoid = {"World": ["foreign news"], "Politics": ["politics", "party squabbles"], "Business": ["business news",
             "market chatter"], "Technology": ["tech hype", "gadget news"], "Science": ["science stories"],
             "Health": ["health scares"], "Sports": ["sport", "football"], "Culture": ["celebrity and arts news"],
             "Climate": ["climate coverage"]}
    recency = {1: ["I want what happened today, not last week.", "Give me the latest headlines first."],
               0: ["I don't mind catching up on older stories at the weekend."]}
    tag_words = {"match-report": "match reports", "mental-health": "mental health", "extreme-weather": "extreme weather",
                 "interest-rates": "interest rates", "local-government": "local government", "ai": "AI",
                 "local": "local stories", "opinion": "opinion pieces", "analysis": "in-depth analysis",
                 "explainer": "explainers", "breaking": "breaking news"}
    personas = [
        dict(name="Policy wonk", description="I follow politics closely, especially budgets, tax and housing policy.",
             liked=[("Politics", "budget")], disliked=[("Sports", None)]),
        dict(name="Tech worker", description="I'm a software developer in my thirties. Give me AI, security and gadgets.",
             liked=[("Technology", "ai")], disliked=[]),
        dict(name="Retired science fan",
             description="I'm a retired engineer in my seventies who loves space, physics and archaeology.",
             liked=[("Science", "space"), ("Science", "archaeology")], disliked=[("Business", "markets")]),
        dict(name="Football mum", description="Mum of three, football every weekend, and I want the match reports first.",
             liked=[("Sports", "football")], disliked=[]),
        dict(name="Climate-minded student",
             description="I'm a 21-year-old student worried about the climate and interested in renewables and nature.",
             liked=[("Climate", "renewables")], disliked=[]),
        dict(name="Investor", description="Markets, interest rates and company earnings. Skip the celebrity stuff.",
             liked=[("Business", "markets"), ("Business", "interest-rates")], disliked=[("Culture", None)]),
        dict(name="Health-conscious reader",
             description="I'm a nurse and read everything about nutrition, mental health and the health service.",
             liked=[("Health", "nutrition")], disliked=[]),
        dict(name="Cold start, no history", description="Just the important news of the day.", liked=[], disliked=[]),
    ]
    return Domain(name="news", categories=list(NEWS), category_tags={}, make_item=news_item, interests=interests,
                  avoid_phrases=avoid, tag_words=tag_words, has_price=False, max_age_days=90,
                  recency_choices=((0.4, 1.0, 1.6), (0.3, 0.45, 0.25)), recency_phrases=recency,
                  price_phrases={}, personas=personas, weights=SignalWeights(bias=-4.0),
                  tag_sentence_templates=["I read a lot about {all}.", "I follow {all} closely.",
                                          "Mostly here for {all}.", "First thing I read: {all}."])


# ----------------------------------------------------------------------------------------------------------
# Video (films and series)
# ----------------------------------------------------------------------------------------------------------
VIDEO_GLOBAL = dict(
    fmt=[("film", "film"), ("film", "film"), ("series", "series"), ("limited series", "limited-series")],
    name=FIRST, surname=LAST,
    town=["a fishing town in Cornwall", "a border town in Texas", "a suburb of Melbourne", "a mining town in Wales",
          "a ski resort in the Alps", "a housing estate in Glasgow", "a coastal village in Ireland",
          "a small town in Ontario", "the outskirts of Mumbai", "a university town in New England"],
    city=NEWS_GLOBAL["city"],
)
_TW = dict(
    adj=["Silent", "Broken", "Hidden", "Cold", "Final", "Quiet", "Lost", "Burning", "Northern", "Last", "Hollow",
         "Bright", "Paper", "Glass", "Wild", "Long", "Salt", "Iron", "Summer", "Midnight"],
    noun=["Signal", "Witness", "Harbour", "Ledger", "Frequency", "Orchard", "Tide", "Crossing", "Garden", "Archive",
          "Shore", "Letters", "Season", "Kingdom", "Hours", "Lanterns", "Horizon", "Island", "Circuit", "Ground"],
)
VIDEO_TITLE_WORDS = {
    "drama": (["Quiet", "Long", "Broken", "Salt", "Northern", "Last", "Bright", "Paper"],
              ["Harvest", "Orchard", "Inheritance", "Shoreline", "Winter", "Bakery", "Crossing", "Years"]),
    "comedy": (["Happy", "Total", "Perfect", "Absolute", "Lucky", "Wrong", "Little", "Big"],
               ["Disaster", "Holiday", "Plan", "Mess", "Weekend", "Wedding", "Chaos", "Neighbours"]),
    "thriller": (["Silent", "Hidden", "Cold", "Final", "Dead", "Blind", "Burning", "Black"],
                 ["Signal", "Witness", "Ledger", "Frequency", "Protocol", "Files", "Alibi", "Trace"]),
    "sci-fi": (["Distant", "Second", "Infinite", "Dark", "Red", "Outer", "Silent", "Zero"],
               ["Horizon", "Orbit", "Signal", "Colony", "Loop", "Station", "Machine", "Frontier"]),
    "documentary": (["Wild", "Hidden", "Untold", "Living", "Secret", "Lost", "Changing", "Deep"],
                    ["Coast", "Kitchen", "River", "Truth", "Ocean", "Streets", "Summit", "Ground"]),
    "family": (["Little", "Brave", "Magic", "Tiny", "Great", "Flying", "Wonderful", "Secret"],
               ["Fox", "Robot", "Balloon", "Dragon", "Lighthouse", "Hedgehog", "Island", "Adventure"]),
    "horror": (["Hollow", "Crooked", "Black", "Pale", "Silent", "Rotten", "Midnight", "Last"],
               ["Chapel", "Woods", "Harvest", "Cellar", "Door", "Lodge", "Hymn", "Tenant"]),
    "romance": (["Summer", "Paper", "Second", "Golden", "Sweet", "Late", "Little", "Endless"],
                ["Letters", "Promise", "Season", "Hearts", "Notebook", "Train", "Bouquet", "Chances"]),
    "crime": (["Dirty", "Cold", "Blind", "Iron", "Quiet", "Bitter", "Crooked", "Grey"],
              ["Streets", "Docks", "Case", "Verdict", "Confession", "Family", "Harbour", "Evidence"]),
}


def _genre(tag, protag, incident, twist, tone, **extra):
    """A video genre as one combinatorial sub-topic: who, what happens (tagged), the turn, the tone."""
    adj, noun = VIDEO_TITLE_WORDS[tag]
    words = dict(adj=adj, noun=noun)
    return dict(tag=tag, slots=dict(words, protag=protag, incident=incident, twist=twist, tone=tone, **extra), subs=[
        S([tag], ["The {Adj} {Noun}", "{Adj} {Noun}", "The {Noun}", "{Name}'s {Noun}", "After the {Noun}"],
          [["In this {fmt} set in {town}, {protag} {incident}.", "{Protag} {incident} in {town}.",
            "Set in {town}, this {fmt} follows {protag} who {incident}.",
            "{Protag} {incident}, and nothing in {town} is the same again."],
           ["{twist}"], ["{tone}"]])])


VIDEO: dict[str, dict] = {
    "Drama": _genre("drama",
        ["a grieving widow", "the eldest of three estranged siblings", "a young nurse", "a failing restaurateur", "a retired miner",
         "an ambitious junior lawyer", "a single father", "a teenage carer"],
        [("inherits a crumbling family farm", "family"), ("takes over her late mother's bakery", "family"),
         ("becomes the first woman reporter at a local paper", "period"), ("rebuilds a postwar shipyard", "period"),
         ("coaches a hopeless rowing crew towards a national race", "sports-drama"),
         ("defends a client everybody believes is guilty", "courtroom"), ("is diagnosed with an illness he hides from everyone", "character-study"),
         ("starts again after leaving prison", "character-study")],
        ["Old resentments surface as money runs out and loyalties are tested.",
         "Keeping going means facing debts, gossip and a grief that will not lift.",
         "Every choice pulls against what the family expects.",
         "A friendship with an unlikely neighbour changes everything.",
         "The past keeps returning in letters, photographs and unpaid bills."],
        ["A patient, beautifully acted {fmt} about what people owe one another.",
         "Quietly devastating, with flashes of warm humour.",
         "Rich in period detail and carried by two superb performances.",
         "Slow-burning and deeply human, it lingers long after the credits."]),
    "Comedy": _genre("comedy",
        ["a hapless travel agent", "a frazzled wedding planner", "an overconfident start-up founder",
         "a divorced dad", "a jilted bride", "a burned-out teacher", "a struggling stand-up comic",
         "a hopeless flatmate"],
        [("tries to save a failing business with one ridiculous scheme after another", "workplace"),
         ("is forced to share a venue with a bitter rival for the summer", "romcom"),
         ("runs for mayor with a documentary crew in tow", "satire"),
         ("signs up for a cooking class and somehow ends up teaching it", "feel-good"),
         ("goes on honeymoon with a grumpy grandmother instead", "romcom"),
         ("has one week to survive a school inspection", "sitcom"),
         ("accidentally becomes famous after a clip goes viral", "satire"),
         ("inherits a dog with a better social life than anyone in the family", "feel-good")],
        ["Mishaps multiply, and every fix makes things worse.",
         "The ensemble cast has terrific chemistry and perfect timing.",
         "Improvised scenes give it a loose, awkward charm.",
         "Sharp one-liners arrive at a relentless pace.",
         "Nobody learns a lesson, which is exactly the point."],
        ["Light, quick and easy to binge in a weekend.", "A warm, feel-good watch for a lazy evening.",
         "Silly in the best way, with a surprisingly sweet heart.", "Laugh-out-loud funny from the first scene."]),
    "Thriller": _genre("thriller",
        ["a junior journalist", "a data analyst", "a retired safecracker", "a hostage negotiator",
         "a young widow", "a disgraced spy", "an air-traffic controller", "a night-shift security guard"],
        [("uncovers a pattern in hospital records that someone wants buried", "conspiracy"),
         ("inherits the files of a whistle-blower who has vanished", "conspiracy"),
         ("is pulled back for one last job on a private bank", "heist"),
         ("starts receiving letters addressed to the house's previous owner", "psychological"),
         ("is framed for a leak she did not commit", "spy"),
         ("hears a voice on the radio that should not exist", "suspense"),
         ("wakes after a crash convinced her husband is an impostor", "psychological"),
         ("witnesses a murder on a security camera nobody else can see", "suspense")],
        ["Every lead brings the truth closer and allies further away.",
         "Phones are tapped, colleagues lie, and the clock is ticking.",
         "Nothing goes to plan, and loyalties shift by the minute.",
         "The closer the investigation gets, the less anyone can trust their own memory.",
         "Powerful people are watching, and they are patient."],
        ["A tense, twisty {fmt} that keeps you guessing until the last scene.", "Slick, fast and full of double-crosses.",
         "An unsettling, slow-burning mystery with a shocking final act.",
         "Taut and paranoid, in the best tradition of the genre."]),
    "Science Fiction": _genre("sci-fi",
        ["the captain of a mining ship", "a generation ship's engineer", "a delivery rider", "a physicist",
         "a lonely android", "a colony's only doctor", "a teenage hacker", "a disgraced astronaut"],
        [("answers a distress call from a moon that should be empty", "space"),
         ("discovers the voyage was never meant to arrive", "space"),
         ("is flagged as a threat by the algorithms that run the city", "dystopia"),
         ("relives the same Tuesday and is the only one who remembers", "time-travel"),
         ("begins to suspect the AI running the station has its own plans", "ai"),
         ("receives letters that seem to come from the future", "time-travel"),
         ("finds a door in the lab that opens onto another version of home", "mind-bending"),
         ("wakes from cryosleep to find the crew gone", "space")],
        ["What they find rewrites everything they believed about the mission.",
         "Each loop reveals another piece of a disaster that must be stopped.",
         "The truth could break the fragile peace of thousands of people.",
         "Its creator is the only person who suspects what it really wants.",
         "Survival means trusting the very thing that frightens them most."],
        ["Big ideas, practical effects and a haunting score.", "Smart, spacious science fiction for grown-ups.",
         "Puzzle-box storytelling that rewards close attention.",
         "A sharp, unsettling look at where technology might take us."],
        town=['a mining colony on Mars', 'an orbital habitat', 'a flooded near-future city', 'a research station in Antarctica', 'a generation ship far from Earth', 'a smart city of 2080']),
    "Documentary": _genre("documentary",
        ["a wildlife film crew", "an investigative reporter", "a travelling chef", "a first-time film-maker",
         "a marine biologist", "a veteran climber", "a curious presenter", "a local historian"],
        [("spends a year on a wild stretch of coast", "nature"),
         ("reopens a decades-old miscarriage of justice", "true-story"),
         ("meets the cooks behind the best cheap eats in town", "food"),
         ("follows the money behind a collapsed pension scheme", "investigative"),
         ("tracks whales along a warming ocean current", "nature"),
         ("attempts a winter ascent no one has finished", "adventure"),
         ("explores one street market in each episode", "food"),
         ("digs up a lost Roman town under a car park", "history")],
        ["Patient camera work captures moments rarely seen before.",
         "Interviews and archive footage build a gripping case.",
         "Recipes, family stories and plenty of vegetarian dishes come along the way.",
         "A calm, thoughtful narration explains what is at stake.",
         "Former insiders speak on camera for the first time."],
        ["Stunning to look at and quietly hopeful.", "It will leave you hungry and planning a trip.",
         "Essential viewing that will make you angry and curious in equal measure.",
         "An absorbing documentary {fmt} for curious minds."],
        town=['the Scottish Highlands', 'the Pacific coast of Chile', 'the Mekong delta', 'the back streets of Naples', 'the Arctic circle', 'a former mining valley in Wales']),
    "Animation & Family": _genre("family",
        ["a shy young fox", "a small robot who repairs toys", "a boy on a summer holiday",
         "a girl with a big imagination", "a clumsy dragon", "a talking lighthouse", "a brave little hedgehog",
         "a family of mice"],
        [("sets out across the forest to find her lost brother", "animation"),
         ("dreams of seeing the sea", "animation"), ("finds a treasure map in an attic", "adventure"),
         ("builds a hot-air balloon to win the village race", "adventure"),
         ("has to learn to fly before the winter festival", "animation"),
         ("must save the harbour from a terrible storm", "adventure"),
         ("runs away to join a travelling circus", "kids"),
         ("opens a tiny bakery under the kitchen floor", "kids")],
        ["Along the way they make unlikely friends and learn to be brave.",
         "Pirates, puzzles and a very stubborn goat stand in the way.",
         "Things go wonderfully wrong when the wind changes.",
         "Gentle adventures and bright animation make it perfect for younger children.",
         "Songs, slapstick and a surprising amount of heart fill every scene."],
        ["A charming, funny film the whole family can watch together.",
         "Old-fashioned family adventure with plenty of heart.", "Sweet, short and ideal for a rainy afternoon.",
         "Kids will love it, and grown-ups will not be bored either."],
        town=['a seaside village', 'an enchanted forest', 'a snowy mountain town', 'a busy toy shop', 'a tiny island', 'a city of talking animals']),
    "Horror": _genre("horror",
        ["a family renovating an old chapel", "a night-shift nurse", "a student on a camping trip",
         "a folklore researcher", "a lonely caretaker", "a trainee vet", "a young priest",
         "a newly married couple"],
        [("hears knocking from inside the walls", "haunted"),
         ("starts seeing patients who died years ago", "supernatural"),
         ("realises someone has been following the group through the woods", "slasher"),
         ("records songs the locals refuse to sing after dark", "folk-horror"),
         ("is trapped by a storm in a lakeside lodge with a killer", "slasher"),
         ("is welcomed a little too warmly to a midsummer festival", "folk-horror"),
         ("performs an exorcism that goes badly wrong", "supernatural"),
         ("moves into a flat where the previous tenant never left", "haunted")],
        ["The history of the place turns out to be darker than anyone imagined.",
         "The phones are dead and the nearest road is miles away.",
         "Dread builds slowly through long silences and creaking corridors.",
         "The friendlier everyone seems, the less anyone wants to stay.",
         "Only one of them knows why they were chosen."],
        ["Not for the faint-hearted, and best watched with the lights on.", "Gory, jumpy and cheerfully nasty.",
         "Genuinely frightening, with a final image you will not forget.",
         "Creepy, atmospheric horror that gets under the skin."]),
    "Romance": _genre("romance",
        ["a commuter on the late train", "a florist", "a pianist in 1920s Paris",
         "a widowed sea captain", "a music teacher", "a wedding photographer", "a stubborn chef",
         "a bookshop owner"],
        [("keeps missing the same stranger until a lost notebook connects them", "love-story"),
         ("is forced to plan a best friend's wedding with an old enemy", "romcom"),
         ("falls for the daughter of the family she works for", "period-romance"),
         ("meets a botanist on a long voyage to the tropics", "period-romance"),
         ("meets a first love again at a school reunion", "second-chance"),
         ("photographs a wedding where the groom is her first love", "second-chance"),
         ("clashes with a food critic over one terrible review", "romcom"),
         ("starts leaving notes for a stranger in second-hand books", "love-story")],
        ["Letters, near misses and bad timing keep them apart for a year.",
         "Bickering slowly turns into something neither expected.",
         "A secret romance risks both of their futures.",
         "Gorgeous costumes and longing glances fill every frame.",
         "Family, distance and pride all stand in the way."],
        ["A tender, funny love story that earns its happy ending.", "Pure comfort viewing.",
         "Swoon-worthy and sincere, with a soundtrack to match.",
         "A grown-up romance about second chances."]),
    "Crime": _genre("crime",
        ["Detective Inspector {name} {surname}", "a veteran detective with a rookie partner",
         "the eldest of three brothers who run the docks", "a young forensic scientist", "a small-town police chief",
         "an undercover officer", "a retired judge", "a crime reporter"],
        [("returns home to investigate a murder linked to her own past", "detective"),
         ("hunts a killer who leaves poems at crime scenes", "police-procedural"),
         ("faces a ruthless new rival", "gangster"),
         ("finds evidence that a famous conviction was wrong", "true-crime"),
         ("investigates a string of burglaries that turn deadly", "police-procedural"),
         ("goes deep inside a smuggling ring", "gangster"),
         ("reopens the one case she never solved", "detective"),
         ("follows a cold case through the 1980s", "true-crime")],
        ["Each episode peels back another layer of the community's secrets.",
         "The case drags everyone into the city's corrupt underbelly.",
         "Ambition and loyalty collide as the net closes in.",
         "Violence, money and family ties pull them apart.",
         "The suspects all have something to hide."],
        ["A gripping, grounded crime {fmt} with a superb lead performance.", "Stylish, brutal and hard to stop watching.",
         "Clever, character-driven crime drama.", "Classic whodunnit pleasures with a modern edge."]),
}
VIDEO_CROSS = {"award-winning": ["It picked up several awards on the festival circuit."],
               "based-on-book": ["It is adapted from a bestselling novel."],
               "british": ["A British production with a strong regional cast."],
               "subtitled": ["Shown in its original language with English subtitles."]}


def video_item(rng: np.random.Generator, category: str, serial: int) -> dict:
    return story_item(rng, VIDEO[category], VIDEO_GLOBAL, VIDEO_CROSS,
                      {"award-winning": 0.12, "based-on-book": 0.1, "british": 0.12, "subtitled": 0.1,
                       "budget": 0.0}, price=(1.99, 14.99))


def video_domain() -> Domain:
    interests = {
        "Drama": ["character-driven drama", "period dramas", "slow, thoughtful films", "family dramas"],
        "Comedy": ["comedies", "sitcoms I can binge", "anything that makes me laugh", "feel-good comedy"],
        "Thriller": ["thrillers", "twisty mysteries", "suspense", "heist films"],
        "Science Fiction": ["science fiction", "space adventures", "stories about AI and the future", "mind-bending plots"],
        "Documentary": ["documentaries", "nature films", "true stories", "food and travel shows"],
        "Animation & Family": ["family films", "animated movies", "stuff I can watch with my kids"],
        "Horror": ["horror", "a good scare", "haunted-house films", "creepy folk horror"],
        "Romance": ["romance", "love stories", "romantic comedies", "period romance"],
        "Crime": ["crime dramas", "detective series", "police procedurals", "gangster stories"],
    }
    avoid = {"Drama": ["heavy dramas"], "Comedy": ["silly comedies"], "Thriller": ["tense thrillers"],
             "Science Fiction": ["sci-fi", "space stuff"], "Documentary": ["documentaries"],
             "Animation & Family": ["kids' films", "cartoons"], "Horror": ["horror", "gore"],
             "Romance": ["soppy romance", "love stories"], "Crime": ["crime shows", "violent gangster stuff"]}
    price = {0: ["I mostly watch what's included or cheap to rent."],
             2: ["Happy to pay for a new release if it's good."]}
    recency = {1: ["I like to watch new releases as soon as they're out."],
               -1: ["I prefer older films and classic series."]}
    tag_words = {"limited-series": "limited series", "character-study": "character studies",
                 "police-procedural": "police procedurals", "true-story": "true stories", "award-winning": "award winners",
                 "based-on-book": "book adaptations", "sci-fi": "sci-fi", "family-friendly": "family-friendly",
                 "film": "films rather than series", "series": "a long series", "subtitled": "foreign-language films",
                 "british": "British productions", "sports-drama": "sports dramas", "folk-horror": "folk horror",
                 "time-travel": "time travel", "true-story": "true stories", "true-crime": "true crime",
                 "love-story": "love stories", "second-chance": "second-chance romance", "mind-bending": "mind-benders",
                 "period-romance": "period romance", "feel-good": "feel-good stuff"}
    personas = [
        dict(name="Thriller binger", description="I love tense thrillers and twisty mysteries, ideally a series I can binge.",
             liked=[("Thriller", "series")], disliked=[("Romance", None)]),
        dict(name="Family movie night", description="Dad of two young kids looking for films we can all watch on Friday night.",
             liked=[("Animation & Family", "animation")], disliked=[("Horror", None)]),
        dict(name="Retired documentary fan",
             description="I'm a retired nurse in my late sixties. Nature documentaries and true stories, please.",
             liked=[("Documentary", "nature")], disliked=[]),
        dict(name="Sci-fi nerd", description="Space, AI and time loops. The more mind-bending the better.",
             liked=[("Science Fiction", "space"), ("Science Fiction", "time-travel")], disliked=[]),
        dict(name="Horror teen", description="I'm 19 and want proper scares: haunted houses, slashers, folk horror.",
             liked=[("Horror", "supernatural")], disliked=[("Documentary", None)]),
        dict(name="Romcom lover", description="I'm a woman in my thirties who loves romantic comedies and feel-good stories.",
             liked=[("Romance", "love-story"), ("Comedy", "romcom")], disliked=[("Horror", None)]),
        dict(name="Crime fan", description="Detective series and police procedurals, especially British ones.",
             liked=[("Crime", "detective")], disliked=[]),
        dict(name="Cold start, no history", description="Something good to watch tonight.", liked=[], disliked=[]),
    ]

    def weight(cat: str, age: int, gender: str) -> float:
        if cat == "Animation & Family":
            return 2.5 if 28 <= age <= 48 else 0.6
        if cat == "Horror":
            return 1.8 if age < 35 else 0.6
        if cat == "Documentary":
            return 1.8 if age >= 50 else 0.9
        return 1.0

    return Domain(name="video", categories=list(VIDEO), category_tags={}, make_item=video_item, interests=interests,
                  avoid_phrases=avoid, tag_words=tag_words, has_price=True, max_age_days=3 * 365,
                  recency_choices=((-0.8, 0.0, 1.0), (0.2, 0.5, 0.3)), recency_phrases=recency, price_phrases=price,
                  personas=personas, category_weight=weight,
                  tag_sentence_templates=["I mostly watch {all}.", "My go-to is {all}.",
                                          "My watchlist is full of {all}.", "I'm a big fan of {all}."])


# ----------------------------------------------------------------------------------------------------------
# Music (tracks)
# ----------------------------------------------------------------------------------------------------------
MUSIC_GLOBAL = dict(
    w1=["Neon", "Velvet", "Paper", "Golden", "Midnight", "Slow", "Electric", "River", "Satellite", "Honey", "Silver",
        "Broken", "Northern", "Summer", "Glass", "Wild", "Lonely", "Crimson", "Open", "Quiet"],
    w2=["Hearts", "Highway", "Rain", "Lights", "Motel", "Dreams", "Skyline", "Static", "Avenue", "Fever", "Tides",
        "Letters", "Horses", "Garden", "Echoes", "Windows", "Sparks", "Harbour", "Machines", "Blue"],
    mood=[("an upbeat", "upbeat"), ("a melancholic", "melancholic"), ("a mellow", "mellow"),
          ("an energetic", "energetic"), ("a romantic", "romantic"), ("a dark, brooding", "dark"),
          ("a dreamy", "dreamy"), ("a joyful", "joyful")],
    era=[("1970s", "70s"), ("80s-inspired", "80s"), ("90s", "90s"), ("early-2000s", "2000s"),
         ("2010s", "2010s"), ("fresh, 2020s", "2020s")],
    activity=[("It works brilliantly as a workout track.", "workout"),
              ("Put it on for a long road trip.", "road-trip"),
              ("A good one for focused work or study.", "focus"),
              ("It belongs on a late-night playlist.", "late-night"),
              ("Made for dancing at a party.", "party"),
              ("Perfect for a lazy Sunday morning.", "sunday-morning"),
              ("Great company while cooking dinner.", "cooking")],
)
MOODS_LOUD = [("an upbeat", "upbeat"), ("an energetic", "energetic"), ("a dark, brooding", "dark"),
              ("a joyful", "joyful")]
MOODS_SOFT = [("a melancholic", "melancholic"), ("a mellow", "mellow"), ("a romantic", "romantic"),
              ("a dreamy", "dreamy")]
ACT = {t: (x, t) for x, t in [
    ("It works brilliantly as a workout track.", "workout"), ("Put it on for a long road trip.", "road-trip"),
    ("A good one for focused work or study.", "focus"), ("It belongs on a late-night playlist.", "late-night"),
    ("Made for dancing at a party.", "party"), ("Perfect for a lazy Sunday morning.", "sunday-morning"),
    ("Great company while cooking dinner.", "cooking")]}
ACT_LOUD = [ACT[t][::1] for t in ("workout", "party", "road-trip", "cooking")]
ACT_SOFT = [ACT[t] for t in ("focus", "late-night", "sunday-morning", "cooking", "road-trip")]
MUSIC_CLOSERS = ["It was the standout track of a much-loved second album.", "It was recorded live in a single take.",
                 "Fans call it the best thing the act has released.", "The lyrics circle around leaving and coming home.",
                 "It opens with a few seconds of tape hiss before everything kicks in.",
                 "A remix with a slower tempo is also doing the rounds.", "It runs just under four minutes.",
                 "The closing minute strips everything back to a single melody.",
                 "It first caught on through word of mouth and late-night radio.",
                 "It sits comfortably between the old and the new.", "The bridge is where it really takes off.",
                 "It has quietly racked up millions of plays."]
MUSIC: dict[str, dict] = {
    "Rock": dict(tag="rock", closers=MUSIC_CLOSERS, slots=dict(artist=["The Hollow Pines", "Static Orchard", "Marlowe Street", "Red Kestrel",
                                                "The Paper Anchors", "Iron Lantern"]), subs=[
        S(["guitar", "indie-rock"], ["{W1} {W2}", "{W2} of the {W1} Kind"],
          [["{Mood} indie rock song from {artist}, built on jangling guitars and a big chorus.",
            "{Mood} indie rock track by {artist} with chiming guitars and a shout-along hook."],
           ["It carries {a_era} sound, all reverb and tight drums.", "The production has {a_era} edge to it."],
           ["{activity}"]]),
        S(["guitar", "classic-rock"], ["{W1} {W2}", "{W2} on Fire"],
          [["{Mood} slab of classic rock from {artist}, led by a bluesy guitar riff.",
            "Driving classic rock from {artist}: {mood} anthem with a soaring solo."],
           ["Think {a_era} stadium sound with a swaggering rhythm section.", "It has {a_era} swagger."],
           ["{activity}"]], mood=MOODS_LOUD, activity=ACT_LOUD),
        S(["punk", "loud"], ["{W2} Riot", "{W1} Noise"],
          [["Fast, loud and {mood_tag}, this punk track from {artist} is over in under three minutes.",
            "{artist} delivered {mood} blast of punk with shouted vocals and buzzsaw guitars."],
           ["It channels {a_era} DIY energy.", "Raw, {era} production keeps it urgent."],
           ["{activity}"]], mood=MOODS_LOUD, activity=ACT_LOUD),
    ]),
    "Pop": dict(tag="pop", closers=MUSIC_CLOSERS, slots=dict(artist=["Lila Moon", "Jonah Vale", "Skylar Reyes", "The Sunday Club", "Nova Hart",
                                               "Maisie Crane"]), subs=[
        S(["synth-pop", "catchy"], ["{W1} {W2}", "{W2} (Radio Edit)"],
          [["{Mood} synth-pop single from {artist} with a chorus that sticks after one listen.",
            "{artist} returned with {mood} pop song built on glossy synths and handclaps."],
           ["The sound is pure {era} pop, bright and polished.", "Producers gave it {a_era} sheen."],
           ["{activity}"]]),
        S(["ballad", "vocals"], ["{W2} Without You", "{W1} {W2}"],
          [["{Mood} piano ballad from {artist} that showcases a huge vocal range.",
            "Stripped back and {mood_tag}, this pop ballad from {artist} builds to an emotional final chorus."],
           ["Strings swell underneath in {a_era} style.", "It has {a_era} warmth."],
           ["{activity}"]], mood=MOODS_SOFT, activity=ACT_SOFT),
        S(["dance-pop", "catchy"], ["{W1} {W2} Tonight", "Dancing in the {W2}"],
          [["{Mood} dance-pop track from {artist} with a four-to-the-floor beat.",
            "{artist} went full disco on this {mood_tag} dance-pop number."],
           ["Expect {era} basslines and a sparkling hook.", "It nods to {a_era} club pop."],
           ["{activity}"]], mood=MOODS_LOUD, activity=ACT_LOUD),
    ]),
    "Hip-Hop": dict(tag="hip-hop", closers=MUSIC_CLOSERS, slots=dict(artist=["K.Ode", "Marlo Banks", "Two Rivers Crew", "Ayo Sable",
                                                       "Lyric Theory", "DJ Fennick"]), subs=[
        S(["rap", "boom-bap"], ["{W1} {W2}", "{W2} Freestyle"],
          [["{Mood} boom-bap track from {artist}, with dusty drums and sharp storytelling.",
            "{artist} traded verses over {mood} boom-bap beat built from a soul sample."],
           ["It wears its {era} influences proudly.", "The beat has {a_era} crackle."],
           ["{activity}"]]),
        S(["trap", "bass"], ["{W2} Up", "{W1} Money"],
          [["{Mood} trap banger from {artist} with rattling hi-hats and heavy 808s.",
            "Heavy bass and {mood_tag} flows drive this trap track from {artist}."],
           ["The production feels {era} and polished.", "It has {a_era} bounce."],
           ["{activity}"]], mood=MOODS_LOUD, activity=ACT_LOUD),
        S(["conscious-rap", "lyrics"], ["Letters to {W2}", "{W1} {W2}"],
          [["{Mood} and thoughtful, this track from {artist} tackles growing up in a changing city.",
            "{artist} delivered {mood} reflection on family and ambition over a jazzy loop."],
           ["The beat has {a_era} warmth under sharp lyrics.", "Production is {era} and unhurried."],
           ["{activity}"]]),
    ]),
    "Electronic": dict(tag="electronic", closers=MUSIC_CLOSERS, slots=dict(artist=["Vektor Bloom", "Halden", "Soft Circuit", "Oona Drift",
                                                             "Parallel Coast", "Lumen Fields"]), subs=[
        S(["house", "dance"], ["{W1} {W2}", "{W2} (Extended Mix)"],
          [["{Mood} house track from {artist} with a rolling bassline and euphoric piano stabs.",
            "{artist} served up {mood} house cut that builds patiently to a big drop."],
           ["It borrows {era} club textures.", "The drums have {a_era} punch."],
           ["{activity}"]], mood=MOODS_LOUD, activity=ACT_LOUD),
        S(["techno", "instrumental"], ["{W2} 9", "{W1} Machines"],
          [["{Mood} techno track from {artist}: hypnotic, minimal and relentless.",
            "Pulsing and {mood_tag}, this techno piece from {artist} is built for long sets."],
           ["Analogue synths give it {a_era} grit.", "It has {a_era} warehouse atmosphere."],
           ["{activity}"]], mood=MOODS_LOUD, activity=ACT_LOUD),
        S(["synthwave", "retro"], ["{W1} Drive", "{W2} 1986"],
          [["{Mood} synthwave track from {artist}, all arpeggiated synths and gated drums.",
            "{artist} made {mood} synthwave that sounds like a night drive through a neon city."],
           ["It is a love letter to {era} film soundtracks.", "Expect {a_era} nostalgia by the bucket."],
           ["{activity}"]]),
    ]),
    "Jazz": dict(tag="jazz", closers=MUSIC_CLOSERS, slots=dict(artist=["The Marta Quintet", "Eli Brooks Trio", "Nadia Sol", "Blue Room Collective",
                                                 "Theo Lark", "The Late Set"]), subs=[
        S(["saxophone", "bebop"], ["{W1} {W2}", "Blues for {W2}"],
          [["{Mood} jazz tune from {artist}, led by a fluid saxophone line.",
            "{artist} swung hard on this {mood_tag} bebop number."],
           ["The recording has {a_era} small-club intimacy.", "Brushed drums give it {a_era} feel."],
           ["{activity}"]]),
        S(["piano", "smooth-jazz"], ["{W2} at Dusk", "{W1} Waltz"],
          [["{Mood} piano-led jazz piece from {artist} with soft brushes and upright bass.",
            "Gentle and {mood_tag}, this piano trio track from {artist} takes its time."],
           ["It carries {a_era} warmth.", "The mix is {era} and close-miked."],
           ["{activity}"]], mood=MOODS_SOFT, activity=ACT_SOFT),
        S(["jazz-fusion", "instrumental"], ["{W1} Fusion", "{W2} Suite"],
          [["{Mood} jazz-fusion workout from {artist} with electric piano and slap bass.",
            "{artist} blended jazz and funk on this {mood_tag} instrumental."],
           ["It sounds like {a_era} fusion at its boldest.", "There is {a_era} adventurousness to it."],
           ["{activity}"]]),
    ]),
    "Classical": dict(tag="classical", closers=MUSIC_CLOSERS, slots=dict(artist=["the Aldgate Chamber Orchestra", "pianist Irina Vask",
                                                           "the Meridian String Quartet", "cellist Tomas Evander",
                                                           "the Northgate Sinfonia", "the Linden Choir"]), subs=[
        S(["orchestral", "instrumental"], ["Symphony No. {num}: {W1} {W2}", "Overture: {W1} {W2}"],
          [["{Mood} orchestral recording by {artist}, full of sweeping strings and bright brass.",
            "A new recording by {artist} of {mood_tag} orchestral music for a large ensemble."],
           ["The performance is a recording with {a_era} concert-hall acoustics.", "The interpretation has {a_era} polish."],
           ["{activity}"]], num=[str(i) for i in range(1, 10)]),
        S(["piano", "solo"], ["Nocturne in {W1}", "Prelude: {W2}"],
          [["{Mood} solo piano piece performed by {artist}, delicate and unhurried.",
            "Performed by {artist}, this {mood_tag} piano piece moves from stillness to storm."],
           ["The recording has {a_era} intimacy.", "It is captured in a warm, {era} recording."],
           ["{activity}"]], mood=MOODS_SOFT, activity=ACT_SOFT),
        S(["choral", "strings"], ["{W1} Requiem", "Songs of the {W2}"],
          [["{Mood} choral work sung by {artist}, with voices layered over gentle strings.",
            "{artist} performed this {mood_tag} string piece with great tenderness."],
           ["It carries {a_era} clarity.", "The recording captures {a_era} cathedral echo."],
           ["{activity}"]], mood=MOODS_SOFT, activity=ACT_SOFT),
    ]),
    "Folk & Acoustic": dict(tag="folk", closers=MUSIC_CLOSERS, slots=dict(artist=["Rowan & Wren", "Ada Fairweather", "The Tin Kettle Band",
                                                            "Callum Reid", "Birch Hollow", "Josie Marr"]), subs=[
        S(["acoustic", "singer-songwriter"], ["{W1} {W2}", "Song for {W2}"],
          [["{Mood} acoustic song by {artist}, just fingerpicked guitar and a close, honest voice.",
            "Singer-songwriter {artist} offers up {mood} story song about leaving home."],
           ["It has {a_era} coffee-house feel.", "The recording is warm with {a_era} simplicity."],
           ["{activity}"]], mood=MOODS_SOFT, activity=ACT_SOFT),
        S(["folk", "fiddle"], ["The {W1} Reel", "{W2} Over the Hill"],
          [["{Mood} folk tune from {artist} with fiddle, banjo and foot-stomping rhythm.",
            "{artist} gave a traditional melody {mood} modern twist with fiddle and harmonium."],
           ["It has {a_era} folk-revival spirit.", "Rough edges give it {a_era} charm."],
           ["{activity}"]], mood=MOODS_LOUD, activity=ACT_LOUD),
        S(["americana", "storytelling"], ["{W1} Highway", "Porch Light {W2}"],
          [["{Mood} americana song from {artist} with slide guitar and harmonies.",
            "{artist} sang about long roads and small towns on this {mood_tag} americana track."],
           ["It feels {era} and lived-in.", "The band plays with {a_era} looseness."],
           ["{activity}"]]),
    ]),
    "R&B & Soul": dict(tag="soul", closers=MUSIC_CLOSERS, slots=dict(artist=["Imani Rose", "The Velvet Tones", "Dante Cole", "Sade Marie",
                                                       "Brooks & Bell", "Corinne Ashe"]), subs=[
        S(["r-and-b", "vocals"], ["{W1} {W2}", "All My {W2}"],
          [["{Mood} R&B track from {artist} with silky vocals and a slow groove.",
            "{artist} glided over {mood} R&B beat with layered harmonies."],
           ["The production leans {era}.", "It has {a_era} smoothness."],
           ["{activity}"]], mood=MOODS_SOFT, activity=ACT_SOFT),
        S(["soul", "horns"], ["{W2} Train", "Sweet {W2}"],
          [["{Mood} soul song from {artist} with punchy horns and a gospel-tinged chorus.",
            "Horns, organ and {mood_tag} vocals power this soul number from {artist}."],
           ["It could pass for {a_era} classic.", "The band plays with {a_era} swing."],
           ["{activity}"]], mood=MOODS_LOUD, activity=ACT_LOUD),
        S(["neo-soul", "groove"], ["{W1} Hours", "{W2} Interlude"],
          [["{Mood} neo-soul track from {artist}, with lazy drums and Rhodes chords.",
            "{artist} mixed jazz chords and {mood_tag} vocals on this neo-soul cut."],
           ["It has {a_era} warmth.", "The groove feels {era} and relaxed."],
           ["{activity}"]], mood=MOODS_SOFT, activity=ACT_SOFT),
    ]),
    "Ambient & Chill": dict(tag="ambient", closers=MUSIC_CLOSERS, slots=dict(artist=["Still Water", "Kite & Cloud", "Mara Linden", "Drift Atlas",
                                                               "Low Tide Radio", "Fern Echo"]), subs=[
        S(["ambient", "instrumental"], ["{W1} {W2}", "{W2} (Slow Version)"],
          [["{Mood} ambient piece from {artist}, built from slow washes of synth and field recordings.",
            "{artist} created {mood} ambient soundscape that drifts for eight minutes."],
           ["There is {a_era} patience to it.", "It has {a_era} calm."],
           ["{activity}"]], mood=MOODS_SOFT, activity=ACT_SOFT),
        S(["lo-fi", "beats"], ["{W1} Beats", "{W2} Study Tape"],
          [["{Mood} lo-fi beat from {artist} with vinyl crackle and a soft piano loop.",
            "Soft drums and {mood_tag} keys make this lo-fi track from {artist} easy to loop."],
           ["It has {a_era} tape warmth.", "The loop feels {era} and hazy."],
           ["{activity}"]], mood=MOODS_SOFT, activity=ACT_SOFT),
        S(["chillout", "downtempo"], ["{W1} Sunset", "Balearic {W2}"],
          [["{Mood} downtempo track from {artist} with warm bass and a sunset mood.",
            "{artist} kept the tempo low on this {mood_tag} chillout track."],
           ["It has {a_era} beach-bar ease.", "Expect {a_era} lounge textures."],
           ["{activity}"]], mood=MOODS_SOFT, activity=ACT_SOFT),
    ]),
}


def music_item(rng: np.random.Generator, category: str, serial: int) -> dict:
    spec = MUSIC[category]
    for _ in range(20):
        it = story_item(rng, spec, MUSIC_GLOBAL, {}, {}, price=(0.69, 1.49), full=1.0, closer_p=0.8)
        if "{" not in it["description"]:
            break
    # era/mood/activity tags are planted via slots; the price is per track
    it["price"] = round(float(pick(rng, [0.69, 0.79, 0.99, 1.29, 1.49])) if it["band"] != 2 else 1.49, 2)
    it["band"] = 0 if it["price"] <= 0.79 else (1 if it["price"] <= 1.29 else 2)
    return it


def music_domain() -> Domain:
    interests = {
        "Rock": ["rock", "guitar bands", "indie rock", "loud guitars"],
        "Pop": ["pop", "catchy pop songs", "big pop ballads", "dance-pop"],
        "Hip-Hop": ["hip-hop", "rap with good lyrics", "trap beats", "boom-bap"],
        "Electronic": ["electronic music", "house and techno", "synthwave", "club tracks"],
        "Jazz": ["jazz", "piano trios", "sax-led jazz", "jazz fusion"],
        "Classical": ["classical music", "piano sonatas", "orchestral recordings", "choral music"],
        "Folk & Acoustic": ["folk", "acoustic singer-songwriters", "americana", "fiddle tunes"],
        "R&B & Soul": ["soul and R&B", "neo-soul", "old-school soul with horns", "smooth vocals"],
        "Ambient & Chill": ["ambient music", "lo-fi beats", "chillout", "calm instrumental stuff"],
    }
    avoid = {"Rock": ["loud guitar music"], "Pop": ["chart pop"], "Hip-Hop": ["rap"], "Electronic": ["club music"],
             "Jazz": ["jazz"], "Classical": ["classical"], "Folk & Acoustic": ["folk music"],
             "R&B & Soul": ["slow jams"], "Ambient & Chill": ["background music"]}
    tag_words = {"70s": "70s sounds", "80s": "80s sounds", "90s": "90s sounds", "2000s": "2000s stuff",
                 "2010s": "2010s tracks", "2020s": "new 2020s releases", "road-trip": "road trips",
                 "late-night": "late-night listening", "sunday-morning": "slow Sunday mornings",
                 "r-and-b": "R&B", "lo-fi": "lo-fi", "workout": "workout tracks", "cooking": "music to cook to",
                 "focus": "focus music", "party": "party tracks", "upbeat": "upbeat songs", "mellow": "mellow tracks",
                 "dark": "dark, moody stuff", "dreamy": "dreamy sounds", "joyful": "happy songs",
                 "melancholic": "sad songs", "romantic": "romantic songs", "energetic": "high-energy tracks"}
    recency = {1: ["I want the newest releases.", "Always hunting for new music."],
               -1: ["I prefer old recordings to new releases."]}
    personas = [
        dict(name="Gym playlist", description="I need energetic tracks for the gym, hip-hop and electronic mostly.",
             liked=[("Hip-Hop", "energetic"), ("Electronic", "workout")], disliked=[("Classical", None)]),
        dict(name="Retired jazz lover", description="I'm a retired teacher in my seventies who loves jazz piano and soul from the 70s.",
             liked=[("Jazz", "piano"), ("R&B & Soul", "70s")], disliked=[]),
        dict(name="Study focus", description="Student, 20, looking for calm music to study to. No lyrics if possible.",
             liked=[("Ambient & Chill", "focus")], disliked=[("Rock", "punk")]),
        dict(name="80s kid", description="Man in my fifties who grew up on 80s synths and guitar bands.",
             liked=[("Electronic", "80s"), ("Rock", "80s")], disliked=[]),
        dict(name="Folk fan", description="Acoustic guitar, honest songwriting and a bit of fiddle. Sunday morning music.",
             liked=[("Folk & Acoustic", "acoustic")], disliked=[]),
        dict(name="Romantic evening", description="Smooth, romantic songs for dinner at home with my wife.",
             liked=[("R&B & Soul", "romantic")], disliked=[("Rock", "punk")]),
        dict(name="Cold start, no history", description="Good music for the weekend.", liked=[], disliked=[]),
    ]

    def weight(cat: str, age: int, gender: str) -> float:
        if cat in ("Jazz", "Classical"):
            return 2.0 if age >= 50 else 0.7
        if cat in ("Hip-Hop", "Electronic", "Pop"):
            return 1.8 if age < 35 else 0.7
        return 1.0

    return Domain(name="music", categories=list(MUSIC), category_tags={}, make_item=music_item, interests=interests,
                  avoid_phrases=avoid, tag_words=tag_words, has_price=True, max_age_days=3 * 365,
                  recency_choices=((-0.6, 0.0, 0.8), (0.2, 0.55, 0.25)), recency_phrases=recency,
                  price_phrases={}, personas=personas, category_weight=weight,
                  tag_sentence_templates=["I mostly listen to {all}.", "I always have {all} on my headphones.",
                                          "My playlists are full of {all}.", "Give me {all} any day."])


# ----------------------------------------------------------------------------------------------------------
# Social (people and groups to follow)
# ----------------------------------------------------------------------------------------------------------
SOCIAL_GLOBAL = dict(
    first=FIRST + ["Greta", "Idris", "Beatriz", "Malik", "Freya", "Tariq", "Olive", "Ravi", "Esme", "Niall"],
    last=LAST + ["Oduya", "Marchetti", "Holloway", "Tanaka", "Byrne", "Abara", "Lindgren", "Shah"],
    city=NEWS_GLOBAL["city"],
    cadence=["Posts a few times a week.", "Posts most days, usually in the morning.", "Shares a long post every Sunday.",
             "Active daily, with a weekly live Q&A.", "Posts in bursts, then goes quiet for a while.",
             "Replies to almost every comment."],
    style=["Known for a dry sense of humour and very practical advice.", "Writes in a warm, conversational tone.",
           "Posts come with sources, photos and the occasional bad pun.",
           "Followers say the comment section is the friendliest around.", "Keeps things short, honest and useful.",
           "Often shares other people's work alongside their own.",
           "Before this, {name} spent ten years in a completely different job, which shows in the fresh perspective.",
           "{name} started posting during a career break and never stopped.",
           "Expect long threads, careful explanations and no clickbait."],
    group_size=["Around {n} members, mostly from {city} and nearby.", "The group has about {n} members worldwide.",
                "Roughly {n} members and growing every month."],
    group_style=["New members join every week and introductions are encouraged.", "Run by volunteers and free to join.",
                 "Moderators keep discussions friendly and on topic.", "Meets online and in person a few times a year.",
                 "Weekly threads keep things lively without flooding your feed."],
)


SOCIAL: dict[str, dict] = {
    "Tech & Programming": dict(tag="tech", subs=[
        dict(tags=["programming", "python", "open-source"], roles=["backend developer", "open-source maintainer",
                                                                   "data engineer"],
             person=["{Name} is a {role} in {city} who writes about Python, testing and clean code.",
                     "{Role} based in {city}, {name} shares practical Python tips and code reviews."],
             groups=["{City} Python Meetup", "Open Source Newcomers"],
             group=["A friendly group for people who write Python, from first scripts to production systems.",
                    "This community helps first-time contributors find a welcoming open-source project."],
             more=["Threads often include small, runnable examples.", "Beginner questions are welcome and answered kindly.",
                   "Monthly challenges keep members coding."]),
        dict(tags=["ai", "machine-learning", "data"], roles=["machine learning researcher", "data scientist",
                                                             "AI engineer"],
             person=["{Name} is a {role} in {city} who explains new AI papers in plain language.",
                     "{Role} {name} posts hands-on notebooks about machine learning and data."],
             groups=["Applied ML Reading Club", "Data Folks of {City}"],
             group=["Members read one machine learning paper a week and discuss what it means in practice.",
                    "A group for data people to share dashboards, datasets and career advice."],
             more=["Expect charts, code and healthy scepticism about hype.", "Posts link to reproducible examples."]),
        dict(tags=["web-dev", "design", "javascript"], roles=["frontend developer", "UX designer", "web developer"],
             person=["{Name} is a {role} who shares accessible web design patterns and CSS tricks.",
                     "{Role} from {city}, {name} livestreams building small web apps from scratch."],
             groups=["Frontend Friday", "Accessible Web Collective"],
             group=["A weekly thread where frontend developers show what they built and get feedback.",
                    "This collective shares resources for building websites everyone can use."],
             more=["Screenshots and before-and-after comparisons make the posts easy to follow."]),
    ]),
    "Food & Cooking": dict(tag="food", subs=[
        dict(tags=["vegetarian", "recipes", "budget-cooking"], roles=["home cook", "food writer", "community cook"],
             person=["{Name} is a {role} in {city} who posts cheap, quick vegetarian dinners.",
                     "{Role} {name} shares plant-based recipes that use five ingredients or fewer."],
             groups=["Vegetarian Weeknight Cooks", "Cooking on a Shoestring"],
             group=["Members swap vegetarian recipes that are ready in under half an hour.",
                    "A supportive group for cooking well on a tight budget, with weekly meal plans."],
             more=["Shopping lists and batch-cooking tips come with most posts.",
                   "Photos are honest, not styled, which people seem to love."]),
        dict(tags=["baking", "sourdough", "recipes"], roles=["baker", "pastry chef", "bread enthusiast"],
             person=["{Name} is a {role} from {city} who documents every sourdough loaf, good or bad.",
                     "{Role} {name} posts step-by-step cakes and pastries for home bakers."],
             groups=["Weekend Sourdough Bakers", "{City} Bake Club"],
             group=["A community of home bakers troubleshooting starters, crumb and crust together.",
                    "This club meets monthly to swap bakes and recipes."],
             more=["Failures get posted too, with notes on what went wrong."]),
        dict(tags=["restaurants", "street-food", "travel-food"], roles=["food critic", "street food guide", "chef"],
             person=["{Name} is a {role} reviewing cheap eats and hidden gems around {city}.",
                     "{Role} {name} maps the best street food stalls in {city}."],
             groups=["{City} Food Finds", "Street Food Lovers"],
             group=["Locals share new openings, lunch deals and honest reviews.",
                    "A group for people who plan trips around markets and food stalls."],
             more=["Every review includes a price and a one-line verdict."]),
    ]),
    "Fitness & Running": dict(tag="fitness", subs=[
        dict(tags=["running", "marathon", "training"], roles=["running coach", "marathon runner", "physio"],
             person=["{Name} is a {role} in {city} who posts training plans for first marathons.",
                     "{Role} {name} shares weekly long-run diaries and injury-prevention tips."],
             groups=["{City} Parkrun Friends", "First Marathon Club"],
             group=["A sociable running group with slow, no-one-left-behind Saturday runs.",
                    "People training for their first marathon share plans, doubts and race-day stories."],
             more=["Pace charts and recovery advice appear in most posts.", "Beginners get a lot of encouragement."]),
        dict(tags=["yoga", "mobility", "wellbeing"], roles=["yoga teacher", "pilates instructor", "mobility coach"],
             person=["{Name} is a {role} who posts ten-minute morning routines anyone can follow.",
                     "{Role} {name} shares gentle stretches for people who sit all day."],
             groups=["Morning Yoga Circle", "Desk Workers Who Stretch"],
             group=["Members follow a short daily practice and share how it went.",
                    "A group for office workers building better posture and mobility."],
             more=["Short videos come with clear cues for beginners."]),
        dict(tags=["strength", "gym", "nutrition"], roles=["personal trainer", "powerlifter", "sports nutritionist"],
             person=["{Name} is a {role} who explains strength training without the shouting.",
                     "{Role} {name} posts simple, high-protein meal ideas for lifters."],
             groups=["Strong at Any Age", "Home Gym Builders"],
             group=["A welcoming group for lifting weights in your forties, fifties and beyond.",
                    "Members show off garage gyms and swap second-hand equipment."],
             more=["Form checks are offered on request."]),
    ]),
    "Travel & Photography": dict(tag="travel", subs=[
        dict(tags=["travel", "budget-travel", "backpacking"], roles=["travel writer", "backpacker", "slow traveller"],
             person=["{Name} is a {role} from {city} posting detailed budget itineraries.",
                     "{Role} {name} shares overland routes and cheap places to sleep."],
             groups=["Budget Travel Exchange", "Slow Travel by Train"],
             group=["Members share routes, costs and tips for travelling far on little money.",
                    "A group for people who would rather take the train than fly."],
             more=["Each trip report ends with a full cost breakdown."]),
        dict(tags=["photography", "landscape", "street-photography"], roles=["landscape photographer",
                                                                              "street photographer", "photo editor"],
             person=["{Name} is a {role} who posts moody coastal landscapes and editing walkthroughs.",
                     "{Role} {name} captures everyday life on the streets of {city}."],
             groups=["{City} Photo Walks", "Film Photography Revival"],
             group=["A group that organises monthly photo walks and critiques.",
                    "Members shoot on film and share scans, cameras and darkroom tips."],
             more=["Camera settings are listed under every picture."]),
    ]),
    "Parenting & Family": dict(tag="parenting", subs=[
        dict(tags=["parenting", "toddlers", "family-life"], roles=["parent blogger", "family therapist", "midwife"],
             person=["{Name} is a {role} who writes honestly about life with toddlers.",
                     "{Role} {name} answers parents' questions about sleep, tantrums and weaning."],
             groups=["New Parents of {City}", "Toddler Survival Club"],
             group=["A local group for new parents to arrange meet-ups and swap baby gear.",
                    "Parents of toddlers share tips, funny stories and moral support."],
             more=["Posts are practical, warm and judgement-free."]),
        dict(tags=["education", "kids-activities", "family-life"], roles=["primary school teacher", "children's author",
                                                                          "play therapist"],
             person=["{Name} is a {role} sharing rainy-day activities and reading lists for kids.",
                     "{Role} {name} posts simple science experiments to do at the kitchen table."],
             groups=["Family Days Out {City}", "Home Learning Ideas"],
             group=["Families share cheap days out, parks and museums around the city.",
                    "A group swapping activity sheets and ideas for learning at home."],
             more=["Most ideas cost next to nothing."]),
    ]),
    "Gaming": dict(tag="gaming", subs=[
        dict(tags=["indie-games", "reviews", "pc-gaming"], roles=["games critic", "indie developer", "streamer"],
             person=["{Name} is a {role} who highlights overlooked indie games every week.",
                     "{Role} {name} streams cosy and strategy games with a relaxed, chatty style."],
             groups=["Indie Game Spotlight", "Cosy Gamers Club"],
             group=["Members recommend small indie games and organise group playthroughs.",
                    "A calm corner of the internet for farming sims, puzzles and cosy games."],
             more=["No spoilers without a warning."]),
        dict(tags=["esports", "competitive", "fps"], roles=["esports caster", "competitive player", "coach"],
             person=["{Name} is an {role} breaking down tactics from the latest tournaments.",
                     "{Role} {name} posts aim-training drills and match analysis."],
             groups=["Ranked Grinders", "{City} LAN Society"],
             group=["A group for competitive players to find teammates and scrimmage partners.",
                    "This society runs monthly LAN nights and small tournaments."],
             more=["Clips are short and heavily annotated."]),
        dict(tags=["board-games", "tabletop", "rpg"], roles=["game designer", "dungeon master", "board game reviewer"],
             person=["{Name} is a {role} who reviews board games for families and groups.",
                     "{Role} {name} shares campaign ideas for tabletop role-playing games."],
             groups=["Tabletop Tuesday {City}", "New Dungeon Masters"],
             group=["A weekly board game night with a huge shared games library.",
                    "A group for first-time game masters to share adventures and advice."],
             more=["Newcomers are always welcome at the table."]),
    ]),
    "Climate & Environment": dict(tag="climate", subs=[
        dict(tags=["sustainability", "zero-waste", "eco-living"], roles=["sustainability consultant",
                                                                          "zero-waste blogger", "repair café organiser"],
             person=["{Name} is a {role} sharing small, realistic ways to waste less at home.",
                     "{Role} {name} posts repair tutorials for clothes, bikes and gadgets."],
             groups=["Zero-Waste {City}", "Repair, Don't Replace"],
             group=["Locals swap refill shop tips, bulk buys and second-hand finds.",
                    "A community fixing broken things together instead of throwing them away."],
             more=["The tone is encouraging rather than preachy."]),
        dict(tags=["climate-science", "energy", "policy"], roles=["climate scientist", "energy analyst", "policy researcher"],
             person=["{Name} is a {role} who explains climate data with clear charts.",
                     "{Role} {name} writes threads about heat pumps, solar and the grid."],
             groups=["Climate Data Explained", "Community Energy {City}"],
             group=["Members discuss new climate research with links to the original sources.",
                    "A group setting up shared solar panels and energy co-ops."],
             more=["Sources are always linked."]),
        dict(tags=["nature", "wildlife", "gardening"], roles=["ecologist", "wildlife gardener", "birdwatcher"],
             person=["{Name} is an {role} posting about wildlife in city parks and gardens.",
                     "{Role} {name} shares how to turn a small garden into a haven for bees and birds."],
             groups=["Urban Wildlife Watch", "{City} Community Gardeners"],
             group=["Members log sightings of birds, foxes and insects across the city.",
                    "A group that runs shared vegetable plots and seed swaps."],
             more=["Great photos and gentle, practical advice."]),
    ]),
    "Books & Writing": dict(tag="books", subs=[
        dict(tags=["book-club", "fiction", "reading"], roles=["librarian", "book reviewer", "bookseller"],
             person=["{Name} is a {role} in {city} who recommends one novel every week.",
                     "{Role} {name} posts short, spoiler-free reviews of new fiction."],
             groups=["Slow Readers Book Club", "{City} Library Circle"],
             group=["A book club that reads one novel a month and talks about it honestly.",
                    "Readers swap recommendations and organise author talks."],
             more=["Recommendations span literary fiction, crime and translated novels."]),
        dict(tags=["writing", "poetry", "creative-writing"], roles=["novelist", "poet", "writing tutor"],
             person=["{Name} is a {role} sharing daily writing prompts and craft notes.",
                     "{Role} {name} posts about drafting, editing and getting published."],
             groups=["Morning Pages Writers", "Poetry Swap"],
             group=["Members write every morning and share short pieces for feedback.",
                    "A gentle group for sharing poems and reading each other's work."],
             more=["Feedback is kind and specific."]),
    ]),
    "Personal Finance": dict(tag="finance", subs=[
        dict(tags=["budgeting", "saving", "frugal"], roles=["money coach", "frugal living blogger", "financial educator"],
             person=["{Name} is a {role} sharing simple budgets that actually stick.",
                     "{Role} {name} posts weekly challenges for saving on food, energy and travel."],
             groups=["Frugal Living Tips", "Saving for a First Home"],
             group=["Members trade money-saving ideas and celebrate small wins.",
                    "People saving for a deposit share progress, tips and mortgage questions."],
             more=["No get-rich-quick schemes, just steady habits."]),
        dict(tags=["investing", "pensions", "markets"], roles=["financial planner", "index-fund investor",
                                                               "economics lecturer"],
             person=["{Name} is a {role} who explains investing and pensions without jargon.",
                     "{Role} {name} posts calm commentary when markets get jumpy."],
             groups=["Index Investing for Beginners", "Retire Early Forum"],
             group=["A group for people starting to invest, with a strict no-hype rule.",
                    "Members plan for early retirement and compare notes on savings rates."],
             more=["Nothing here is financial advice, but the explanations are excellent."]),
    ]),
}


def social_item(rng: np.random.Generator, category: str, serial: int) -> dict:
    spec = SOCIAL[category]
    sub = pick(rng, spec["subs"])
    g = SOCIAL_GLOBAL
    for _ in range(40):
        first, last, city = pick(rng, g["first"]), pick(rng, g["last"]), pick(rng, g["city"])
        role = pick(rng, sub["roles"])
        slots = dict(Name=f"{first} {last}", name=first, role=role, Role=cap(role), city=city, City=city)
        is_group = rng.random() < 0.35
        if is_group:
            title = fill(pick(rng, sub["groups"]), slots)
            parts = [fill(pick(rng, sub["group"]), slots)]
        else:
            title = f"{first} {last}"
            parts = [fill(pick(rng, sub["person"]), slots)]
        if rng.random() < 0.85:
            parts.append(pick(rng, sub["more"]))
        if is_group:
            parts.append(fill(pick(rng, g["group_size"]), dict(n=pick(rng, ["40", "120", "300", "850", "2,000", "6,500"]),
                                                                  city=city)))
            parts.append(pick(rng, g["group_style"]))
        else:
            parts.append(fill(pick(rng, g["style"]), slots) if rng.random() < 0.7 else pick(rng, g["cadence"]))
            if rng.random() < 0.5:
                parts.append(pick(rng, g["cadence"]))
        parts = parts[:4]
        text = tidy(" ".join(parts))
        if 28 <= words_of(text) <= 70 and text.count(".") <= 4:
            break
    tags = [spec["tag"], "group" if is_group else "person"] + sample(rng, sub["tags"], int(rng.integers(1, 4)))
    tags = list(dict.fromkeys(tags))
    if len(tags) < 3:
        tags += [t for t in sub["tags"] if t not in tags][:1]
    if rng.random() < 0.2:
        tags.append("beginner")
    if rng.random() < 0.15:
        tags.append("local")
    return dict(title=title, description=text, tags=list(dict.fromkeys(tags))[:6])


def social_domain() -> Domain:
    interests = {
        "Tech & Programming": ["programming", "Python and open source", "AI and data", "web development"],
        "Food & Cooking": ["cooking", "vegetarian recipes", "baking bread", "street food"],
        "Fitness & Running": ["running", "yoga", "strength training", "staying active"],
        "Travel & Photography": ["travel", "photography", "budget backpacking", "slow travel by train"],
        "Parenting & Family": ["parenting", "family life", "activities for kids"],
        "Gaming": ["gaming", "indie games", "board games", "esports"],
        "Climate & Environment": ["climate", "sustainable living", "urban wildlife", "community energy"],
        "Books & Writing": ["books", "book clubs", "writing", "poetry"],
        "Personal Finance": ["personal finance", "saving money", "investing", "budgeting"],
    }
    avoid = {"Tech & Programming": ["tech bros"], "Food & Cooking": ["food pics"], "Fitness & Running": ["gym selfies"],
             "Travel & Photography": ["travel influencers"], "Parenting & Family": ["parenting content"],
             "Gaming": ["gaming streams"], "Climate & Environment": ["climate debates"],
             "Books & Writing": ["book talk"], "Personal Finance": ["money talk"]}
    tag_words = {"person": "individual creators", "group": "groups and communities", "web-dev": "web dev",
                 "budget-cooking": "budget cooking", "zero-waste": "zero waste", "board-games": "board games",
                 "indie-games": "indie games", "kids-activities": "kids' activities", "local": "local groups"}
    recency = {1: ["I like discovering new accounts that just started."]}
    personas = [
        dict(name="New in town", description="I just moved to a new city and want local groups for running and cooking.",
             liked=[("Fitness & Running", "running", "Parkrun"), ("Food & Cooking", "group")], disliked=[]),
        dict(name="Junior developer", description="I'm a 23-year-old junior developer learning Python and machine learning.",
             liked=[("Tech & Programming", "python")], disliked=[("Gaming", "esports")]),
        dict(name="Retired birdwatcher",
             description="I'm a retired librarian in my seventies who loves birds, gardening and a good novel.",
             liked=[("Climate & Environment", "wildlife"), ("Books & Writing", "fiction")], disliked=[]),
        dict(name="Busy mum", description="Working mum of two toddlers looking for practical parenting tips and quick dinners.",
             liked=[("Parenting & Family", "toddlers")], disliked=[]),
        dict(name="Frugal saver", description="Saving for a first home on a modest salary. Budgeting and frugal living tips.",
             liked=[("Personal Finance", "saving")], disliked=[("Personal Finance", "investing")]),
        dict(name="Cosy gamer", description="Nonbinary, 30, into cosy indie games and tabletop role-playing.",
             liked=[("Gaming", "indie-games")], disliked=[]),
        dict(name="Cold start, no history", description="Interesting people to follow.", liked=[], disliked=[]),
    ]
    return Domain(name="social", categories=list(SOCIAL), category_tags={}, make_item=social_item,
                  interests=interests, avoid_phrases=avoid, tag_words=tag_words, has_price=False,
                  max_age_days=3 * 365, recency_choices=((0.0, 0.8), (0.7, 0.3)), recency_phrases=recency,
                  price_phrases={}, personas=personas, weights=SignalWeights(bias=-3.2),
                  tag_sentence_templates=["I want to follow people who are into {all}.", "Mostly here for {all}.",
                                          "I love accounts about {all}.", "I want my feed full of {all}."])


# ----------------------------------------------------------------------------------------------------------
DOMAIN_BUILDERS: dict[str, Callable[[], Domain]] = {
    "ecommerce": ecommerce_domain,
    "news": news_domain,
    "video": video_domain,
    "music": music_domain,
    "social": social_domain,
}

if __name__ == "__main__":
    sys.exit(main())
