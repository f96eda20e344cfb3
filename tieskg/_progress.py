"""Progress reporting shared by the build and the command line."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def throttle(seconds: float, report: Callable[..., None], *,
             always: Callable[..., bool] | None = None) -> Callable[..., None]:
    """``report``, passed on at most once per ``seconds`` (and whenever ``always`` of the
    same arguments is true, say for the last step).

    >>> seen = []
    >>> tick = throttle(3600, lambda done, total: seen.append(done),
    ...                 always=lambda done, total: done == total)
    >>> for done in range(1, 5):
    ...     tick(done, 4)
    >>> seen
    [4]
    """
    last = time.perf_counter()

    def throttled(*args: Any) -> None:
        nonlocal last
        now = time.perf_counter()
        if now - last >= seconds or (always is not None and always(*args)):
            last = now
            report(*args)

    return throttled
