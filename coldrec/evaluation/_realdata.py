"""Loaders for the public datasets in ``../shared/datasets`` (read in place, never copied into the repo).

Each loader reproduces the counts written in that folder's ``SOURCE.md``:

* :func:`load_scientific` — Amazon 2018 "Industrial & Scientific" as processed by UniSRec (RecBole atomic files):
  8,442 users, 4,385 items, 59,384 interactions reconstructed from the test rows.
* :func:`load_citeulike` — CiteULike-a titles + Heater's strict item cold-start split (``heater-split/``):
  train 164,210 / vali 13,037 / test 27,739 pairs; 13,584 warm, 1,018 vali and 2,378 test items.
* :func:`load_movielens100k` — MovieLens 100K: 100,000 ratings, 943 users, 1,682 items.

The data folder is resolved by :func:`resolve_data_dir`: an explicit path, else the environment variable
``COLDREC_DATA``, else ``../shared/datasets`` relative to the repository root (found from this file, not the
current directory).
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from coldrec.errors import ColdrecError

__all__ = [
    "DATASETS",
    "default_data_dir",
    "resolve_data_dir",
    "dataset_dir",
    "ScientificData",
    "CiteULikeData",
    "MovieLensData",
    "load_scientific",
    "load_citeulike",
    "load_movielens100k",
    "demographic_text",
]

#: dataset key -> (folder name, a file that must exist in it)
DATASETS: dict[str, tuple[str, str]] = {
    "scientific": ("amazon-scientific", "Scientific.text"),
    "citeulike-a": ("citeulike-a", "citeutitles.txt"),
    "movielens-100k": ("movielens-100k", "u.data"),
}


class DataNotFoundError(ColdrecError):
    """A dataset folder or file is missing."""


def default_data_dir() -> Path:
    """``$COLDREC_DATA`` if set, else ``<repo root>/../shared/datasets`` (independent of the working directory)."""
    env = os.environ.get("COLDREC_DATA")
    if env:
        return Path(env).expanduser()
    repo_root = Path(__file__).resolve().parents[2]
    return repo_root.parent / "shared" / "datasets"


def resolve_data_dir(data: str | Path | None = None) -> Path:
    """Return the datasets root: ``data`` when given, else :func:`default_data_dir`."""
    return Path(data).expanduser() if data else default_data_dir()


def dataset_dir(name: str, data: str | Path | None = None) -> Path:
    """Folder of one dataset. ``data`` may be the datasets root or the dataset folder itself.

    Raises:
        DataNotFoundError: naming the paths tried and the expected file.
    """
    if name not in DATASETS:
        raise ColdrecError(f"unknown dataset {name!r}; valid choices: {', '.join(DATASETS)}")
    folder, marker = DATASETS[name]
    root = resolve_data_dir(data)
    for cand in (root / folder, root):
        if (cand / marker).is_file():
            return cand
    raise DataNotFoundError(
        f"dataset {name!r} not found: neither {root / folder / marker} nor {root / marker} exists. "
        f"Pass --data (the folder holding {', '.join(f for f, _ in DATASETS.values())}) or set COLDREC_DATA."
    )


# --------------------------------------------------------------------------------------------- Scientific
@dataclass
class ScientificData:
    """UniSRec's Scientific set. Item and user indices are the 0-based ints of the atomic files.

    Attributes:
        item_ids: asin per item index.
        texts: item text (title + categories + brand) per item index.
        test_history / test_target: per user (index = user id): history (≤ 50 items, oldest first) and the
            held-out last item.
        valid_history / valid_target: the same one step earlier (target = second-to-last item).
        train_history / train_target: one row per training prefix (RecBole's train.inter).
    """

    item_ids: list[str]
    texts: list[str]
    test_history: list[np.ndarray]
    test_target: np.ndarray
    valid_history: list[np.ndarray]
    valid_target: np.ndarray
    train_history: list[np.ndarray]
    train_target: np.ndarray
    n_users_indexed: int = 0

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def n_users(self) -> int:
        return len(self.test_target)

    @property
    def n_interactions(self) -> int:
        """Interactions reconstructed from the test rows (history + target); 59,384 per SOURCE.md."""
        return int(sum(len(h) for h in self.test_history) + len(self.test_target))

    def train_sequences(self) -> list[np.ndarray]:
        """Per user, the training sequence (everything before the validation target), oldest first."""
        return [h for h in self.valid_history]


def _read_inter(path: Path) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    users, hists, targets = [], [], []
    with open(path, encoding="utf-8") as fh:
        header = fh.readline()
        if not header.startswith("user_id"):
            raise ColdrecError(f"{path}: expected a RecBole header starting with 'user_id', got {header[:60]!r}")
        for line in fh:
            u, h, t = line.rstrip("\n").split("\t")
            users.append(int(u))
            hists.append(np.array(h.split(), dtype=np.int64))
            targets.append(int(t))
    return np.array(users, dtype=np.int64), hists, np.array(targets, dtype=np.int64)


def load_scientific(data: str | Path | None = None) -> ScientificData:
    """Load the UniSRec Scientific files (see ``amazon-scientific/SOURCE.md``)."""
    d = dataset_dir("scientific", data)
    item2index: dict[str, int] = {}
    with open(d / "Scientific.item2index", encoding="utf-8") as fh:
        for line in fh:
            asin, idx = line.rstrip("\n").split("\t")
            item2index[asin] = int(idx)
    n_items = len(item2index)
    item_ids = [""] * n_items
    for asin, idx in item2index.items():
        item_ids[idx] = asin
    texts = [""] * n_items
    with open(d / "Scientific.text", encoding="utf-8") as fh:
        fh.readline()
        for line in fh:
            asin, _, text = line.rstrip("\n").partition("\t")
            if asin in item2index:
                texts[item2index[asin]] = text.strip()
    with open(d / "Scientific.user2index", encoding="utf-8") as fh:
        n_users_indexed = sum(1 for _ in fh)

    def per_user(path: Path) -> tuple[list[np.ndarray], np.ndarray]:
        users, hists, targets = _read_inter(path)
        order = np.argsort(users, kind="stable")
        if not np.array_equal(users[order], np.arange(len(users))):
            raise ColdrecError(f"{path}: expected exactly one row per user 0..n-1")
        return [hists[i] for i in order], targets[order]

    test_h, test_t = per_user(d / "Scientific.test.inter")
    valid_h, valid_t = per_user(d / "Scientific.valid.inter")
    _, train_h, train_t = _read_inter(d / "Scientific.train.inter")
    return ScientificData(item_ids, texts, test_h, test_t, valid_h, valid_t, train_h, train_t, n_users_indexed)


# --------------------------------------------------------------------------------------------- CiteULike
@dataclass
class CiteULikeData:
    """CiteULike-a with Heater's split. Pairs are ``(n, 2)`` int arrays of (uid, iid), both 0-based.

    ``titles[iid]`` is the title of item ``iid``. ``users`` are the per-user libraries of ``users.dat``.
    """

    titles: list[str]
    users: list[np.ndarray]
    train: np.ndarray
    vali: np.ndarray
    test: np.ndarray
    n_users: int = 5551
    abstracts: dict[int, str] = field(default_factory=dict)

    @property
    def n_items(self) -> int:
        return len(self.titles)

    @property
    def n_pairs(self) -> int:
        return int(sum(len(u) for u in self.users))

    def split_items(self, split: str) -> np.ndarray:
        """Sorted distinct item ids of ``train``, ``vali`` or ``test``."""
        return np.unique(getattr(self, split)[:, 1])


def _read_pairs(path: Path) -> np.ndarray:
    arr = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
    return arr.reshape(-1, 2)


def load_citeulike(data: str | Path | None = None, *, abstracts: bool = False) -> CiteULikeData:
    """Load CiteULike-a titles, libraries and the Heater split (see ``citeulike-a/SOURCE.md``).

    Args:
        abstracts: also read the 1,929-paper partial abstracts, mapped to items by exact title (not used by
            the published protocol; most items have none).
    """
    d = dataset_dir("citeulike-a", data)
    with open(d / "citeutitles.txt", encoding="utf-8", errors="replace") as fh:
        titles = [line.rstrip("\n").strip() for line in fh]
    users = []
    with open(d / "users.dat", encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            users.append(np.array(parts[1:], dtype=np.int64))
    split = d / "heater-split"
    if not (split / "train.csv").is_file():
        raise DataNotFoundError(f"Heater split not found: {split / 'train.csv'} is missing")
    abs_map: dict[int, str] = {}
    if abstracts:
        path = d / "extra_raw-data_subset1929_hebatef.csv"
        if path.is_file():
            index = {t: i for i, t in enumerate(titles)}
            with open(path, encoding="utf-8", errors="replace", newline="") as fh:
                reader = csv.reader(fh, escapechar="\\")
                next(reader, None)
                for row in reader:
                    if len(row) >= 5 and row[3].strip() in index:
                        abs_map[index[row[3].strip()]] = row[4]
    return CiteULikeData(
        titles=titles,
        users=users,
        train=_read_pairs(split / "train.csv"),
        vali=_read_pairs(split / "vali.csv"),
        test=_read_pairs(split / "test.csv"),
        n_users=len(users),
        abstracts=abs_map,
    )


# --------------------------------------------------------------------------------------------- MovieLens
@dataclass
class MovieLensData:
    """MovieLens 100K with 0-based indices (``user_id - 1``, ``movie_id - 1``).

    Attributes:
        ratings: ``(100000, 4)`` int array of (user, item, rating, timestamp).
        titles: ``"Toy Story (1995)"`` per item. genres: list of genre names per item.
        item_texts: title + genres, e.g. ``"Toy Story (1995). Animation, Children's, Comedy"``.
        users: DataFrame-free per-user demographics: ages, genders ("M"/"F"), occupations, zips.
    """

    ratings: np.ndarray
    titles: list[str]
    genres: list[list[str]]
    ages: np.ndarray
    genders: list[str]
    occupations: list[str]
    zips: list[str]
    genre_names: list[str]
    occupation_names: list[str]

    @property
    def n_users(self) -> int:
        return len(self.ages)

    @property
    def n_items(self) -> int:
        return len(self.titles)

    @property
    def item_texts(self) -> list[str]:
        return [f"{t}. {', '.join(g) if g else 'unknown genre'}" for t, g in zip(self.titles, self.genres)]

    def user_texts(self) -> list[str]:
        """Demographic descriptions, e.g. "a 24-year-old male technician"."""
        return [demographic_text(a, g, o) for a, g, o in zip(self.ages, self.genders, self.occupations)]


def demographic_text(age: int, gender: str, occupation: str) -> str:
    """Text for a user known only by demographics: ``"a 24-year-old male technician"``."""
    noun = {"M": "man", "F": "woman"}.get(gender, "person")
    sex = {"M": "male", "F": "female"}.get(gender, "")
    if occupation == "other":
        words = f"{int(age)}-year-old {noun}"
    elif occupation == "none":
        words = f"{int(age)}-year-old {noun} with no occupation"
    else:
        words = f"{int(age)}-year-old {sex} {occupation}".replace("  ", " ")
    article = "an" if words.startswith(("8", "11-", "18-")) else "a"
    return f"{article} {words}"


def load_movielens100k(data: str | Path | None = None) -> MovieLensData:
    """Load ml-100k ``u.data``, ``u.item``, ``u.user``, ``u.genre``, ``u.occupation`` (latin-1)."""
    d = dataset_dir("movielens-100k", data)
    ratings = np.loadtxt(d / "u.data", dtype=np.int64, ndmin=2)
    ratings[:, 0] -= 1
    ratings[:, 1] -= 1
    genre_names = []
    with open(d / "u.genre", encoding="latin-1") as fh:
        for line in fh:
            if line.strip():
                genre_names.append(line.strip().split("|")[0])
    titles, genres = [], []
    with open(d / "u.item", encoding="latin-1") as fh:
        for line in fh:
            if not line.strip():
                continue
            parts = line.rstrip("\n").split("|")
            titles.append(parts[1].strip())
            flags = parts[5:5 + len(genre_names)]
            genres.append([genre_names[i] for i, f in enumerate(flags) if f == "1" and genre_names[i] != "unknown"])
    ages, genders, occs, zips = [], [], [], []
    with open(d / "u.user", encoding="latin-1") as fh:
        for line in fh:
            if not line.strip():
                continue
            _, age, g, occ, z = line.rstrip("\n").split("|")
            ages.append(int(age))
            genders.append(g)
            occs.append(occ)
            zips.append(z)
    with open(d / "u.occupation", encoding="latin-1") as fh:
        occupation_names = [line.strip() for line in fh if line.strip()]
    return MovieLensData(ratings, titles, genres, np.array(ages), genders, occs, zips, genre_names, occupation_names)
