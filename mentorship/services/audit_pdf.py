"""The audit chain's signed head carried in a sealed agreement, as an embedded JSON file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import BytesIO
from typing import Any

from pyhanko.pdf_utils import embed, generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from mentorship.services.checkpoints import SignedHead

ATTACHMENT = "digivol-audit-checkpoint.json"
DESCRIPTION = (
    "The Digital Volunteers audit chain's head when this agreement was sealed, signed with the"
    " platform's seal key"
)


def embed_signed_head(pdf: bytes, signed: SignedHead) -> bytes:
    """`pdf` followed by an incremental update that attaches the signed head.

    Done before sealing, so the seal covers it: whoever holds the agreement holds a signed
    statement of the chain that the platform's database cannot take back.
    """
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    data = json.dumps(signed.as_json(), sort_keys=True, indent=2).encode()
    stream = embed.EmbeddedFileObject.from_file_data(writer, data, mime_type="application/json")
    spec = embed.FileSpec(
        file_spec_string=ATTACHMENT,
        file_name=ATTACHMENT,
        embedded_data=stream,
        description=DESCRIPTION,
    )
    embed.embed_file(writer, spec)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def embedded_signed_head(pdf: bytes) -> SignedHead | None:
    """The signed head attached to `pdf`, or None if it carries none.

    Raises:
        ValueError: the PDF cannot be read, or its attachment is not a signed head.
    """
    try:
        root = PdfFileReader(BytesIO(pdf)).root
        names = _item(root, "/Names")
        tree = _item(names, "/EmbeddedFiles") if names is not None else None
        found = None
        for name, spec in _name_tree(tree):
            if name == ATTACHMENT:
                found = spec["/EF"]["/F"].get_object().data
    except ValueError:
        raise
    except Exception as exc:  # pyHanko's parser raises many kinds on a damaged file
        raise ValueError(f"the PDF cannot be read: {exc}") from None
    if found is None:
        return None
    try:
        data = json.loads(found)
    except ValueError:
        raise ValueError(f"{ATTACHMENT} is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError(f"{ATTACHMENT} is not a JSON object")
    return SignedHead.from_json(data)


def _name_tree(
    node: generic.PdfObject | None, depth: int = 0
) -> Iterator[tuple[str, generic.DictionaryObject]]:
    """(name, value) of every leaf of a PDF name tree (ISO 32000-1, 7.9.6)."""
    if node is None or depth > 32:  # a malformed tree can loop back on itself
        return
    node = node.get_object()
    if not isinstance(node, generic.DictionaryObject):
        return
    names = _item(node, "/Names")
    if names is not None:
        flat = list(names)
        for key, value in zip(flat[::2], flat[1::2], strict=False):
            yield str(key), value.get_object()
    for kid in _item(node, "/Kids") or ():
        yield from _name_tree(kid, depth + 1)


def _item(node: generic.DictionaryObject, key: str) -> Any:
    """``node[key]`` resolved, or None: pyHanko's get() returns indirect objects unresolved."""
    value = node.get(key)
    return None if value is None else value.get_object()
