"""Shared fixtures: a fast fake encoder, one session-scoped real MiniLM, tiny data with known answers."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Truth tests compare against fp32; the per-machine precision calibration is tested on its own (test_calibrate.py).
os.environ.setdefault("COLDREC_PRECISION", "fp32")

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATASETS = Path(os.environ.get("COLDREC_DATA", ROOT.parent / "shared" / "datasets"))


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own embedding cache and data folders: tests never touch the user's."""
    monkeypatch.setenv("COLDREC_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("COLDREC_USER_DATA", str(tmp_path_factory.mktemp("user-data")))


@pytest.fixture
def fake_encoder():
    from coldrec.encoders import HashEncoder

    return HashEncoder(dim=64)


@pytest.fixture(scope="session")
def minilm():
    """The real bundled all-MiniLM-L6-v2 on the CPU, loaded once per test session."""
    import torch

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    from coldrec.encoders import load_encoder

    return load_encoder(device="cpu", precision="fp32")


TINY_ITEMS = [
    ("h1", "Quiet wireless noise-cancelling headphones", "Over-ear headphones with long battery life.", "Audio"),
    ("h2", "Sport earbuds", "Wireless earbuds for running, sweat resistant.", "Audio"),
    ("g1", "Garden hose", "A thirty metre garden hose with a spray nozzle for watering plants.", "Garden"),
    ("g2", "Pruning shears", "Sharp garden shears for roses and hedges.", "Garden"),
    ("k1", "Vegetarian cookbook", "Simple vegetarian recipes for one, on a budget.", "Kitchen"),
    ("k2", "Compact saucepan set", "Three small saucepans for a tiny kitchen.", "Kitchen"),
]


@pytest.fixture
def tiny_frame() -> pd.DataFrame:
    return pd.DataFrame(TINY_ITEMS, columns=["item_id", "title", "description", "category"])


@pytest.fixture
def tiny_catalog(tiny_frame):
    from coldrec.catalog import ColumnMap, load_catalog

    cols = ColumnMap(id="item_id", text=["title", "description"], template="{title}. {description}",
                     title="title", category="category")
    return load_catalog(tiny_frame, cols, name="tiny")


@pytest.fixture
def shared_datasets() -> Path:
    if not SHARED_DATASETS.is_dir():
        pytest.skip(f"real datasets not found at {SHARED_DATASETS} (set COLDREC_DATA to run realdata tests)")
    return SHARED_DATASETS


def unit_rows(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


# ---------------------------------------------------------------------------------------- no network
def _is_local(address) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0] if isinstance(address, tuple) and address else address
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture
def no_network(monkeypatch):
    """Outbound connections to anything but localhost raise; the attempts are recorded."""
    attempts: list = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guard(real):
        def connect(self, address):
            if not _is_local(address):
                attempts.append(address)
                raise OSError(f"network blocked by test_safety: {address!r}")
            return real(self, address)

        return connect

    monkeypatch.setattr(socket.socket, "connect", guard(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guard(real_connect_ex))

    def no_dns(host, *args, **kwargs):
        if not _is_local((host,)):
            attempts.append(("dns", host))
            raise socket.gaierror(f"DNS blocked by test_safety: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    return attempts
