"""Which charset a page's or feed's bytes are really in, whatever they are labelled, and the
bytes read as text: for the page and feed adapters, and the markers OPML import reads too.

The order (`sniff`): a byte-order mark or a wide-encoding pattern; then UTF-8 when the bytes
are UTF-8 (a legacy charset practically never forms valid multi-byte UTF-8, so that beats any
label), damaged UTF-8 included; then the first declared label that reads the bytes; then
detection from a bounded sample (`charset_normalizer`); last, Windows-1252.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator

# Byte patterns that announce a wide encoding (a BOM, or `<` as its first character).
_WIDE_ENCODINGS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (b"<\0\0\0", "utf-32-le"),
    (b"\0\0\0<", "utf-32-be"),
    (b"<\0", "utf-16-le"),
    (b"\0<", "utf-16-be"),
)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9_.:-]{1,40})", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE
)
_XML_DECLARATION = re.compile(r"^<\?xml\b[^>]*\?>")
_XML_ENCODING = re.compile(r"""\bencoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")

_UTF8 = "utf-8"
_LAST_RESORT = "cp1252"  # what mislabelled Western pages almost always are
# Python codecs that are no charset a server means: slow on a large body (punycode), or
# turning escapes into markup (UTF-7 was an XSS vector; browsers dropped it).
_NOT_CHARSETS = {"punycode", "idna", "unicode-escape", "raw-unicode-escape", "utf-7"}
# Labels read as the superset browsers read them as (the WHATWG Encoding Standard): a page
# labelled ISO-8859-1 with curly quotes in 0x91-0x94 means Windows-1252's quotes. (Not
# US-ASCII, as browsers do: bytes above 0x7f prove that label wrong, so they are detected.)
_SUPERSETS = {
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
}
# What detection may answer: the legacy charsets of the web, in the order a tie is settled
# (a text that reads the same in Windows-1250 and 1252 is 1252). DOS and Mac code pages are
# left out: they are almost never served, and short Western texts look like them.
_CANDIDATES = (
    "cp1252", "cp1251", "koi8_r", "koi8_u", "cp1250", "iso8859_2", "cp1253", "iso8859_7",
    "cp1254", "cp1257", "cp1255", "cp1256", "cp1258", "cp874", "iso8859_5",
    "cp932", "euc_jp", "gb18030", "big5", "cp949",
)  # fmt: skip
_SAMPLE_BYTES = 32 * 1024  # what detection reads: a 10 MB page costs what a 30 KB one does
_CONTEXT = 64  # ASCII bytes kept before each non-ASCII stretch of the sample
_NON_ASCII = re.compile(rb"[\x80-\xff]+")
_REPLACEMENT = "\ufffd"
_REPLACEMENT_BYTES = _REPLACEMENT.encode()


