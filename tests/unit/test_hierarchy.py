"""A dump read from the phone's bytes: errors said plainly, a stray byte never a failure."""

from __future__ import annotations

import pytest

from tikmatrixd.ui.hierarchy import DumpError, _parse_expat, _parse_stock, parse

DUMP = ('<?xml version="1.0" encoding="UTF-8"?><hierarchy rotation="0">'
        '<node text="Suivre {name}" resource-id="a:id/follow" class="android.widget.Button" clickable="true"'
        ' bounds="[10,20][110,70]"><node text="" bounds="[12,22][50,60]"/></node>'
        '</hierarchy>\nUI hierchary dumped to: /dev/tty\n')


def test_bytes_and_text_read_the_same_nodes_and_nesting():
    text = DUMP.format(name="Élodie")
    from_bytes, from_text = parse(text.encode()), parse(text)
    assert from_bytes == from_text
    button, inner = from_bytes
    assert (button.text, button.clickable, button.bounds, inner.parent) == ("Suivre Élodie", True, (10, 20, 110, 70), 0)


def test_a_byte_that_is_not_utf8_is_replaced_not_fatal():
    button, _ = parse(DUMP.format(name="X").encode().replace(b"X", b"\xff"))
    assert button.text == "Suivre \ufffd"


@pytest.mark.parametrize("output, message", [
    (b"ERROR: could not get idle state.\n", "ERROR: could not get idle state."),
    (b"", "empty dump"),
    (DUMP.format(name="x").encode().replace(b'"/></node>', b'"></node>'), "unreadable dump"),
])
def test_what_is_not_a_hierarchy_is_a_dump_error(output, message):
    with pytest.raises(DumpError, match=message):
        parse(output)


STOCK = ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">"
         '<node index="0" text="{text}" resource-id="a:id/x" class="android.widget.TextView" package="a"'
         ' content-desc="{desc}" checkable="false" checked="false" clickable="true" enabled="true"'
         ' focusable="false" focused="false" scrollable="false" long-clickable="false" password="false"'
         ' selected="false" bounds="[0,0][100,50]" /></hierarchy>')


@pytest.mark.parametrize("text, desc", [
    ("Tom &amp; Jerry &lt;3 &quot;hi&quot; &apos;", "line&#10;break&#x9;tab"),
    ("a\nb\r\nc\td", ""),  # raw line breaks and tabs: spaces, as XML reads them
    ("😀 é", "&#128512;"),
])
def test_the_fast_reading_gives_what_expat_gives(text, desc):
    xml = STOCK.format(text=text, desc=desc)
    fast = _parse_stock(xml)
    assert fast is not None and fast == _parse_expat(xml.encode()) == parse(xml)


@pytest.mark.parametrize("xml", [
    STOCK.replace(' index="0"', ""),  # another attribute order: expat reads it
    STOCK.replace("/></hierarchy>", "/><other/></hierarchy>"),  # an element that is not a node
])
def test_what_the_fast_reading_is_unsure_of_goes_to_expat(xml):
    xml = xml.format(text="t", desc="d")
    assert _parse_stock(xml) is None
    assert parse(xml) == _parse_expat(xml.encode()) and parse(xml)[0].text == "t"


@pytest.mark.parametrize("text", ["a & b", "&#1;", "a < b"])
def test_values_xml_does_not_allow_make_the_dump_unreadable_as_before(text):
    xml = STOCK.format(text=text, desc="")
    assert _parse_stock(xml) is None
    with pytest.raises(DumpError, match="unreadable dump"):
        parse(xml)
