"""Test helper: every exception chained to an error, so a test can look for a leaked secret in all of them.

A suppressed exception (``raise ... from None``) is still kept in ``__context__``, where a debugger or a
logging handler prints it, so "not in the message" is not enough.
"""

from __future__ import annotations


def exception_chain(error: BaseException) -> list[BaseException]:
    """``error`` and every exception reachable from it through ``__cause__`` and ``__context__``."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or any(current is known for known in seen):
            continue
        seen.append(current)
        todo += [current.__cause__, current.__context__]
    return seen
