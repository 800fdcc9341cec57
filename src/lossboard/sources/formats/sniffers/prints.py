"""A script's own prints: values, bars among logging records, headers; none of another format's signatures."""

from __future__ import annotations

import re

CEILING = 0.9  # the most `sniff` says: a format before it that scored this leaves it unasked

_SNIFF_CHARS = 32 * 1024  # detection runs every format's sniff on every file: parse a part
# signatures of formats with a parser of their own, which read their lines better
_SPECIFIC = re.compile(
    r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ |Epoch\[\d+\]|Iter\[\d+\]|Batch \[\d+|\[Epoch \d+\]"
    r"|Epoch: \[\d+\]\[|Epoch \[\d+\]\[\d+/\d+\]|Epoch\(\w+\)|Iter \[\d+/\d+\]|d2\.utils\.events"
    r"|\{['\"](?:loss|eval_|train_runtime|iteration|mode)['\"]|\[=+[>.]|\d+m?s/step|^\d+s - \w+: "
    r"|[━╸╺]{3}[^\n]*? • ",  # Lightning's RichProgressBar: "Epoch 1/1 ━━━━ 32/32 0:00:00 • 0:00:00"
    re.M,
)
_TIMESTAMPED = re.compile(r"^\S*\d{4}[-/]\d\d[-/]\d\d[ T]\d\d:\d\d:\d\d|^(?:INFO|WARNING|DEBUG):\w*:", re.M)


def sniff(head: str, filename: str) -> float:
    """0.9 for bars mixed with logging records, header lines or prints that give values (the
    plain ``tqdm`` format says 0.85); 0.55 for three lines of values, or one under a header;
    0.3 for two; 0 when another format's signature is in the head."""
    if _SPECIFIC.search(head):
        return 0.0
    # the parser reads the head as it would read the file; imported here, when a head gets this far
    from lossboard.sources.formats.prints import Parser

    parser = Parser()
    parser.feed(head[:_SNIFF_CHARS])
    parser.close()  # the last line may be cut, but a bar that long is still a bar
    if parser.bars and (parser.read or parser.headers or _TIMESTAMPED.search(head)):
        return 0.9
    if parser.read >= 3 or (parser.read and parser.headers):
        return 0.55
    return 0.3 if parser.read == 2 else 0.0
