"""The public surface of ``trailguard.patterns.logs_filter``."""

from __future__ import annotations

from trailguard.patterns import logs_filter
from trailguard.patterns.logs_filter import FilterKind, FilterPattern, compile_filter


def test_all_is_sorted_and_importable():
    """``__all__`` lists the public names, sorted, and each exists."""
    assert logs_filter.__all__ == sorted(logs_filter.__all__)
    for name in logs_filter.__all__:
        assert hasattr(logs_filter, name)


def test_kinds_are_the_three_languages():
    """``kind`` compares equal to the strings other modules use."""
    assert [kind.value for kind in FilterKind] == ["terms", "json", "space_delimited"]
    assert compile_filter("[a]").kind == "space_delimited"


def test_compiled_patterns_share_one_interface():
    """Each language compiles to a FilterPattern with the same methods."""
    for text in ("ERROR", "{ $.a = 1 }", "[a, b]"):
        pattern = compile_filter(text)
        assert isinstance(pattern, FilterPattern)
        assert pattern.text == text
        assert repr(pattern) == f"compile_filter({text!r})"
