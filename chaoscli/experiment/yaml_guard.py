"""YAML read the way an experiment file may be written, refusing what would cost memory or
time before it costs it: a file over ``MAX_BYTES``, nesting deeper than ``MAX_DEPTH``, a
document that expands (each alias counted as often as it is used) past ``MAX_NODES`` values,
a recursive alias, and a key given twice in one mapping.

PyYAML composes a document into a graph in which an alias is shared, not copied; what blows
up is everything that walks the graph afterwards as a tree. The composer below counts the
tree's size while it composes, so a "billion laughs" file is refused after a few thousand
events, before anything is constructed.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError

MAX_BYTES = 1 << 20  # 1 MiB: the shipped experiments are a few KiB
MAX_DEPTH = 32  # mappings and lists inside each other; the shipped files use 4
MAX_NODES = 20_000  # values in the document once aliases are expanded; shipped: under 300
MERGE_TAG = "tag:yaml.org,2002:merge"


class GuardedLoader(yaml.SafeLoader):
    """A SafeLoader whose composer counts the expanded document and whose constructor
    refuses duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0
        self.nodes = 0  # values composed so far, an alias counting as the whole of its anchor
        self.sizes: dict[int, int] = {}  # expanded size of each anchored node, by id

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """Compose one node, counting it (or, for an alias, everything it stands for)."""
        event = self.peek_event()
        mark: Any = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            anchored = self.anchors.get(event.anchor)
            if anchored is not None:
                size = self.sizes.get(id(anchored))
                if size is None:
                    raise ComposerError(
                        None,
                        None,
                        f"alias *{event.anchor} is inside its own anchor",
                        mark,
                    )
                self._count(size, mark)
            return super().compose_node(parent, index)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep", mark)
        start = self.nodes
        self._count(1, mark)
        node = super().compose_node(parent, index)
        self.depth -= 1
        if getattr(event, "anchor", None) is not None:
            self.sizes[id(node)] = self.nodes - start
        return node

    def _count(self, n: int, mark: Any) -> None:
        self.nodes += n
        if self.nodes > MAX_NODES:
            raise ComposerError(
                None,
                None,
                f"the document expands to more than {MAX_NODES:,} values (aliases counted "
                "each time they are used)",
                mark,
            )

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        """A mapping, refused when it gives a key twice (merged ``<<`` keys may be overridden)."""
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=deep)
                try:
                    first = seen.get(key)
                except TypeError:  # unhashable: the base class says so
                    continue
                if first is not None:
                    raise ConstructorError(
                        None,
                        None,
                        f"duplicate key {key!r} (first given on line {first})",
                        key_node.start_mark,
                    )
                seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]


def compose_and_construct(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node graph (for line numbers) and its value; raises ``yaml.YAMLError``."""
    loader = GuardedLoader(text)
    try:
        node = loader.get_single_node()
        value = loader.construct_document(node) if node is not None else None
        return node, value
    finally:
        loader.dispose()


def parse_value(text: str) -> Any:
    """A --set or --var value as YAML reads it (empty: null); text that is not YAML as is."""
    if text == "":
        return None
    try:
        return compose_and_construct(text)[1]
    except yaml.YAMLError:
        return text
