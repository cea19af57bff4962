"""What parsing an ONNX file will cost, estimated from its protobuf wire format before
protobuf parses it (for :func:`symconv.network.onnx_import.load_onnx`).

Parsed protobuf messages cost far more than their bytes: an empty ``NodeProto`` is two bytes
in the file and about 155 bytes once parsed, so a 20 MB file of empty nodes parses into
about 1.5 GB.  :func:`parse_cost` walks the wire format once, guided by the ONNX message
descriptors, without building anything: it counts the messages (:data:`PER_MESSAGE` bytes
each and :data:`PER_FIELD` per field of their type), the bytes of strings and byte fields
(copied), and repeated numbers at the width they unpack to; it stops at :data:`MAX_FIELDS`
fields (a file that needs more is refused in one line: a real model has tens of thousands).
Raw tensor data is skipped in one step, so a 100 MB model of weights is scanned at once.
Measured against the peak of parsing: 1.0 to 1.4 times it (empty nodes, attributes and
dimensions, packed and unpacked numbers, short strings, a 50,000-node model, 100 MB of
weights).
"""

from __future__ import annotations

from typing import Any

from symconv.errors import InvalidSpecError

__all__ = ["MAX_FIELDS", "PER_FIELD", "PER_MESSAGE", "parse_cost"]

#: Most protobuf fields scanned (and so parsed) in one ONNX file.
MAX_FIELDS = 2_000_000
#: Bytes of parsed memory per message, plus :data:`PER_FIELD` per field its type declares
#: (measured: an empty NodeProto 155, AttributeProto 200, TensorShapeProto.Dimension 66).
PER_MESSAGE = 64
PER_FIELD = 10
_PER_STRING = 48  # a bytes or string field beyond its bytes (measured 43)
_PER_REPEATED = 24  # one repeated number (arrays grow by doubling: measured 18)
_VARINT_TYPES = frozenset({3, 4, 5, 8, 13, 14, 17, 18})  # int64 uint64 int32 bool uint32 enum sint
_MAX_NESTING = 100  # protobuf's own limit: deeper input fails to parse anyway


def parse_cost(data: bytes, root: Any, where: str) -> int:
    """Bytes of memory parsing ``data`` as the message ``root`` (a protobuf descriptor) will
    take, beyond ``data`` itself.  A malformed stretch ends the scan (protobuf then says what
    is wrong); more than :data:`MAX_FIELDS` fields is one :class:`InvalidSpecError` line."""
    sizes: dict[Any, int] = {}

    def message(desc: Any) -> int:
        if desc not in sizes:
            sizes[desc] = PER_MESSAGE + PER_FIELD * len(desc.fields)
        return sizes[desc]

    cost = message(root)
    fields = 0
    stack: list[tuple[Any, int]] = [(root, len(data))]
    pos = 0
    n = len(data)
    while stack:
        desc, end = stack[-1]
        if pos >= end:
            stack.pop()
            continue
        tag, pos = _varint(data, pos, end)
        if tag is None:
            return cost
        fields += 1
        if fields > MAX_FIELDS:
            raise InvalidSpecError(f"{where} must hold at most {MAX_FIELDS} protobuf fields "
                                   "(a model's structure; weights are one field each)")
        number, wire = tag >> 3, tag & 7
        field = desc.fields_by_number.get(number) if desc is not None else None
        if wire == 0:
            value, pos = _varint(data, pos, end)
            if value is None:
                return cost
            cost += _PER_REPEATED if field is not None and field.is_repeated else 0
        elif wire == 1:
            pos += 8
            cost += _PER_REPEATED if field is not None and field.is_repeated else 0
        elif wire == 5:
            pos += 4
            cost += _PER_REPEATED if field is not None and field.is_repeated else 0
        elif wire == 2:
            length, pos = _varint(data, pos, end)
            if length is None or pos + length > min(end, n):
                return cost
            if field is not None and field.type == 11:  # a message
                cost += message(field.message_type)
                if len(stack) >= _MAX_NESTING:
                    return cost
                stack.append((field.message_type, pos + length))
                continue
            if field is not None and field.is_repeated and field.type in _VARINT_TYPES:
                # packed varints: one byte each at least, 8 once parsed, in an array grown by
                # doubling (measured 18 bytes per byte)
                cost += _PER_REPEATED * length
            elif field is not None and field.is_repeated and field.type not in (9, 12):
                cost += length  # packed fixed-width numbers: allocated at once (measured)
            else:
                cost += length + _PER_STRING  # strings, bytes, unknown fields: copied
            pos += length
        else:  # groups (deprecated) or an invalid wire type: protobuf decides
            return cost
    return cost


def _varint(data: bytes, pos: int, end: int) -> tuple[int | None, int]:
    value = shift = 0
    while pos < end and shift < 70:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7
    return None, pos
