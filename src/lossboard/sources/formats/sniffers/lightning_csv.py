"""Lightning's CSVLogger ``metrics.csv``, by its header and sparse rows."""

from __future__ import annotations

from lossboard.sources.formats._table_head import peek


def claims(names: list[str], rows: list[list[str]]) -> bool:
    """``step`` and ``epoch`` columns, laid out as some Lightning version writes them.

    Newer versions sort the header, older ones put ``step,epoch`` together; sparse rows or
    ``_step``/``_epoch`` suffixes give it away too.
    """
    if "step" not in names or "epoch" not in names:
        return False
    step_at = names.index("step")
    return (
        names == sorted(names)
        or names[step_at + 1 : step_at + 2] == ["epoch"]
        or any(name.endswith(("_step", "_epoch")) for name in names)
        or any("" in cells for cells in rows)
    )


def sniff(head: str, filename: str) -> float:
    table = peek(head)
    return 0.9 if table is not None and claims(*table) else 0.0
