"""YAML loading that remembers the line of every value, so errors can name it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tracker.config.errors import ConfigError, ConfigProblem

Loc = tuple[str | int, ...]
# libyaml's parser when PyYAML was built with it: a 1,000-source sources.yaml parses in a
# tenth of the time (issue 13). Its nodes carry the same marks, so errors still name the line.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(name, None, "", f"cannot read file: {exc}")]) from exc
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
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


def field_name(loc: tuple[object, ...]) -> str:
    """Return a location as the dotted field name errors show: `sources[0].interval`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
