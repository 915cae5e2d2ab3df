"""The tasks a sweep has not handed out yet, by the stack they need, and which of them a
free worker takes next.

Provisioning and discovering a stack costs as much as a few runs, and a worker keeps only
the last stack it built, so a worker goes on with its own stack's tasks while there are
any, then takes a stack no other worker serves, and only at the end shares another's
(taking from the far end of that stack's tasks, so that the two meet in the middle).
"""

from __future__ import annotations

from collections import Counter, deque

from chaoscli.sweep.worker import Task

STEAL_FROM = 2  # another worker's stack is shared only when this many of its tasks wait

Waiting = tuple[Task, int]  # a task and which attempt at it this is


class StackQueue:
    """Waiting tasks, grouped by stack in the order they were first seen."""

    def __init__(self) -> None:
        self._by_stack: dict[str, deque[Waiting]] = {}

    def add(self, task: Task, attempt: int, first: bool = False) -> None:
        """Queue ``task``; ``first`` puts it before the others of its stack (a retry)."""
        tasks = self._by_stack.setdefault(task.stack, deque())
        if first:
            tasks.appendleft((task, attempt))
        else:
            tasks.append((task, attempt))

    def __len__(self) -> int:
        return sum(len(q) for q in self._by_stack.values())

    def clear(self) -> None:
        self._by_stack.clear()

    def take(self, stack: str | None, serving: Counter[str]) -> Waiting | None:
        """The next task for a worker that holds ``stack``, while ``serving`` counts the
        workers busy on each stack; None when the worker had better wait."""
        own = self._by_stack.get(stack) if stack is not None else None
        if own:
            return own.popleft()
        left = [s for s, q in self._by_stack.items() if q]
        fresh = [s for s in left if not serving[s]]
        if fresh:
            return self._by_stack[fresh[0]].popleft()
        if not left:
            return None
        most = max(left, key=lambda s: len(self._by_stack[s]) / serving[s])
        if len(self._by_stack[most]) < STEAL_FROM:
            return None
        return self._by_stack[most].pop()
