import pytest

from harness import CONVENED, MMP, Node


def pytest_sessionstart(session):
    # A missing build is a failure, never a silent skip (rule 3).
    for binary in (CONVENED, MMP):
        if not binary.exists():
            raise pytest.UsageError(f"{binary} is missing: build first (scripts/build.sh)")


@pytest.fixture
def nodes(tmp_path):
    """A factory of nodes in this test's directory; all stopped at the end."""
    started = []

    def make(index: int, name: str | None = None, start: bool = True, *extra):
        node = Node(tmp_path, index, name)
        started.append(node)
        return node.start(*extra) if start else node

    yield make
    for node in started:
        node.stop()


@pytest.fixture
def node(nodes):
    """One running node on 127.0.1.1."""
    return nodes(1)


@pytest.fixture
def three(nodes):
    """Three running nodes on 127.0.1.1-3 (the XMPP cluster tests' seed lab)."""
    return {i: nodes(i) for i in (1, 2, 3)}
