"""Errors and warnings that lossboard raises for things a user can cause.

    LossboardError
     +-- InputError             a path or file that cannot be read as a log
     |    +-- PathNotFoundError  the path does not exist (stray quotes are pointed out)
     |    +-- NoLogsError        a directory without any log file in it
     |    +-- BinaryFileError    bytes that are not text and not a known binary format
     |    +-- LfsPointerError    a Git LFS pointer where the real file was expected
     |    +-- UnknownFormatError no format recognises the file (the formats are listed)
     |    +-- NotAFileError      a FIFO, socket or device: never opened, it could block forever
     |    +-- BrokenLinkError    a symbolic link to nothing, or a loop of links
     |    +-- VanishedError      removed between being listed and being read
     +-- UsageError             options that contradict each other or ask for the impossible
     +-- FigureError            some figures could not be drawn (the others are written;
                                lossboard.views.plot)

Every error keeps its fields (``path``, ``line``) for programs and builds a message that says
where, what was found and what to do next. The CLI prints the message and exits non-zero;
anything else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path


class LossboardError(Exception):
    """Base of every error a user can cause."""


class LossboardWarning(UserWarning):
    """A problem that lost some data but not all of it; filter it like any warning."""


class UsageError(LossboardError):
    """The options given cannot be honoured."""


class InputError(LossboardError):
    """A path that cannot be loaded as a log."""

    def __init__(self, path: str | Path, message: str) -> None:
        self.path = str(path)
        super().__init__(f"{self.path}: {message}")


class PathNotFoundError(InputError):
    def __init__(self, path: str | Path) -> None:
        text = str(path)
        hint = "check the spelling"
        stripped = text.strip("'\"")
        if stripped != text:
            hint = f"the path contains quote characters; did you mean {stripped}?"
        super().__init__(path, f"no such file or directory; {hint}")


class NoLogsError(InputError):
    def __init__(self, path: str | Path, examined: int = 0) -> None:
        detail = f" ({examined} files examined, none recognised)" if examined else ""
        super().__init__(path, f"directory holds no training logs{detail}")


class BinaryFileError(InputError):
    def __init__(self, path: str | Path) -> None:
        super().__init__(path, "a binary file, not a text log or an event file; skipped")


class LfsPointerError(InputError):
    def __init__(self, path: str | Path) -> None:
        super().__init__(
            path, 'a Git LFS pointer, not the real file; run "git lfs pull" to fetch it'
        )


class UnknownFormatError(InputError):
    def __init__(self, path: str | Path, formats: list[str]) -> None:
        self.formats = formats
        super().__init__(
            path,
            "no known log format recognised; pass --log-format with one of: " + ", ".join(formats),
        )


class NotAFileError(InputError):
    def __init__(self, path: str | Path, kind: str) -> None:
        self.kind = kind
        super().__init__(
            path, f"{kind}, not a regular file; skipped (save the output to a file and read that)"
        )


class BrokenLinkError(InputError):
    def __init__(self, path: str | Path, *, is_loop: bool) -> None:
        self.is_loop = is_loop
        what = "a loop of symbolic links" if is_loop else "a symbolic link to a path that does not exist"
        super().__init__(path, f"{what}; skipped")


class VanishedError(InputError):
    def __init__(self, path: str | Path) -> None:
        super().__init__(
            path, "removed while being read (a temporary file saved over?); skipped, the rest loaded"
        )
