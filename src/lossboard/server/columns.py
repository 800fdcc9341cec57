"""The series answer as raw columns: what the page asks for, since a million-point chart
request spends more time writing and parsing JSON numbers than reading the store.

``GET /api/series?...&format=columns`` answers the same content as the JSON form, laid out as:

* 4 bytes: the header's length ``H`` (unsigned, little-endian);
* ``H`` bytes: the header, JSON ``{"series": [{"run", "tag", "source_tag", "total_points",
  "points", "smoothed"}, ...]}`` (``points``: the length of each column, ``smoothed``: whether
  a smoothed column follows; ``run_end`` too when asked for), padded with spaces so that the
  columns start 8-byte aligned;
* per series, in the header's order: ``step``, ``epoch``, ``wall_time``, ``value`` and, when
  smoothed, ``smoothed``, each ``points`` little-endian float64 (steps are exact up to 2**53,
  as in JSON read by a browser). NaN and infinities stay themselves; JSON writes them as null.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson

MEDIA_TYPE = "application/vnd.lossboard.columns"
_COLUMNS = ("step", "epoch", "wall_time", "value")


def encode(series: Sequence[dict[str, Any]]) -> bytes:
    """`lossboard.server.api.series`'s answer in the layout above."""
    header = orjson.dumps({"series": [
        {"run": one["run"], "tag": one["tag"], "source_tag": one["source_tag"], "total_points": one["total_points"],
         "points": len(one["step"]), "smoothed": one["smoothed"] is not None,
         **({"run_end": one["run_end"]} if "run_end" in one else {})}
        for one in series
    ]})
    header += b" " * (-(4 + len(header)) % 8)
    columns = [one[name] for one in series for name in _COLUMNS + (("smoothed",) if one["smoothed"] is not None else ())]
    body = np.concatenate(columns, dtype="<f8") if columns else np.empty(0, dtype="<f8")
    return len(header).to_bytes(4, "little") + header + body.tobytes()
