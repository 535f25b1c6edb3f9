"""Charset sniffing: pages and feeds read in the charset their bytes are in, whatever the label."""

from __future__ import annotations

import codecs
import time

import pytest

from tracker import charset

RUSSIAN = (
    "Путин согласился на 30-дневный отказ от ударов по энергетической инфраструктуре, "
    "сообщили в Кремле после телефонного разговора с Трампом."
)
UKRAINIAN = (
    "Зеленський заявив, що Україна підтримає припинення вогню щодо енергетичної "
    "інфраструктури, якщо Росія дотримається перемир'я."
)
WESTERN = "Kyiv\u2019s envoy \u2014 Yermak \u2014 met Élysée staff about the €1.2 billion truce."
Q = "\u2019"

# name -> (body, declared labels, the codec expected, the text expected)
CASES = {
    "cp1251 Russian labelled utf-8": (
        RUSSIAN.encode("cp1251"), ["utf-8"], "cp1251", RUSSIAN
    ),
    "cp1251 Russian unlabelled": (RUSSIAN.encode("cp1251"), [], "cp1251", RUSSIAN),
    "cp1251 Ukrainian labelled utf-8": (
        UKRAINIAN.encode("cp1251"), ["UTF-8"], "cp1251", UKRAINIAN
    ),
    "cp1251 Ukrainian unlabelled": (UKRAINIAN.encode("cp1251"), [None], "cp1251", UKRAINIAN),
    "KOI8-R unlabelled": (RUSSIAN.encode("koi8-r"), [], "koi8_r", RUSSIAN),
    "cp1251 labelled windows-1251": (
        RUSSIAN.encode("cp1251"), ["windows-1251"], "cp1251", RUSSIAN
    ),
    "cp1251 labelled utf-8 in the header, windows-1251 in the meta": (
        RUSSIAN.encode("cp1251"), ["utf-8", "windows-1251"], "cp1251", RUSSIAN
    ),
    "UTF-8 labelled windows-1251": (RUSSIAN.encode(), ["windows-1251"], "utf-8", RUSSIAN),
    "UTF-8 labelled windows-1252": (WESTERN.encode(), ["windows-1252"], "utf-8", WESTERN),
    "cp1252 labelled utf-8": (WESTERN.encode("cp1252"), ["utf-8"], "cp1252", WESTERN),
    "cp1252 unlabelled": (WESTERN.encode("cp1252"), [], "cp1252", WESTERN),
    "latin-1 labelled utf-8": (
        "Selenskyj begrüßt die Waffenruhe, sagte das Außenministerium in Kiew.".encode("latin-1"),
        ["utf-8"],
        "cp1252",
        "Selenskyj begrüßt die Waffenruhe, sagte das Außenministerium in Kiew.",
    ),
    "one curly quote labelled utf-8": (
        f"Kyiv{Q}s envoy".encode("cp1252"), ["utf-8"], "cp1252", f"Kyiv{Q}s envoy"
    ),
    "ISO-8859-1 label on Windows-1252 quotes": (
        f"Kyiv{Q}s envoy".encode("cp1252"), ["iso-8859-1"], "cp1252", f"Kyiv{Q}s envoy"
    ),
    "UTF-16 with a BOM, labelled utf-8": (
        RUSSIAN.encode("utf-16"), ["utf-8"], "utf-16", RUSSIAN
    ),
    "UTF-16-BE with a BOM": (
        codecs.BOM_UTF16_BE + RUSSIAN.encode("utf-16-be"), [], "utf-16", RUSSIAN
    ),
    "UTF-8 with a BOM, labelled windows-1251": (
        codecs.BOM_UTF8 + RUSSIAN.encode(), ["windows-1251"], "utf-8", RUSSIAN
    ),
    "short ASCII": (b"Putin", [], "utf-8", "Putin"),
    "short ASCII labelled windows-1251": (b"Putin", ["windows-1251"], "cp1251", "Putin"),
    "empty": (b"", ["utf-8"], "utf-8", ""),
    "damaged UTF-8": (
        f"Kyiv{Q}s delegation \u2014 led by Yermak \u2014 backed it".encode() + b" \xff\xfe.",
        ["utf-8"],
        "utf-8",
        f"Kyiv{Q}s delegation \u2014 led by Yermak \u2014 backed it \ufffd\ufffd.",
    ),
    "damaged UTF-8 labelled windows-1251": (
        RUSSIAN.encode() + b"\xc0",
        ["windows-1251"],
        "utf-8",
        RUSSIAN + "\ufffd",
    ),
    "an unknown label": (RUSSIAN.encode("cp1251"), ["klingon"], "cp1251", RUSSIAN),
    "a label that is no charset": (RUSSIAN.encode("cp1251"), ["zlib"], "cp1251", RUSSIAN),
    "a UTF-7 label": (b"+BB8EQwRCBDgEPQ-", ["utf-7"], "utf-8", "+BB8EQwRCBDgEPQ-"),
    "a label that cannot read the bytes": (
        RUSSIAN.encode("cp1251"), ["ascii"], "cp1251", RUSSIAN
    ),
}  # fmt: skip


