"""fork_map: the same list as a plain loop, in order, with errors raised in the caller."""

import os

import pytest

from minetools.parallel import available_cores, fork_map


def test_results_come_back_in_item_order_from_several_workers():
    big = list(range(100_000))  # inherited through fork, never pickled
    got = fork_map(lambda i, data, k: (i, data[i] * k, os.getpid()), list(range(11)), (big, 3), parallel=True)
    assert [(i, v) for i, v, _ in got] == [(i, i * 3) for i in range(11)]
    if available_cores() > 1:
        assert len({pid for *_, pid in got}) > 1


def test_an_error_in_a_worker_is_raised_here():
    def fail_on_five(i):
        if i == 5:
            raise ValueError("five")
        return i

    with pytest.raises(ValueError, match="five"):
        fork_map(fail_on_five, list(range(8)), (), parallel=True)


def test_a_worker_that_dies_is_reported():
    with pytest.raises(RuntimeError, match="ended unexpectedly"):
        fork_map(lambda i: os._exit(3) if i == 1 else i, [0, 1, 2, 3], (), parallel=True)


def test_without_parallel_it_is_a_plain_loop():
    assert fork_map(lambda i, k: i + k, [1, 2, 3], (10,), parallel=False) == [11, 12, 13]
