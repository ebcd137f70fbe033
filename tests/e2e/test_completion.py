"""Tab completion of mmp: the bash completion file (packaging/mmp.bash-completion,
run in a real bash with COMP_WORDS/COMP_CWORD set) and interactive mmp's readline
completion (through a pty): command words from the daemon's grammar, and file-area
names after a command that takes a file."""
import os
import subprocess

import pexpect

from harness import MMP, TOP

COMPLETION = TOP / "packaging" / "mmp.bash-completion"


def bash_complete(node, *words) -> list:
    """COMPREPLY for `mmp --node DIR words...`, the last word being completed."""
    line = ["mmp", "--node", str(node.dir), *words]
    script = (f"source {COMPLETION}\n"
              f"COMP_WORDS=({' '.join(repr(w) for w in line)}); COMP_CWORD={len(line) - 1}\n"
              "_mmp\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
    env = dict(os.environ, PATH=f"{MMP.parent}:{os.environ['PATH']}")
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], env=env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return [w for w in result.stdout.split("\n") if w]


def test_bash_completes_commands_from_the_grammar(node):
    assert bash_complete(node, "pki", "ins") == ["inspect"]
    nouns = bash_complete(node, "")
    assert {"pki", "xmpp", "database", "backup", "callbridge", "help"} <= set(nouns), nouns
    assert bash_complete(node, "xmpp", "cluster", "st") == ["status"]


def test_bash_completes_file_area_names_after_a_command_that_takes_a_file(node):
    node.mmp("pki", "selfsigned", "db", "CN:db")
    node.mmp("pki", "selfsigned", "xmpp", "CN:xmpp")
    assert bash_complete(node, "pki", "inspect", "db") == ["db.crt", "db.key"]
    assert bash_complete(node, "pki", "verify", "db.crt", "xm") == ["xmpp.crt", "xmpp.key"]
    # A new name, not a file: nothing offered.
    assert bash_complete(node, "pki", "csr", "d") == []


def test_bash_offers_nothing_when_the_node_is_down(node):
    node.stop()
    assert bash_complete(node, "pki", "ins") == []


def test_interactive_mmp_completes_a_file_area_name(node):
    node.mmp("pki", "selfsigned", "tabbed", "CN:tabbed.example")
    (node.files / "tabbed.key").unlink()  # one file starts with "tab": Tab completes it whole
    shell = pexpect.spawn(str(MMP), ["--node", str(node.dir)], env=dict(os.environ, HOME=str(node.dir)),
                          encoding="utf-8", timeout=15, dimensions=(40, 200))
    try:
        shell.expect_exact(f"{node.name}> ")
        shell.send("pki ins\tta\t\r")
        # The line run is the completed one: inspect shows the certificate's subject.
        shell.expect_exact("pki inspect tabbed.crt")
        shell.expect("CN ?= ?tabbed.example")
        shell.expect_exact(f"{node.name}> ")
        shell.sendline("exit")
        shell.expect(pexpect.EOF)
    finally:
        shell.close(force=True)
