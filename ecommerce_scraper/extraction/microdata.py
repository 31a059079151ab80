"""schema.org microdata of a parsed page, as ``extruct.extract(tree, syntaxes=["microdata"], uniform=True)``
gives it, cheaper.

extruct's extractor (:class:`extruct.w3cmicrodata.LxmlMicrodataExtractor`, version pinned) with:

- its queries stepping from the ``itemscope``/``itemprop`` attributes up to their elements: the same
  node-sets in document order, without libxml2 testing a predicate on every element;
- the page's items found once, not twice (once more to number them);
- an item's own properties as the difference of two plain queries, taken in Python: extruct's
  ``set:difference`` query keeps memory on every call (see ``_Extractor``);
- the text of a property read from the element itself. extruct deep-copies the element, cleans the
  copy (``Cleaner``: scripts, styles, links, metas, comments and processing instructions dropped,
  each one's tail joined to the text before it) and walks it with ``html_text.etree_to_text``;
  :func:`text_content` walks the element as it is, skipping what the cleaner drops and joining the
  tails the same way, and writes the same text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from extruct.uniform import _umicrodata_microformat
from extruct.w3cmicrodata import LxmlMicrodataExtractor
from html_text.html_text import (
    DOUBLE_NEWLINE_TAGS,
    NEWLINE_TAGS,
    _has_open_bracket_before,
    _has_punct_after,
    _has_trailing_whitespace,
    _normalize_whitespace,
)
from lxml import etree

#: What extruct's cleaner drops with its subtree (its ``scripts``, ``style``, ``links``, ``meta``,
#: ``comments`` and ``processing_instructions``); it keeps none of them (no host is allowed).
_DROPPED = frozenset({"script", "style", "link", "meta", etree.Comment, etree.ProcessingInstruction})
_NEWLINE = object()
_DOUBLE_NEWLINE = object()


def microdata_items(root: etree._Element, base_url: str | None) -> list[dict[str, Any]]:
    """The page's microdata items, made uniform (``@type``, ``@context``) as extruct makes them."""
    return _umicrodata_microformat(_Extractor().extract_items(root, base_url), schema_context="http://schema.org")


class _Extractor(LxmlMicrodataExtractor):
    _xp_item = etree.XPath("descendant-or-self::*/@itemscope/..")
    # An item's own properties: extruct's ``set:difference(props, props of nested items)``, the
    # difference taken here. lxml registers an EXSLT namespace's functions on every call of a
    # compiled XPath that maps it, and with libxml2 2.13+ each registration after the first adds an
    # entry to its error log, which is never cleared (parsel's ``_EXSLT_NAMESPACES`` says the same):
    # about 100 bytes a call, 5 calls a product page, 50 MB over a 100,000-product crawl.
    _xp_props = etree.XPath("descendant::*/@itemprop/..")
    _xp_nested_props = etree.XPath("descendant::*/@itemscope/../descendant::*/@itemprop/..")

    def extract_items(self, document: etree._Element, base_url: str | None) -> list[dict[str, Any]]:
        found = self._xp_item(document)
        root = document.getroottree().getroot()
        # extruct numbers the items of the whole tree: the same list when given its root.
        itemids = {node: index + 1 for index, node in enumerate(found if root is document else self._xp_item(root))}
        items_seen: set[Any] = set()
        extracted = (self._extract_item(it, items_seen=items_seen, base_url=base_url, itemids=itemids) for it in found)
        return [item for item in extracted if item]

    def _extract_properties(
        self, node: etree._Element, items_seen: set[Any], base_url: str | None, itemids: dict[etree._Element, int]
    ) -> Iterator[tuple[str, Any]]:
        # lxml keeps one proxy per node while any is alive: both lists' elements compare by identity.
        nested = set(self._xp_nested_props(node))
        for prop in self._xp_props(node):
            if prop not in nested:
                yield from self._extract_property(prop, items_seen=items_seen, base_url=base_url, itemids=itemids)

    def _extract_textContent(self, node: etree._Element) -> str:  # noqa: N802 - extruct's name
        if node.tag in _DROPPED:  # the cleaner empties the element itself: extruct's own way
            return super()._extract_textContent(node)
        text = text_content(node)
        return super()._extract_textContent(node) if text is None else text


def text_content(node: etree._Element) -> str | None:
    """``html_text.etree_to_text(cleaned copy of node)`` (see the module docstring), read from ``node``
    itself; ``None`` for a subtree with a node neither kept nor dropped (an entity), left to extruct.

    The same events as ``etree_to_text``'s walk of the cleaned copy: each text waits in ``pending``
    until the next element starts or ends, so a dropped node's tail joins it first."""
    if not len(node):  # no child: the walk below comes to this
        return _normalize_whitespace(node.text) if node.text else ""
    chunks: list[str] = []
    prev: object = _DOUBLE_NEWLINE  # _NEWLINE, _DOUBLE_NEWLINE or the previous text (as etree_to_text)

    def add_newlines(tag: str) -> None:
        nonlocal prev
        if prev is _DOUBLE_NEWLINE:
            return
        if tag in DOUBLE_NEWLINE_TAGS:
            chunks.append("\n" if prev is _NEWLINE else "\n\n")
            prev = _DOUBLE_NEWLINE
        elif tag in NEWLINE_TAGS:
            if prev is not _NEWLINE:
                chunks.append("\n")
            prev = _NEWLINE

    def add_text(text_content: str | None) -> None:
        nonlocal prev
        text = _normalize_whitespace(text_content) if text_content else ""
        if not text:
            return
        if prev is _NEWLINE or prev is _DOUBLE_NEWLINE:
            space = ""
        else:
            assert isinstance(prev, str)
            glued = _has_punct_after(text) or _has_open_bracket_before(prev)
            space = " " if _has_trailing_whitespace(prev) or not glued else ""
        chunks.extend([space, text])
        prev = text_content

    add_newlines(node.tag)
    pending: str | None = node.text
    stack = [(node, iter(node))]
    while stack:
        element, children = stack[-1]
        child = next(children, None)
        if child is None:  # the element ends
            stack.pop()
            add_text(pending)
            add_newlines(element.tag)
            pending = element.tail if element is not node else None
            continue
        tag = child.tag
        if tag in _DROPPED:
            if child.tail:
                pending = (pending or "") + child.tail
            continue
        if not isinstance(tag, str):
            return None
        add_text(pending)
        add_newlines(tag)
        pending = child.text
        stack.append((child, iter(child)))
    return "".join(chunks).strip()
