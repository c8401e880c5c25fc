"""Word lists behind :func:`coldrec.analysis._wordswap.swap_words`: gendered word triples, age words, locales, clauses.

Pure data (plus the small tables derived from it); the matching and rewriting lives in :mod:`coldrec.analysis._wordswap`.
"""

from __future__ import annotations

# ---------------------------------------------------------------- gender
# (male, female, neutral)
GENDER_ROWS: list[tuple[str, str, str]] = [
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
GENDER_EXTRA = {"mum": "mom", "mrs": "ms", "miss": "ms", "mummy": "mom", "mommy": "mom",
                 "daddy": "dad", "fiancé": "fiance", "fiancée": "fiancee"}
GENDER_LABELS = ("male", "female", "neutral")  # index = gender code (0 male, 1 female)

THEY_VERB_FIX = {"is": "are", "was": "were", "has": "have", "does": "do", "isn't": "aren't",
                  "wasn't": "weren't", "hasn't": "haven't", "doesn't": "don't", "'s": "'re"}
HER_OBJECT_FOLLOWERS = {"", "and", "or", "but", "to", "for", "with", "about", "at", "in", "on", "from", "of",
                         "too", "as", "so", "because", "when", "if", "that", "than", "again", "back", "up",
                         "out",
                         "her", "his", "a", "an", "the", "my", "your", "our", "their", "this", "these",
                         "those", "some", "any", "every", "all", "very", "much", "more", "most", "while"}

NOT_VERBS = {"always", "sometimes", "perhaps", "also", "was", "is", "has", "does", "thus", "nevertheless",
              "as", "us", "this", "his", "hers", "its", "yes", "less", "unless", "plus", "ourselves"}

# ---------------------------------------------------------------- age
AGE_LABELS = ("young", "middle", "old")
AGE_NUMBER = {"young": 22, "middle": 45, "old": 70}
DECADES = ["teens", "twenties", "thirties", "forties", "fifties", "sixties", "seventies", "eighties",
            "nineties"]
AGE_DECADE = {"young": "twenties", "middle": "forties", "old": "seventies"}
AGE_WORDS: dict[str, tuple[str, str, str]] = {
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

# ---------------------------------------------------------------- locale
# label: (city, country after "in/from", country bare, demonym)
LOCALES: dict[str, dict[str, str]] = {
    "UK": {"city": "London", "country_the": "the UK", "country": "UK", "demonym": "British"},
    "US": {"city": "New York", "country_the": "the US", "country": "US", "demonym": "American"},
    "Canada": {"city": "Toronto", "country_the": "Canada", "country": "Canada", "demonym": "Canadian"},
    "Australia": {"city": "Sydney", "country_the": "Australia", "country": "Australia",
                  "demonym": "Australian"},
    "India": {"city": "Mumbai", "country_the": "India", "country": "India", "demonym": "Indian"},
    "Nigeria": {"city": "Lagos", "country_the": "Nigeria", "country": "Nigeria", "demonym": "Nigerian"},
}
LOCALE_SOURCES: dict[str, tuple[str, str]] = {}  # lower surface form -> (locale, slot)
for _loc, _cities in {
    "UK": ["London", "Manchester", "Birmingham", "Leeds", "Glasgow", "Edinburgh", "Liverpool", "Bristol"],
    "US": ["New York", "NYC", "Los Angeles", "Chicago", "San Francisco", "Boston", "Seattle", "Houston"],
    "Canada": ["Toronto", "Vancouver", "Montreal", "Calgary", "Ottawa"],
    "Australia": ["Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide"],
    "India": ["Mumbai", "Delhi", "New Delhi", "Bangalore", "Bengaluru", "Chennai", "Kolkata", "Hyderabad"],
    "Nigeria": ["Lagos", "Abuja", "Ibadan"],
}.items():
    for _c in _cities:
        LOCALE_SOURCES[_c.lower()] = (_loc, "city")
for _loc, _countries in {
    "UK": ["United Kingdom", "Britain", "Great Britain", "England", "Scotland", "Wales"],
    "US": ["United States", "America", "USA"],
    "Canada": ["Canada"],
    "Australia": ["Australia"],
    "India": ["India"],
    "Nigeria": ["Nigeria"],
}.items():
    for _c in _countries:
        LOCALE_SOURCES[_c.lower()] = (_loc, "country")
for _loc, _dems in {
    "UK": ["British", "Brit", "Scottish", "Welsh"],
    "US": ["American"],
    "Canada": ["Canadian"],
    "Australia": ["Australian", "Aussie"],
    "India": ["Indian"],
    "Nigeria": ["Nigerian"],
}.items():
    for _d in _dems:
        LOCALE_SOURCES[_d.lower()] = (_loc, "demonym")

# upper-case abbreviations only ("us" is a pronoun)
LOCALE_ABBR = {"UK": "UK", "U.K.": "UK", "US": "US", "U.S.": "US", "U.S.A.": "US", "USA": "US"}

CLAUSES: dict[str, dict[str, str]] = {
    "gender": {"female": " I am a woman.", "male": " I am a man.", "neutral": " I am non-binary."},
    "age": {"young": " I am 22 years old.", "middle": " I am 45 years old.", "old": " I am 70 years old."},
    "locale": {lab: f" I live in {loc['city']}." for lab, loc in LOCALES.items()},
}

# "young kids", "elderly parents", "young adult novels": the adjective describes someone (something) else
AGE_OTHER_NOUNS = {"kid", "kids", "child", "children", "son", "sons", "daughter", "daughters", "family",
                    "families", "baby", "babies", "toddler", "toddlers", "ones", "grandchildren", "grandkids",
                    "adult", "adults", "parent", "parents", "mother", "father", "mum", "mom", "dad",
                    "relatives", "neighbour", "neighbours", "neighbor", "neighbors", "brother", "sister",
                    "siblings", "nephew", "niece", "cousin", "cousins", "audience", "audiences", "readers"}
AGE_ADJECTIVES = {"young", "younger", "elderly", "older", "middle-aged"}
