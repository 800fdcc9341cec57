"""The CRC-32 every stored chunk and summary row carries, and the error a mismatch raises."""

from __future__ import annotations

import zlib

from lossboard.errors import LossboardError


class CorruptChunk(LossboardError):
    """Stored bytes that no longer match their checksum: the index file was damaged."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        super().__init__(f"a stored chunk of {'series ' + repr(tag) if tag else 'a series'} fails its checksum")


def checksum(*blobs: bytes) -> int:
    """CRC-32 of the blobs in order: what a row stores to detect its bytes changing."""
    crc = 0
    for blob in blobs:
        crc = zlib.crc32(blob, crc)
    return crc
