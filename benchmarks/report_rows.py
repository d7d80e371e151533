"""Small helpers the report modules share: finding a result row and formatting a ratio."""

from __future__ import annotations

from typing import Any

NOT_RECORDED = "not recorded"


def find_row(rows: list[dict[str, Any]], params_contains: str | None = None, **where: Any) -> dict[str, Any] | None:
    """The first row whose columns equal ``where`` (and whose params contain ``params_contains``)."""
    for row in rows:
        if all(row.get(column) == value for column, value in where.items()) and (
                params_contains is None or params_contains in row["params"]):
            return row
    return None


def times(value: float | None, digits: int = 2) -> str:
    """A ratio as ``1.85×`` (``–`` when it was not measured)."""
    return "–" if value is None else f"{value:.{digits}f}×"
