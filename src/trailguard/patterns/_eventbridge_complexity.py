"""The wildcard complexity EventBridge limits ("Rule is too complex ...").

EventBridge rejects a rule whose wildcards could leave too many partial matches alive at once. It
measures that with event-ruler's ``MachineComplexityEvaluator`` over the byte machine of each
field. This module rebuilds the same NFA (``ByteMachine.addTransitionNextStateForWildcard``) and
walks its subset construction the same way; it reproduces every value in event-ruler's
``MachineComplexityEvaluatorTest`` and the AWS-validated ones (``*:*:*:*:*:event-bus/*`` = 11,
rejected; ``/Users/*/dir/dir/dir/dir/dir/doc.txt`` = 7, accepted).
https://github.com/aws/event-ruler/blob/main/src/main/software/amazon/event/ruler/MachineComplexityEvaluator.java
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_COMPLEXITY = 10
"""Largest complexity EventBridge accepts: AWS rejected 11 and accepted 9; 10 is not observed."""

_ANY = -1
_EXPLORE_LIMIT = 20_000


class _Machine:
    """The wildcard part of one byte machine: states, their transitions and the matches."""

    def __init__(self) -> None:
        self.transitions: dict[int, list[tuple[int, tuple[object, ...]]]] = {0: []}
        self.state_of: dict[tuple[object, ...], int | None] = {("S", 0): 0}
        self.match_of: dict[tuple[object, ...], int | None] = {("S", 0): None}
        self.shared: dict[tuple[int, int], int] = {}
        self.indeterminate: set[int] = set()

    def _state(self, *, indeterminate: bool) -> int:
        state = len(self.transitions)
        self.transitions[state] = []
        self.state_of[("S", state)] = state
        self.match_of[("S", state)] = None
        if indeterminate:
            self.indeterminate.add(state)
        return state

    def add(self, items: Sequence[int | None], pattern: int) -> None:
        """Add one wildcard value (bytes, None for ``*``) of the pattern numbered ``pattern``."""
        last = len(items) - 1
        state, previous = 0, -1
        for j in range(last):
            item = items[j]
            ends_with_star = j == last - 1 and items[last] is None
            key = (state, _ANY if item is None else item)
            reuse = self.shared.get(key)
            if (
                item is not None
                and reuse is not None
                and reuse not in self.indeterminate
                and not ends_with_star
            ):
                previous, state = state, reuse
                continue
            target = self._state(indeterminate=state in self.indeterminate)
            if item is None:
                self.indeterminate.add(target)
                self.transitions[target].append((_ANY, ("S", target)))
                self.transitions[state].append((_ANY, ("S", target)))
            else:
                single: tuple[object, ...] = ("S", target)
                if ends_with_star:
                    single = ("C1", target, pattern)
                    self.state_of[single], self.match_of[single] = target, pattern
                    self.indeterminate.add(target)
                self.transitions[state].append((item, single))
                if previous >= 0 and items[j - 1] is None:
                    self.transitions[previous].append((item, single))
                if state not in self.indeterminate and not ends_with_star:
                    self.shared[key] = target
            previous, state = state, target
        final = items[last]
        if final is None:
            single = ("C2", state, pattern)
            self.state_of[single], self.match_of[single] = state, pattern
            self.transitions[state].append((_ANY, single))
            return
        match: tuple[object, ...] = ("M", pattern)
        self.state_of[match], self.match_of[match] = None, pattern
        self.transitions[state].append((final, match))
        if previous >= 0 and last >= 1 and items[last - 1] is None:
            self.transitions[previous].append((final, match))

    def reachable_patterns(self) -> dict[tuple[object, ...], frozenset[int]]:
        sources: dict[tuple[object, ...], set[tuple[object, ...]]] = {}
        for single, state in self.state_of.items():
            if state is not None:
                for _, target in self.transitions[state]:
                    sources.setdefault(target, set()).add(single)
        reach: dict[tuple[object, ...], set[int]] = {single: set() for single in self.state_of}
        for single, pattern in self.match_of.items():
            if pattern is None or pattern in reach[single]:
                continue
            stack = [single]
            reach[single].add(pattern)
            while stack:
                for source in sources.get(stack.pop(), ()):
                    if pattern not in reach[source]:
                        reach[source].add(pattern)
                        stack.append(source)
        return {single: frozenset(found) for single, found in reach.items()}

    def complexity(self, limit: int) -> int:
        reach = self.reachable_patterns()
        alphabet = {item for edges in self.transitions.values() for item, _ in edges} - {_ANY}
        alphabet.add(-2)

        def step(
            singles: frozenset[tuple[object, ...]], byte: int
        ) -> frozenset[tuple[object, ...]]:
            found: set[tuple[object, ...]] = set()
            for single in singles:
                state = self.state_of[single]
                if state is not None:
                    found.update(t for item, t in self.transitions[state] if item in (_ANY, byte))
            return frozenset(found)

        def size(singles: frozenset[tuple[object, ...]]) -> int:
            total = 0
            for single in singles:
                total += len(reach[single])
                state = self.state_of[single]
                if state is not None:
                    for item, target in self.transitions[state]:
                        if item == _ANY and target not in singles:
                            total += len(reach[target])
            return total

        start = frozenset([("S", 0)])
        queue = [t for t in {step(start, byte) for byte in alphabet} if t]
        seen = set(queue)
        best = 0
        while queue:
            singles = queue.pop()
            best = max(best, size(singles))
            if best > limit or len(seen) > _EXPLORE_LIMIT:
                return limit + 1
            for byte in alphabet:
                following = step(singles, byte)
                if following and following not in seen:
                    seen.add(following)
                    queue.append(following)
        return best


def complexity(
    patterns: Sequence[Sequence[Sequence[int | None]]], limit: int = MAX_COMPLEXITY
) -> int:
    """Complexity of one field's wildcard patterns; each pattern is a list of byte-item values.

    A plain ``wildcard`` is a pattern with one value; an ``anything-but`` wildcard list is one
    pattern with several values. Evaluation stops early once ``limit`` is exceeded.
    """
    machine = _Machine()
    for number, values in enumerate(patterns):
        for items in values:
            if len(items) == 1 and items[0] is None:
                continue
            machine.add(items, number)
    return machine.complexity(limit)
