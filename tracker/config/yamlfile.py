"""YAML loading that remembers the line of every value, so errors can name it.

Two things YAML 1.1 allows are refused or changed: `22:30` is a string, as in YAML 1.2 (1.1
reads it as the base-60 number 1350, so a time of day became 22 minutes past midnight);
and aliases that expand to more than MAX_VALUES values (a "billion laughs" bomb) are an
error found on the node graph, before anything is built from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tracker.config.errors import ConfigError, ConfigProblem

Loc = tuple[str | int, ...]
# libyaml's parser when PyYAML was built with it: a 1,000-source sources.yaml parses in a
# tenth of the time (issue 13). Its nodes carry the same marks, so errors still name the line.
_PARSER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_VALUES = 1_000_000  # a 1,000-source sources.yaml holds about 20,000


class _Loader(_PARSER):  # type: ignore[valid-type,misc]
    """The safe loader (libyaml's when there) without YAML 1.1's base-60 numbers."""


_NUMBERS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _NUMBERS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# PyYAML's own int and float patterns, less their base-60 alternatives
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(
        r"""^(?:[-+]?0b[0-1_]+
        |[-+]?0[0-7_]+
        |[-+]?(?:0|[1-9][0-9_]*)
        |[-+]?0x[0-9a-fA-F_]+)$""",
        re.VERBOSE,
    ),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
        |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.VERBOSE,
    ),
    list("-+0123456789."),
)


@dataclass
class YamlDocument:
    """A parsed YAML file and the line number of each path inside it."""

    path: str
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int | None:
        """Return the line of the deepest part of `loc` that exists in the file."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return None


def _record(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            lines[(*loc, key)] = key_node.start_mark.line + 1
            _record(value_node, (*loc, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record(item, (*loc, index), lines)


def load_yaml(path: Path, display: str | None = None) -> YamlDocument:
    """Parse `path` safely; a syntax error becomes a ConfigError naming file and line."""
    name = display or str(path)
    if path.is_dir():
        raise ConfigError([ConfigProblem(name, None, "", "is a directory, not a YAML file")])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(name, None, "", f"cannot read file: {exc}")]) from exc
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_expansion(name, node)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([ConfigProblem(name, line, "", f"invalid YAML: {problem}")]) from exc
    finally:
        loader.dispose()
    lines: dict[Loc, int] = {}
    if node is not None:
        _record(node, (), lines)
    return YamlDocument(name, data, lines)


def _check_expansion(name: str, root: yaml.Node) -> None:
    """Refuse a node graph whose aliases expand past MAX_VALUES values, or loop.

    Each node is counted once (its expanded size is remembered), so this takes time in the
    size of the file, not of the expansion; the error names the line of the smallest value
    that grows too large, which is where the aliases pile up.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise _problem(name, node, "an alias refers to a value that contains it")
        open_nodes.add(key)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        total = 1
        for child in children:
            total += size(child)
            if total > MAX_VALUES:
                raise _problem(
                    name, node, f"aliases expand to more than {MAX_VALUES:,} values (refused)"
                )
        open_nodes.discard(key)
        sizes[key] = total
        return total

    size(root)


def _problem(name: str, node: yaml.Node, message: str) -> ConfigError:
    return ConfigError([ConfigProblem(name, node.start_mark.line + 1, "", message)])


def field_name(loc: tuple[object, ...]) -> str:
    """Return a location as the dotted field name errors show: `sources[0].interval`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
