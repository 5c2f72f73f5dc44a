"""A dump read from the phone's bytes: errors said plainly, a stray byte never a failure."""

from __future__ import annotations

import pytest

from tikmatrixd.ui.hierarchy import DumpError, parse

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
