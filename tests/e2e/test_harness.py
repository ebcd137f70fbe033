"""The harness's own rule for parallel runs: each pytest-xdist worker's nodes live in
a /24 of their own, so two workers never bind the same address."""
import pytest

from harness import worker_net


def test_each_worker_gets_a_network_of_its_own():
    assert worker_net("127.0.1", None) == "127.0.1"
    assert worker_net("127.0.1", "gw0") == "127.0.1"
    assert worker_net("127.0.1", "gw1") == "127.0.2"
    assert worker_net("127.0.4", "gw2") == "127.0.6"
    assert len({worker_net("127.0.1", f"gw{i}") for i in range(4)}) == 4


def test_a_workers_addresses_are_as_long_as_the_first_ones():
    # Status lines pad addresses to fixed columns; a longer one moved them.
    for worker in ("gw1", "gw2"):
        assert len(worker_net("127.0.1", worker)) == len("127.0.1")
    with pytest.raises(ValueError):
        worker_net("127.0.9", "gw1")
