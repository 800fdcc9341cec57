"""The share of each corpus file's number-bearing lines that lossboard reads, as a Markdown table.

What `lossboard inspect` reports per file, for the whole shared corpus; the table in
docs/formats.md ("What is read of the corpus") is this script's output. Lines left unread on
purpose (config dumps, timings, bars without metrics) are listed with their reasons in
tests/sources/test_corpus_unread.py.

    python bench/corpus_coverage.py [CORPUS]      # default: ../shared/corpus
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

from lossboard.sources.coverage import run_coverage
from lossboard.sources.logdir import load_paths


def main() -> None:
    corpus = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "corpus")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the two edge-case files are reported by load itself
        runs = load_paths([corpus]).runs
    formats = {source: fmt for run in runs for source, fmt in zip(run.sources, run.formats)}
    rows = sorted((str(Path(c.path).relative_to(corpus)), formats[c.path], c) for run in runs for c in run_coverage(run))
    print("| file | format | lines with numbers | read | share | unread kinds |")
    print("|---|---|---:|---:|---:|---:|")
    for relative, fmt, c in rows:
        print(f"| `{relative}` | {fmt} | {c.numbered:,} | {c.read:,} | {c.share_read:.1%} | {len(c.shapes)} |")


if __name__ == "__main__":
    main()
