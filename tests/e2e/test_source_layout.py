"""The shape of the source tree, as docs/architecture.md states it: libraries in
layers that point down only (the table there against the CMake dependencies), no
module that reaches back up through a cycle of includes, files small enough to
hold in one's head, comments that point to nothing outside the repository.
Not a process test, but cheap, and it fails the day the code and the document
part ways."""
import re
from collections import defaultdict
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
SRC = TOP / "src"
MAX_LINES = 600  # "about 600": a file past it is two concepts


def documented_layers():
    text = (TOP / "docs" / "architecture.md").read_text()
    table = text.split("## Libraries", 1)[1].split("\n## ", 1)[0]
    layers = {}
    for m in re.finditer(r"^\| (\d+) \| `(\w+)` \|", table, re.M):
        layers[m.group(2)] = int(m.group(1))
    return layers


def cmake_dependencies():
    deps = {}
    for cmake in SRC.glob("*/CMakeLists.txt"):
        text = re.sub(r"#.*", "", cmake.read_text())
        m = re.search(r"convene_library\((\w+)\s+DEPS([^)]*)\)", text, re.S)
        assert m, f"{cmake} declares no convene_library"
        deps[m.group(1)] = set(re.findall(r"convene_(\w+)", m.group(2).split("TEST_DEPS")[0]))
    return deps


def test_every_library_is_in_the_layer_table():
    assert set(cmake_dependencies()) == set(documented_layers())


def test_libraries_depend_only_on_lower_layers():
    layers = documented_layers()
    wrong = [f"{lib} (layer {layers[lib]}) -> {dep} (layer {layers[dep]})"
             for lib, deps in cmake_dependencies().items() for dep in deps if layers[dep] >= layers[lib]]
    assert not wrong, "dependencies that do not point down:\n" + "\n".join(wrong)


def test_top_cmake_adds_libraries_in_layer_order():
    text = (TOP / "CMakeLists.txt").read_text()
    order = re.search(r"foreach\(dir ([^)]*)\)", text).group(1).split()
    layers = documented_layers()
    assert [layers[d] for d in order] == sorted(layers[d] for d in order), order


# admin is the composition root: the Daemon owns the command groups' state (call
# bridge settings and supervisor, XMPP cluster membership) and each reaches the
# others through it. Every library below it must be free of cycles.
CYCLE_EXEMPT = {"admin"}


def modules_and_includes():
    """src/<lib>/<stem> (a .h/.cpp pair) -> the modules its files include."""
    edges = defaultdict(set)
    for path in list(SRC.rglob("*.cpp")) + list(SRC.rglob("*.h")):
        if path.stem.endswith("_test") or path.relative_to(SRC).parts[0] in CYCLE_EXEMPT:
            continue
        module = str(path.relative_to(SRC).with_suffix(""))
        for inc in re.findall(r'^#include "([\w/]+)\.h"', path.read_text(), re.M):
            if inc != module:
                edges[module].add(inc)
    return edges


def test_no_module_reaches_back_up_through_an_include_cycle():
    edges = modules_and_includes()
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in list(edges):
        if v not in index:
            visit(v)
    assert not cycles, "modules that include each other: " + "; ".join(", ".join(c) for c in cycles)


def source_files():
    for root in ("src", "apps", "bench/lib"):
        for path in (TOP / root).rglob("*"):
            if path.suffix in (".cpp", ".h"):
                yield path


def test_no_source_file_is_two_concepts():
    long = [f"{p.relative_to(TOP)}: {n} lines" for p in source_files()
            if (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert not long, "\n".join(long)


def test_comments_point_to_nothing_outside_the_repository():
    outside = re.compile(r"\.\./shared|FIELD-NOTES|SPEC\.md|ARCHITECTURE\.md|STYLE\.md|seeds/|\bissues? #?\d+")
    roots = [TOP / d for d in ("src", "apps", "bench", "tests", "scripts", "packaging", "docs")]
    found = []
    for root in [*roots, TOP / "README.md"]:
        for path in (root.rglob("*") if root.is_dir() else [root]):
            if path.is_file() and path.suffix in (".cpp", ".h", ".py", ".sh", ".txt", ".cmake", ".md", "") \
                    and "results" not in path.parts and path.name != Path(__file__).name:
                try:
                    text = path.read_text()
                except UnicodeDecodeError:
                    continue
                for n, line in enumerate(text.splitlines(), 1):
                    if outside.search(line):
                        found.append(f"{path.relative_to(TOP)}:{n}: {line.strip()[:100]}")
    assert not found, "\n".join(found)
