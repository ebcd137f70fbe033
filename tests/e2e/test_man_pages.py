"""The manual pages are made from the command registry at build time: each lists
every command a running daemon serves (its grammar, what `mmp help` shows), and
nothing else; and every option the binaries accept."""
import json
import re
import socket
import subprocess

from harness import BUILD, CONVENED, MMP

MAN = BUILD / "man"
CALLBRIDGE = BUILD / "apps" / "convene-callbridge"


def served_grammar(node) -> list:
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(str(node.socket))
        s.sendall(b'{"op":"grammar"}\n')
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            assert chunk, "the daemon closed the socket before its grammar"
            data += chunk
    return json.loads(data)["grammar"]


def unroff(text: str) -> str:
    return text.replace("\\-", "-").replace("\\e", "\\").replace("\\&", "")


def page(name: str) -> str:
    path = MAN / f"{name}.1"
    assert path.exists(), f"{path} is missing: the build writes it (target man_pages)"
    return path.read_text()


def listed_commands(roff: str) -> list:
    """(words, usage) of each entry of the COMMANDS section, as `man` shows them."""
    section = roff.split("\n.SH COMMANDS\n", 1)[1].split("\n.SH ", 1)[0]
    entries = re.findall(r"^\.TP\n\\fB(.*?)\\fR(?: \\fI(.*?)\\fR)?\n", section, re.M)
    return [(unroff(words), unroff(usage)) for words, usage in entries]


def registry(grammar, noun=None) -> list:
    return [(" ".join(c["words"]), c["usage"]) for c in grammar if noun is None or c["words"][0] == noun]


def test_mmp_and_convened_pages_list_exactly_the_served_commands(node):
    grammar = served_grammar(node)
    assert len(grammar) > 20, grammar
    for name in ("mmp", "convened"):
        assert listed_commands(page(name)) == registry(grammar), name


def test_callbridge_page_lists_the_callbridge_commands(node):
    grammar = served_grammar(node)
    listed = listed_commands(page("convene-callbridge"))
    assert listed == registry(grammar, "callbridge")
    assert listed, "no callbridge commands listed"


def test_every_option_of_the_binaries_is_in_their_page():
    for binary, name in ((CONVENED, "convened"), (MMP, "mmp"), (CALLBRIDGE, "convene-callbridge")):
        usage = subprocess.run([str(binary), "--help"], capture_output=True, text=True, timeout=10).stdout
        options = set(re.findall(r"^\s+(--[a-z-]+)", usage, re.M)) - {"--help"}
        assert options, usage
        documented = set(re.findall(r"^(--[a-z-]+)", unroff(page(name)), re.M))
        assert options == documented, name
