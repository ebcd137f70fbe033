import pytest

from harness import CONVENED, MMP, Node


def starts_postgresql(path) -> bool:
    """Whether a test file makes database clusters (its own words say so)."""
    text = path.read_text()
    return "db_nodes" in text or "postgres" in text.lower() or '"database", "cluster"' in text


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # scripts/test.sh runs two pytest-xdist workers with --dist loadgroup. A file is
    # one group (its module fixtures are made once, on one worker), except that every
    # file that starts PostgreSQL clusters is in one group "postgresql": they are the
    # heaviest (three servers each, crash recovery, pg_rewind, base backups), and one
    # after another they never compete with each other for the 2 cores, which keeps
    # their waits for replication far from their bounds.
    seen = {}
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        path = item.path
        if path not in seen:
            seen[path] = "postgresql" if starts_postgresql(path) else path.name
        item.add_marker(pytest.mark.xdist_group(seen[path]))


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
