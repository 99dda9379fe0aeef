"""Bounded reading of YAML and JSON inputs (the config file, lint inputs): a small file cannot cost gigabytes.

PyYAML shares an aliased node instead of copying it, so `[*a, *a, ...]` nested ten levels deep is 400 bytes
that expand to 10**10 values as soon as anything walks or prints them (a 28 MB error message, or
MemoryError). Deep nesting exhausts the recursion limit, a self-referencing alias makes a value that
contains itself, and bytes that are not UTF-8 raise UnicodeDecodeError. Here each of these is one
InputTooLarge error (a ValueError) naming the file and the line, before any of that can happen:

- at most `max_bytes` bytes, decoded as strict UTF-8;
- at most `max_depth` nested collections;
- aliases may expand to at most `max_alias_nodes` nodes in all (counted with what each alias stands for);
- an alias may not refer to a collection that contains it.

`excerpt()` is for error messages that quote a value: a short prefix, never the whole thing.
"""

from __future__ import annotations

import json
import reprlib
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 100
MAX_ALIAS_NODES = 10_000
EXCERPT_CHARS = 80


class InputTooLarge(ValueError):
    """The input is over a limit, not UTF-8, recursive or malformed; the message names file and line."""

    def __init__(self, name: str, problem: str, line: int | None = None) -> None:
        self.name, self.problem, self.line = name, problem, line
        super().__init__(f"{name}{f':{line}' if line else ''}: {problem}")


def read_text(path: str | Path, max_bytes: int = MAX_BYTES) -> str:
    """The file as UTF-8 text; OSError when it cannot be read, InputTooLarge when too large or not UTF-8."""
    with open(path, "rb") as f:
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputTooLarge(str(path), f"larger than {max_bytes} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputTooLarge(str(path), f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                            "save the file as UTF-8", line) from None


def load_yaml(text: str, name: str, max_depth: int = MAX_DEPTH, max_alias_nodes: int = MAX_ALIAS_NODES) -> object:
    """The single YAML document in `text` (None when empty)."""
    docs = load_yaml_all(text, name, max_depth, max_alias_nodes)
    if len(docs) > 1:
        raise InputTooLarge(name, f"expected one YAML document, found {len(docs)}")
    return docs[0] if docs else None


def load_yaml_all(text: str, name: str, max_depth: int = MAX_DEPTH,
                  max_alias_nodes: int = MAX_ALIAS_NODES) -> list:
    """Every YAML document in `text`, empty ones included as None."""
    _check_size(text, name)
    loader = _BoundedLoader(text, name, max_depth, max_alias_nodes)
    try:
        docs = []
        while loader.check_data():
            docs.append(loader.get_data())
        return docs
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputTooLarge(name, f"invalid YAML: {getattr(exc, 'problem', None) or excerpt(str(exc), 200)}",
                            mark.line + 1 if mark else None) from None
    except (RecursionError, ValueError, OverflowError) as exc:  # e.g. an integer of 10,000 digits
        if isinstance(exc, InputTooLarge):
            raise
        raise InputTooLarge(name, f"invalid YAML: {excerpt(str(exc), 200)}") from None
    finally:
        loader.dispose()


def load_json(text: str, name: str, max_depth: int = MAX_DEPTH) -> object:
    _check_size(text, name)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputTooLarge(name, f"invalid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise InputTooLarge(name, f"JSON nested deeper than {max_depth} levels") from None
    except ValueError as exc:  # e.g. an integer of 10,000 digits
        raise InputTooLarge(name, f"invalid JSON: {excerpt(str(exc), 200)}") from None
    if _depth(data) > max_depth:
        raise InputTooLarge(name, f"JSON nested deeper than {max_depth} levels")
    return data


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """A short repr for messages: at most `limit` characters, never walking a whole structure."""
    short = reprlib.Repr()
    short.maxstring = short.maxother = limit
    short.maxlist = short.maxtuple = short.maxdict = short.maxset = 5
    short.maxlevel = 3
    text = short.repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _check_size(text: str, name: str) -> None:
    if len(text) > MAX_BYTES:  # characters: at least as many bytes
        raise InputTooLarge(name, f"larger than {MAX_BYTES} bytes")


def _depth(data: object) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader whose composer counts depth and alias expansion, and refuses recursive aliases."""

    def __init__(self, text: str, name: str, max_depth: int, max_alias_nodes: int) -> None:
        super().__init__(text)
        self.name, self.max_depth, self.max_alias_nodes = name, max_depth, max_alias_nodes
        self._depth = 0
        self._expanded = 0
        self._open: set[str] = set()  # anchors of collections still being composed
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: Node | None, index: object) -> Node:
        event = self.peek_event()
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self._open:
                raise InputTooLarge(self.name, f"alias *{event.anchor} refers to a collection that contains it "
                                    "(a value cannot contain itself)", line)
            target = self.anchors.get(event.anchor)
            if target is not None:
                self._expanded += self._size(target)
                if self._expanded > self.max_alias_nodes:
                    raise InputTooLarge(self.name, f"aliases expand to more than {self.max_alias_nodes} values "
                                        "(an alias bomb?); write the values out or use fewer aliases", line)
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > self.max_depth:
            raise InputTooLarge(self.name, f"nested deeper than {self.max_depth} levels", line)
        anchor = getattr(event, "anchor", None)
        if anchor:
            self._open.add(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            if anchor:
                self._open.discard(anchor)

    def _size(self, node: Node) -> int:
        """Values a node stands for once its aliases are expanded (memoised: shared nodes count once here)."""
        known = self._sizes.get(id(node))
        if known is not None:
            return known
        size = 1
        if isinstance(node, SequenceNode):
            size += sum(self._size(child) for child in node.value)
        elif isinstance(node, MappingNode):
            size += sum(self._size(k) + self._size(v) for k, v in node.value)
        self._sizes[id(node)] = size
        return size


# YAML 1.1's `=` (value) scalar: CRD schemas contain it as an enum value; read it as the plain string "=".
_BoundedLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))