def header_charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header, if any."""
    found = _HEADER_CHARSET.search(content_type) if content_type else None
    return found.group(1) if found else None


def meta_charset(body: bytes) -> str | None:
    """The charset an HTML page declares in a `<meta>` near its start, if any."""
    found = _META_CHARSET.search(body[:4096])
    return found.group(1).decode("ascii") if found else None


def xml_charset(body: bytes) -> str | None:
    """The encoding an XML declaration names, if the document opens with one."""
    head = body.removeprefix(codecs.BOM_UTF8)[:200].decode("latin-1")
    declaration = _XML_DECLARATION.match(head)
    found = _XML_ENCODING.search(declaration.group()) if declaration else None
    return found.group(1) if found else None


def replace_xml_declaration(text: str, new: str = "") -> str:
    """The decoded document with its XML declaration (which names the charset its bytes were
    in, no longer the text's) replaced by `new`."""
    return _XML_DECLARATION.sub(new, text, count=1)


def wide_encoding(body: bytes) -> str | None:
    """The UTF-16 or UTF-32 codec a byte-order mark or a wide `<` announces, if any."""
    return next((codec for mark, codec in _WIDE_ENCODINGS if body.startswith(mark)), None)


def decode(body: bytes, declared: Iterable[str | None] = ()) -> str:
    """The body as text in the charset `sniff` finds; bytes that charset cannot read become
    U+FFFD, and a byte-order mark is dropped."""
    codec, text = _sniffed(body, declared)
    if text is None:
        text = body.decode(codec, errors="replace")
    return text.removeprefix("\ufeff")


def sniff(body: bytes, declared: Iterable[str | None] = ()) -> str:
    """Return the codec to read the body with. `declared`: the labels, most authoritative
    first (the HTTP header's charset, then a `<meta>` or the XML declaration's)."""
    return _sniffed(body, declared)[0]


def _sniffed(body: bytes, declared: Iterable[str | None]) -> tuple[str, str | None]:
    """Return the codec, and the text when finding it meant decoding the whole body (UTF-8,
    the common case: `decode` then does not decode it twice)."""
    if wide := wide_encoding(body):
        return wide, None
    if body.startswith(codecs.BOM_UTF8):
        return _UTF8, None
    if (text := _utf8_text(body)) is not None:
        return _UTF8, text
    for label in _labels(declared):
        if _reads(body, label):
            return label, None
    return (_UTF8 if body.isascii() else _detect(body)), None


def _utf8_text(body: bytes) -> str | None:
    """The body as text if its bytes are UTF-8 with at least one multi-byte character,
    allowing damage (stray bytes become U+FFFD); None if they are not.

    A body with at least as many multi-byte characters as invalid bytes is UTF-8 with damage:
    each stray byte becomes U+FFFD, where reading it all as Windows-1252 would turn every
    quote and dash into mojibake (and every stored item into an edit). Text in a legacy
    charset is almost all invalid bytes, so it is not mistaken for damaged UTF-8.
    """
    try:
        text = body.decode(_UTF8)
    except UnicodeDecodeError:
        text = body.decode(_UTF8, errors="replace")
    else:
        return None if text.isascii() else text  # plain ASCII says nothing about the charset
    # each invalid byte sequence decodes to one U+FFFD; the ones the body itself carried are text
    invalid = text.count(_REPLACEMENT) - body.count(_REPLACEMENT_BYTES)
    multibyte = len(text) - len(text.encode("ascii", errors="ignore")) - invalid
    return text if multibyte >= invalid else None


def _labels(declared: Iterable[str | None]) -> Iterator[str]:
    """The declared labels worth trying, as codec names: not UTF-8 (the bytes are not), not a
    wide encoding without its marks (browsers ignore those too), not unknown."""
    for label in declared:
        try:
            name = codecs.lookup(label.strip()).name if label else None
        except LookupError:
            continue
        if name is None or name in _NOT_CHARSETS or name.startswith(("utf-8", "utf-16", "utf-32")):
            continue
        if name in _SUPERSETS:
            yield _SUPERSETS[name]
        yield name  # when the superset cannot read the bytes, the label as written may


def _reads(body: bytes, codec: str) -> bool:
    try:
        body.decode(codec)
    except (UnicodeDecodeError, LookupError):  # LookupError: a bytes-to-bytes codec (zlib)
        return False
    return True


def _detect(body: bytes) -> str:
    """The charset a sample of the body reads most plausibly in, among the web's legacy ones."""
    # Imported when first needed: it costs ~70 ms of start-up, and most bodies are UTF-8.
    import charset_normalizer

    found = charset_normalizer.from_bytes(
        _sample(body), cp_isolation=list(_CANDIDATES), preemptive_behaviour=False
    ).best()
    if found is None:
        return _LAST_RESORT
    # ties: several charsets read the sample as the same text; take the commonest of them
    alike = set(found.could_be_from_charset)
    return next((codec for codec in _CANDIDATES if codec in alike), _LAST_RESORT)


def _sample(body: bytes) -> bytes:
    """About 32 KB of the body where its charset shows: each stretch of non-ASCII bytes with
    some ASCII before it (a page's first 32 KB may be all scripts and styles)."""
    sample = bytearray()
    last = 0
    for run in _NON_ASCII.finditer(body):
        start = max(run.start() - _CONTEXT, last)
        if start > last and sample:
            sample += b"\n"
        # One byte past the stretch: the second byte of a Shift_JIS or GBK character may be
        # ASCII. A stretch longer than the sample is cut after an even number of bytes, so a
        # double-byte character is not split (detection rejects a charset that cannot read
        # the sample to its end).
        end = min(run.end() + 1, run.start() + _SAMPLE_BYTES)
        sample += body[start:end]
        last = end
        if len(sample) >= _SAMPLE_BYTES:
            break
    return bytes(sample)
