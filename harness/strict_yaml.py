"""YAML as the harness reads a user's files (personas, profiles, expected failures, Appium
capabilities): plain values only, no aliases, no key given twice.

- **Aliases** (``&a`` … ``*a``) are refused: a few hundred bytes of nested aliases stand for
  gigabytes once anything walks or prints the value (a billion-laughs file made
  ``personas check`` print 400 KB of ``'lol'`` and would have hung one level deeper).
- **A key given twice** in one mapping is refused: YAML keeps the last value without a word
  (``personas: [...]`` then ``personas: []`` loaded no one).

libyaml's loader is used when PyYAML has it (about four times faster: 5,000 personas in
0.6 s, not 2.6 s); its composer is C, so aliases are found by scanning the tokens first,
which only a text holding a ``*`` needs.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import yaml

__all__ = ["load"]

_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE):  # type: ignore[misc]
    """The safe loader, refusing a key given twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # '<<: {…}', flattened by the base
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, str):
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"the key {key[:80]!r} is given twice in one mapping; keep one",
                        key_node.start_mark,
                    )
                seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        """An integer, or a YAML error at its line: one of more digits than Python converts
        raised its ``ValueError``, whose advice (``sys.set_int_max_str_digits()``) is not the
        user's to take, and which the Appium capabilities' reader did not catch (pytest's
        INTERNALERROR, exit 3)."""
        value = str(node.value)
        if ":" in value:
            raise _read_otherwise(node, super().construct_yaml_int(node), _BASE_60)
        if _OCTAL_1_1.fullmatch(value):
            plain = value.replace("_", "").lstrip("+-").lstrip("0") or "0"
            meant = f"{'-' if value.startswith('-') else ''}{plain}"
            raise _read_otherwise(
                node, super().construct_yaml_int(node), "a leading 0 makes it octal", meant
            )
        try:
            number: int = super().construct_yaml_int(node)
        except ValueError:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"a number has more than {sys.get_int_max_str_digits()} digits; no field "
                "takes one that long",
                node.start_mark,
            ) from None
        return number

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        """A float, or a YAML error at its line for YAML 1.1's base 60 (``1:30.5`` is 90.5,
        ``12:30:00.5`` 45000.5), refused as the integers' is (a ``command_timeout: 1:30.5``
        was 90.5 seconds without a word)."""
        number: float = super().construct_yaml_float(node)
        if ":" in str(node.value):
            raise _read_otherwise(node, number, _BASE_60)
        return number


_BASE_60 = "':' makes it base 60"


def _read_otherwise(
    node: yaml.ScalarNode, read: float, why: str, meant: str | None = None
) -> yaml.constructor.ConstructorError:
    """The error for a number YAML 1.1 reads as ``read`` where YAML 1.2, JSON, TOML and a
    reader take it otherwise (``030`` is 24, ``1:30`` 90): never taken without a word."""
    value = str(node.value)
    return yaml.constructor.ConstructorError(
        None,
        None,
        f"{value!r} would be read as {read} ({why} in YAML 1.1); write "
        f"{read if meant is None else meant} for a number, or quote it ('{value}') for text",
        node.start_mark,
    )


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)

_OCTAL_1_1 = re.compile(r"[-+]?0[0-7_]+", re.ASCII)
"""What YAML 1.1 (PyYAML) resolves as an octal integer."""


def _refuse_aliases(text: str, what: str) -> None:
    if "*" not in text:  # an alias is written *name: no star, no alias
        return
    for token in yaml.scan(text, Loader=_BASE):
        if isinstance(token, yaml.AliasToken):
            raise yaml.composer.ComposerError(
                None,
                None,
                f"aliases (*name) are not allowed in {what}; write the value out",
                token.start_mark,
            )


def load(text: str, *, what: str) -> Any:
    """``text`` as plain values (``None`` for an empty document). Raises
    :class:`yaml.YAMLError` for text that is not YAML, holds an alias or gives a key twice
    (``what`` names the file's kind in the message: ``"a persona file"``), and
    :class:`RecursionError` for text nested beyond Python's limit."""
    _refuse_aliases(text, what)
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader, C or not
    except yaml.YAMLError as exc:
        if "nesting depth" in str(exc):  # libyaml's own limit, as Python's loader would recurse
            raise RecursionError(f"{what} nested too deeply") from None
        raise
