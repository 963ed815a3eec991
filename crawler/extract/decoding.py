"""Bytes to text: BOM > HTTP header > <meta charset> > detection, with mis-declaration recovery.

GB2312/GBK are read as GB18030 (a superset). A declared charset is only trusted when the
bytes decode cleanly with it; otherwise the next candidate is tried, so a UTF-8 header over
a GBK body (or the reverse) is recovered instead of producing mojibake.
"""

from __future__ import annotations

import codecs

from . import rules

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


#: Leading bytes of formats that are never an HTML page, and their names.
BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF"), (b"\x89PNG", "PNG image"), (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"), (b"PK\x03\x04", "ZIP archive"), (b"\x1f\x8b", "gzip data"),
    (b"SQLite format 3\x00", "SQLite database"), (b"BZh", "bzip2 data"),
    (b"\xfd7zXZ\x00", "xz data"), (b"7z\xbc\xaf", "7z archive"), (b"Rar!", "RAR archive"),
    (b"\x7fELF", "executable"), (b"wOFF", "font"), (b"wOF2", "font"), (b"OggS", "audio"),
    (b"ID3", "audio"), (b"fLaC", "audio"), (b"\x28\xb5\x2f\xfd", "zstd data"),
)
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
#: C0 control bytes that no text page contains (not TAB, LF, FF, CR, ESC or NUL, which
#: has its own count below).
_CONTROL_BYTES = bytes(b for b in range(1, 32) if b not in (9, 10, 12, 13, 27))


def not_html_reason(data: bytes) -> str | None:
    """Why ``data`` cannot be an HTML page (a known binary format, NUL bytes, control
    bytes), or None when it may be one. The crawler and ``newsarchive extract`` both ask
    this before extracting."""
    head = data.lstrip()[:16]
    for magic, name in BINARY_MAGIC:
        if head.startswith(magic):
            return f"not an HTML page ({name})"
    if data.startswith(_UTF16_32_BOMS):
        return None
    nuls = data.count(b"\0")
    if nuls > len(data) // 100:
        return f"corrupt page: {nuls} NUL bytes in {len(data)}"
    sample = data[:65536]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls > max(8, len(sample) // 100):
        return f"not an HTML page (binary content: {controls} control bytes in {len(sample)})"
    return None


def normalize_charset(name: str | None) -> str | None:
    """Map a declared charset label to a Python codec name, or None if unknown."""
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    if not label:
        return None
    label = rules.CHARSET_ALIASES.get(label, label)
    try:
        codec = codecs.lookup(label).name
    except (LookupError, ValueError):
        return None
    codec = rules.CHARSET_ALIASES.get(codec, codec)
    if codec in ("gbk", "gb2312"):
        return "gb18030"
    if codec == "latin-1" or codec == "iso8859-1":
        return "cp1252"
    if codec in ("utf-16", "utf-32", "utf-7"):
        # Without a BOM these are almost always mislabelled ASCII-compatible pages.
        return None
    return codec


def _sniff_meta(data: bytes) -> str | None:
    head = data[: rules.SNIFF_BYTES]
    for m in rules.META_CHARSET_RE.finditer(head):
        for g in m.groups():
            if g:
                cs = normalize_charset(g.decode("ascii", "ignore"))
                if cs:
                    return cs
    return None


def _try(data: bytes, codec: str, limit: int | None = None) -> tuple[int, str | None]:
    """(number of undecodable spots, the text when clean), tolerating one truncated
    character at the very end. With ``limit``, counting stops once it is exceeded (the
    count returned is then only known to be > limit)."""
    try:
        return 0, data.decode(codec)
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 4 and exc.reason.startswith("unexpected end"):
            return 0, None
    except LookupError:
        return 1 << 30, None
    if limit is None:
        return data.decode(codec, "replace").count("\ufffd"), None
    dec = codecs.getincrementaldecoder(codec)("replace")
    errs = 0
    step = 16384
    for i in range(0, len(data), step):
        errs += dec.decode(data[i: i + step], i + step >= len(data)).count("\ufffd")
        if errs > limit:
            break
    return errs, None


def _has_multibyte_utf8(data: bytes) -> bool:
    return not data[:200000].isascii()


def _decode(data: bytes, codec: str, text: str | None = None) -> str:
    if text is not None:
        return text
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return data.decode(codec, "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def decode_html(data: bytes, http_encoding: str | None = None) -> tuple[str, str]:
    """Decode an HTML page. Returns (text, codec name used). Never raises."""
    try:
        return _decode_html(data or b"", http_encoding)
    except Exception:  # pragma: no cover - defensive: decoding must never fail
        return (data or b"").decode("utf-8", "replace"), "utf-8"


def _decode_html(data: bytes, http_encoding: str | None) -> tuple[str, str]:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            body = data[len(bom):]
            return _decode(body, codec), codec

    candidates: list[str] = []
    for cs in (normalize_charset(http_encoding), _sniff_meta(data)):
        if cs and cs not in candidates:
            candidates.append(cs)

    if data.isascii():
        # Pure ASCII: any ASCII-compatible declaration gives the same text.
        codec = next((c for c in candidates if c not in ("utf-16-le", "utf-16-be")), "utf-8")
        return data.decode("ascii", "replace"), codec

    # Valid UTF-8 with multi-byte sequences is practically never a GBK or Big5 page:
    # prefer it over a declaration that is a legacy charset.
    errs, text = _try(data, "utf-8", len(data) // 20000)
    if errs == 0 and _has_multibyte_utf8(data):
        if not candidates or candidates[0] != "utf-8":
            return _decode(data, "utf-8", text), "utf-8"

    strong = [c for c in candidates if c not in rules.SINGLE_BYTE_CHARSETS]
    weak = [c for c in candidates if c in rules.SINGLE_BYTE_CHARSETS]
    order = strong + [c for c in rules.DETECTION_ORDER if c not in strong] + weak
    tried: list[tuple[int, int, str]] = []
    utf8 = (errs, text)
    limit = len(data) // 20000
    for rank, codec in enumerate(order):
        errs, text = utf8 if codec == "utf-8" else _try(data, codec, limit)
        # A handful of stray bytes in a large page is normal for legacy CMSs.
        if errs <= limit:
            return _decode(data, codec, text), codec
        tried.append((errs, rank, codec))
    # Nothing decodes cleanly: the codec with the fewest errors (counted in full).
    tried = [(_try(data, c)[0], r, c) for _e, r, c in tried]
    tried.sort()
    codec = tried[0][2] if tried else "utf-8"
    return _decode(data, codec), codec
