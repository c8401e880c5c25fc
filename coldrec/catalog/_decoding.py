"""Turn the bytes of a text table into str: byte-order marks, strict UTF-8, UTF-16 without BOM, detection.

Nothing is silently mangled: bytes the chosen encoding cannot decode become private-use markers, so the rows
holding them can be skipped and reported with the original bytes shown as ``\\xNN``.
"""

from __future__ import annotations

import codecs
import re


# Bytes that could not be decoded are mapped to these private-use code points (U+F0000 + byte) by the
# "coldrec-undecodable" error handler, so the parser sees valid text and the rows holding them can be
# reported (and skipped) with the original bytes shown, instead of being silently mangled.
_BAD_BYTE_BASE = 0xF0000
_BAD_BYTE_RE = re.compile("[\U000f0000-\U000f00ff]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_BAD_CHARS_PATTERN = "[\U000f0000-\U000f00ff\ud800-\udfff]"


def _undecodable_handler(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):  # pragma: no cover - only registered for decoding
        raise err
    bad = err.object[err.start : err.end]
    return "".join(chr(_BAD_BYTE_BASE + b) for b in bad), err.end


codecs.register_error("coldrec-undecodable", _undecodable_handler)


_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _decode(data: bytes, label: str) -> tuple[str, str, list[str], bool]:
    """Decode bytes: BOM, then strict UTF-8, then UTF-16 without BOM, then detection.

    Returns ``(text, encoding, warnings, marked)``. Bytes that the chosen encoding cannot decode become
    private-use markers (see ``_BAD_BYTE_BASE``) and ``marked`` is True; the rows holding them are then
    skipped as "undecodable bytes" (shown as ``\\xNN`` in the report), so nothing is silently mangled.
    """
    warnings: list[str] = []
    boms = [enc for bom, enc in _BOMS if data.startswith(bom)]
    for enc in boms:  # a UTF-16 LE BOM followed by U+0000 looks like a UTF-32 BOM: strict first
        try:
            return data.decode(enc), enc, warnings, False
        except UnicodeDecodeError:
            continue
    if boms:
        enc = boms[-1]
        text = data.decode(enc, "coldrec-undecodable")
        warnings.append(f"some bytes are not valid {enc}; the rows holding them are skipped as 'undecodable bytes'.")
        return text, enc, warnings, True
    try:
        return data.decode("utf-8"), "utf-8", warnings, False
    except UnicodeDecodeError:
        pass
    # UTF-16 without BOM: many NUL bytes at even (BE) or odd (LE) positions
    if len(data) >= 4 and len(data) % 2 == 0:
        sample = data[:65536]
        odd_nul = sample[1::2].count(0) / max(1, len(sample) // 2)
        even_nul = sample[0::2].count(0) / max(1, len(sample) // 2)
        for frac, enc in ((odd_nul, "utf-16-le"), (even_nul, "utf-16-be")):
            if frac > 0.3:
                try:
                    text = data.decode(enc)
                except UnicodeDecodeError:
                    continue
                warnings.append(f"decoded as {enc} (no byte-order mark); save as UTF-8 to be sure.")
                return text, enc, warnings, False
    mixed = _decode_mixed(data)
    if mixed is not None:
        text, enc, note, any_marked = mixed
        warnings.append(note)
        return text, enc, warnings, any_marked
    marked = data.decode("utf-8", "coldrec-undecodable")
    bad = len(_BAD_BYTE_RE.findall(marked))
    good_multibyte = len(_UTF8_MULTIBYTE.findall(data))
    if good_multibyte >= max(1, bad):
        # mostly valid UTF-8 with a few broken bytes: keep UTF-8, report the rows that hold them
        warnings.append(
            f"{bad:,} byte(s) are not valid UTF-8; the rows holding them are skipped as 'undecodable bytes'."
        )
        return marked, "utf-8", warnings, True
    enc = _detect_encoding(data)
    if enc:
        try:
            text = data.decode(enc)
            warnings.append(
                f"not UTF-8: decoded as {enc} (detected). Check accented and non-Latin characters, or save "
                "the file as UTF-8."
            )
            return text, enc, warnings, False
        except (UnicodeDecodeError, LookupError):
            pass
    high = sum(data.count(bytes([b])) for b in range(0x80, 0x100)) if len(data) < 5_000_000 else 0
    candidates = ("gb18030", "cp1252", "latin-1") if high >= 0.3 * len(data) else ("cp1252", "latin-1")
    for enc in candidates:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        warnings.append(
            f"not UTF-8 and no encoding detected with confidence: decoded as {enc}. Check accented characters, "
            "or save the file as UTF-8."
        )
        return text, enc, warnings, False
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _line_list(numbers: list[int], limit: int = 10) -> str:
    shown = ", ".join(str(n) for n in numbers[:limit])
    return shown + (f", … (+{len(numbers) - limit:,})" if len(numbers) > limit else "")


def _decode_mixed(data: bytes) -> tuple[str, str, str, bool] | None:
    """Per-line decoding of a file that mixes UTF-8 lines with lines in one other encoding, or None.

    Used when some lines are valid UTF-8 holding non-ASCII text and others are not UTF-8: the other lines are
    decoded with the encoding detected on them alone (when they hold enough non-ASCII bytes for that to mean
    something: a stray broken byte stays an undecodable row), lines valid in neither keep markers (their rows
    are skipped and reported). The note names the lines decoded each way.
    """
    lines = data.split(b"\n")
    utf8_rich, bad = [], []
    for i, ln in enumerate(lines):
        try:
            ln.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(i)
            continue
        if max(ln, default=0) >= 0x80:
            utf8_rich.append(i)
    if not utf8_rich or not bad:
        return None
    blob = b"\n".join(lines[i] for i in bad)
    high = sum(1 for b in blob if b >= 0x80)
    enc = _detect_encoding(blob) if high >= 4 else None
    if enc is None or codecs.lookup(enc).name in ("utf-8", "ascii"):
        return None
    out, other, undecodable = [], [], []
    bad_set = set(bad)
    for i, ln in enumerate(lines):
        if i not in bad_set:
            out.append(ln.decode("utf-8"))
            continue
        try:
            txt = ln.decode(enc)
            if re.search("[\x80-\x9f]", txt):  # C1 controls: not text in that encoding either
                raise UnicodeDecodeError(enc, ln, 0, 1, "control characters")
            out.append(txt)
            other.append(i + 1)
        except UnicodeDecodeError:
            out.append(ln.decode("utf-8", "coldrec-undecodable"))
            undecodable.append(i + 1)
    note = (f"the file mixes encodings: {len(lines) - len(bad):,} line(s) read as UTF-8 and {len(other):,} as {enc} "
            f"(lines {_line_list(other)}; file line numbers, the header is line 1). Check those rows, or save the "
            "file as UTF-8.")
    if undecodable:
        note += (f" Lines {_line_list(undecodable)} are valid in neither; their rows are skipped as 'undecodable "
                 "bytes'.")
    return "\n".join(out), f"utf-8+{enc}", note, bool(undecodable)


# Preference among equally plausible detections (charset-normalizer often ties on short text).
_ENCODING_PREFERENCE = (
    "utf_8", "gb18030", "cp1252", "latin_1", "iso8859_15", "cp932", "shift_jis", "big5", "euc_jp", "cp949",
    "euc_kr", "cp1251", "koi8_r", "cp1250", "iso8859_2", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
)
_LATIN_SINGLE_BYTE = frozenset(
    "latin_1 iso8859_1 iso8859_2 iso8859_3 iso8859_4 iso8859_9 iso8859_10 iso8859_13 iso8859_14 iso8859_15 "
    "iso8859_16 cp1250 cp1252 cp1254 cp1257 cp1258 cp437 cp850 cp852 cp775 cp858 mac_roman mac_latin2 "
    "mac_iceland mac_turkish hp_roman8".split()
)
_GB_ALIASES = ("gb2312", "gbk", "hz", "cp936", "gb18030")


def _detect_encoding(data: bytes) -> str | None:
    """Best guess among charset-normalizer's matches: least chaos, then most coherence, then preference."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - listed in requirements
        return None
    sample = data
    if len(data) > 500_000:  # detect on a prefix cut at a line end (not inside a character)
        cut = data.rfind(b"\n", 0, 500_000)
        sample = data[: cut if cut > 0 else 500_000]
    try:
        matches = list(from_bytes(sample))
    except Exception:  # detection is a hint, never a failure
        return None
    if not matches:
        return None
    min_chaos = min(m.chaos for m in matches)
    close = [m for m in matches if m.chaos <= min_chaos + 0.02]
    max_coh = max(m.coherence for m in close)
    close = [m for m in close if m.coherence >= max_coh - 0.05]

    def norm(enc: str) -> str:
        e = enc.lower().replace("-", "_")
        return "gb18030" if e in _GB_ALIASES else e

    def rank(m) -> tuple[int, float]:
        e = norm(m.encoding)
        pref = _ENCODING_PREFERENCE.index(e) if e in _ENCODING_PREFERENCE else len(_ENCODING_PREFERENCE)
        return pref, -m.coherence

    enc = norm(min(close, key=rank).encoding)
    if enc in _LATIN_SINGLE_BYTE and enc != "cp1252":
        # Western text is far more often Windows-1252 than Baltic/Central-European code pages, which the
        # detector tends to prefer on short samples: take cp1252 when it reads the high bytes as letters.
        try:
            as1252 = data.decode("cp1252")
        except UnicodeDecodeError:
            as1252 = None
        if as1252 is not None:
            high = [ch for ch in as1252 if ord(ch) > 127]
            if high and sum(ch.isalpha() for ch in high) >= 0.8 * len(high):
                enc = "cp1252"
    if max_coh < 0.1 and enc not in _ENCODING_PREFERENCE[:4]:
        # no language evidence (short text): most catalogs that are not UTF-8 are Windows-1252
        try:
            data.decode("cp1252")
            enc = "cp1252"
        except UnicodeDecodeError:
            pass
    try:
        return codecs.lookup(enc).name
    except LookupError:
        return None
