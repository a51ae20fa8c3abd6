"""Progress of long runs on a text stream (``sys.stderr``).

On a terminal a tqdm bar redraws in place; anywhere else (a log file, a pipe, CI) the same progress
is written as at most ~10 whole lines, ``label: i/total (s)``, so captured logs hold no partial
lines.  ``None`` for a stream means silence.
"""
from __future__ import annotations

import time

__all__ = ["Progress"]


class Progress:
    """``with Progress(total, stream, label) as p: ... p.update()`` once per finished item."""

    def __init__(self, total, stream=None, label="", lines=10):
        self.total, self.stream, self.label, self.done = total, stream, label, 0
        self._bar = None
        self._every = max(1, -(-total // lines))    # ceil(total / lines)
        self._t0 = time.perf_counter()
        if stream is not None and _isatty(stream) and total:
            from tqdm import tqdm

            self._bar = tqdm(total=total, file=stream, desc=label, leave=True)

    def update(self, n=1):
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        elif self.stream is not None and (self.done % self._every == 0 or self.done == self.total):
            self.stream.write(f"{self.label}: {self.done}/{self.total} "
                              f"({time.perf_counter() - self._t0:.1f} s)\n")
            self.stream.flush()

    def close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):     # no isatty, or a closed stream
        return False
