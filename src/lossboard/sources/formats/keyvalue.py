"""``keyvalue``: the id lossboard gave generic ``key=value`` prints before the line pipeline.

The ``prints`` format reads everything this one read (a counter and ``name=value`` or
``name: value`` pairs on a line) and more, so detection names ``prints``. The id stays, with
the same parser, so that ``--log-format keyvalue`` and index stores that recorded it keep
working.
"""

from __future__ import annotations

from lossboard.sources.formats.prints import Parser as Parser
from lossboard.sources.formats.sniffers.keyvalue import sniff as sniff

NAME = "keyvalue"

