"""lossboard: training curves from any deep-learning log.

>>> import lossboard
>>> runs = lossboard.load("logs/")  # doctest: +SKIP
>>> figures = lossboard.plot(runs)  # in Jupyter, shown inline  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = [
    "Event",
    "LossboardError",
    "LossboardWarning",
    "Progbar",
    "Run",
    "Series",
    "Speedometer",
    "SummaryWriter",
    "__version__",
    "load",
    "plot",
]

if TYPE_CHECKING:
    from lossboard.errors import LossboardError, LossboardWarning
    from lossboard.log.progbar import Progbar
    from lossboard.log.speedometer import Speedometer
    from lossboard.log.writer import SummaryWriter
    from lossboard.model import Event, Run, Series
    from lossboard.sources import load
    from lossboard.views.plot import plot

_LAZY = {
    "Event": "lossboard.model",
    "LossboardError": "lossboard.errors",
    "LossboardWarning": "lossboard.errors",
    "Progbar": "lossboard.log.progbar",
    "Run": "lossboard.model",
    "Series": "lossboard.model",
    "Speedometer": "lossboard.log.speedometer",
    "SummaryWriter": "lossboard.log.writer",
    "load": "lossboard.sources",
    "plot": "lossboard.views.plot",
}


def __getattr__(name: str) -> Any:
    """Import on first use, so ``import lossboard`` stays cheap (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lossboard' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