@pytest.mark.parametrize(("body", "declared", "codec", "text"), CASES.values(), ids=CASES)
def test_the_bytes_are_read_in_the_charset_they_are_in(body, declared, codec, text):
    """Whatever the label says, the body is read as its author wrote it."""
    assert (charset.sniff(body, declared), charset.decode(body, declared)) == (codec, text)


def test_a_10_mb_mislabelled_page_is_read_quickly_and_right():
    """A 10 MB Windows-1251 page labelled UTF-8, its text behind 40 KB of script, is read as
    Windows-1251 in well under a second: detection reads a bounded sample."""
    script = "<script>" + "var truce = 1;\n" * 3_000 + "</script>"
    page = f"<html><head>{script}</head><body>" + f"<p>{RUSSIAN}</p>\n" * 80_000 + "</body></html>"
    body = page.encode("cp1251")
    assert len(body) > 10_000_000
    started = time.monotonic()
    text = charset.decode(body, ["utf-8"])
    assert time.monotonic() - started < 1
    assert text == page


@pytest.mark.parametrize(
    ("function", "value", "expected"),
    [
        (charset.header_charset, "text/html; charset=windows-1251", "windows-1251"),
        (charset.header_charset, 'text/html; Charset="UTF-8"', "UTF-8"),
        (charset.header_charset, "text/html", None),
        (charset.header_charset, None, None),
        (charset.meta_charset, b'<html><head><meta charset="windows-1251">', "windows-1251"),
        (
            charset.meta_charset,
            b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">',
            "koi8-r",
        ),
        (charset.meta_charset, b"<html><head><title>t</title>", None),
        (
            charset.xml_charset,
            b'<?xml version="1.0" encoding="windows-1251"?><rss/>',
            "windows-1251",
        ),
        (charset.xml_charset, codecs.BOM_UTF8 + b"<?xml version='1.0' encoding='utf-8'?>", "utf-8"),
        (charset.xml_charset, b'<?xml version="1.0"?><rss encoding="koi8-r"/>', None),
        (charset.xml_charset, b'<rss/><?xml version="1.0" encoding="koi8-r"?>', None),
        (charset.wide_encoding, "<rss/>".encode("utf-16"), "utf-16"),
        (charset.wide_encoding, "<rss/>".encode("utf-16-le"), "utf-16-le"),
        (charset.wide_encoding, "<rss/>".encode("utf-32-be"), "utf-32-be"),
        (charset.wide_encoding, b"<rss/>", None),
    ],
)
def test_the_labels_are_read_where_they_are_declared(function, value, expected):
    """Header, `<meta>`, XML declaration and byte-order mark each give their charset, or none."""
    assert function(value) == expected


def test_the_xml_declaration_is_replaced_once_and_only_at_the_start():
    """The declaration naming the old charset goes; one later in the text is text."""
    text = '<?xml version="1.0" encoding="windows-1251"?><rss><![CDATA[<?xml x?>]]></rss>'
    assert charset.replace_xml_declaration(text) == "<rss><![CDATA[<?xml x?>]]></rss>"
    assert charset.replace_xml_declaration(text, "<?xml?>").startswith("<?xml?><rss>")
