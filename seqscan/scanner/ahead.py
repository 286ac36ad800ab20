"""Reads of the disk done ahead by a pool of threads and handed over in order: Create Models writes
one run at a time in its own thread (the one database session) while the next runs' folders are
read. Filesystem only.

The pool reads only while `slow()` says the disk is slow (a network disk's round trips); on a local
disk the caller's thread reads each item when it asks for it, as with one thread: there threads
only contend for Python's interpreter lock."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from itertools import islice
from typing import Any, Generic, NamedTuple, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Reads(NamedTuple, Generic[R]):
    """The reads of one item, each a task that may run in any thread, and how their results (in the
    tasks' order) are put together."""

    tasks: list[Callable[[], Any]]
    combine: Callable[[list[Any]], R]


def read_now(reads: Reads[R]) -> R:
    """The reads done one after the other, in this thread."""
    return reads.combine([task() for task in reads.tasks])


@contextmanager
def read_ahead(
    plan: Callable[[T], Reads[R]], items: Iterable[T], threads: int, slow: Callable[[], bool] = lambda: True
) -> Iterator[Iterator[Callable[[], R]]]:
    """For each item in order, a function that returns its reads put together (raising what a read
    raised), called when the caller wants it. With threads above 1 the reads run in a pool, up to
    `threads` items ahead of the caller (memory stays bounded), while slow() is true; with 1, or
    while slow() is false, when they are asked for."""
    if threads <= 1:
        yield (partial(_planned_now, plan, item) for item in items)
        return
    pool = ThreadPoolExecutor(threads, thread_name_prefix="seqscan-read")
    try:
        yield _in_order(pool, plan, iter(items), threads, slow)
    finally:  # a scan stopped between runs does not wait for reads it will not use
        pool.shutdown(wait=True, cancel_futures=True)


def _planned_now(plan: Callable[[T], Reads[R]], item: T) -> R:
    return read_now(plan(item))


def _in_order(
    pool: ThreadPoolExecutor, plan: Callable[[T], Reads[R]], items: Iterator[T], window: int, slow: Callable[[], bool]
):
    pending: deque[Callable[[], R]] = deque()

    def submit(item: T) -> None:
        if not slow():
            pending.append(partial(_planned_now, plan, item))
            return
        try:
            reads = plan(item)
        except Exception as e:  # raised when the caller asks for the item, as read_now would
            pending.append(partial(_raise, e))
            return
        pending.append(partial(_gather, [pool.submit(task) for task in reads.tasks], reads.combine))

    for item in islice(items, window):
        submit(item)
    while pending:
        taken = pending.popleft()
        for item in islice(items, 1):
            submit(item)
        yield taken


def _gather(futures: list[Future], combine: Callable[[list[Any]], R]) -> R:
    return combine([future.result() for future in futures])


def _raise(error: Exception) -> Any:
    raise error
