"""The `xmpp` admin commands of seed 000 (steps 3 and 5) typed through mmp against
a real convened: configuration, call bridges, users, status, and a store that
survives kill -9."""
import re

from harness import NET, snapshot_tree

SECRET_LINE = re.compile(r"^Secret +: ([A-Za-z0-9]{20})$", re.M)


def configure_seed_step3(node):
    """Seed 000 step 3, with a lab certificate instead of an outside CA's."""
    node.mmp("xmpp", "domain", "tptac9.com")
    node.mmp("xmpp", "listen", "a")
    node.mmp("pki", "selfsigned", "abhiall", "CN:tptac9.com")
    node.mmp("xmpp", "certs", "abhiall.key", "abhiall.crt")


def kv(out, key):
    """The value of an aligned 'Key   : value' line."""
    m = re.search(rf"^{re.escape(key)} +: (.*)$", out, re.M)
    assert m, f"no '{key}' line in:\n{out}"
    return m.group(1)


def test_seed_steps_3_and_5_as_typed(node):
    configure_seed_step3(node)
    secrets = {}
    for name in ("cb1", "cb2", "cb3"):
        out = node.mmp("xmpp", "callbridge", "add", name).stdout
        lines = out.splitlines()
        assert lines[0] == "Success            : true"
        assert lines[1] == f"Callbridge         : {name}"
        assert lines[2] == "Domain             : tptac9.com"
        secrets[name] = SECRET_LINE.search(out).group(1)
    assert len(set(secrets.values())) == 3  # each bridge its own random secret

    listed = node.mmp("xmpp", "callbridge", "list").stdout
    for name, secret in secrets.items():
        assert f"Callbridge         : {name}\nDomain             : tptac9.com\nSecret             : {secret}" in listed

    dup = node.mmp("xmpp", "callbridge", "add", "cb1", check=False)
    assert dup.returncode == 1 and "call bridge 'cb1' already exists" in dup.stderr
    assert node.mmp("xmpp", "callbridge", "list").stdout == listed  # secret unchanged

    status = node.mmp("xmpp", "status").stdout
    assert kv(status, "Status") == "Disabled"
    assert kv(status, "Domain") == "tptac9.com"
    assert kv(status, "Key file") == "abhiall.key"
    assert kv(status, "Certificate file") == "abhiall.crt"
    assert kv(status, "Plaintext clients") == "not allowed"
    assert kv(status, "In-band registration") == "not allowed"
    assert kv(status, "Call bridges") == "3"
    assert f"{NET}.1" in kv(status, "Listening")


def test_add_secret_copies_a_secret_and_refuses_a_mismatch(node):
    node.mmp("xmpp", "domain", "tptac9.com")
    out = node.mmp("xmpp", "callbridge", "add-secret", "cb1", input="kvgP1SRzWVabhiPVAb1\n").stdout
    # (mmp echoes the prompt "Enter callbridge secret: " without a newline when
    # stdin is not a terminal.)
    assert "Success            : true\nCallbridge         : cb1\nDomain             : tptac9.com" in out
    assert "Secret             : kvgP1SRzWVabhiPVAb1" in node.mmp("xmpp", "callbridge", "list").stdout
    # The same secret again (the seed types it on every node): fine.
    node.mmp("xmpp", "callbridge", "add-secret", "cb1", input="kvgP1SRzWVabhiPVAb1\n")
    # A different one is the seed's "authentication failure" in the making.
    before = node.mmp("xmpp", "callbridge", "list").stdout
    bad = node.mmp("xmpp", "callbridge", "add-secret", "cb1", input="somethingElse123\n", check=False)
    assert bad.returncode == 1
    assert "different secret" in bad.stderr and "xmpp callbridge del cb1" in bad.stderr
    assert node.mmp("xmpp", "callbridge", "list").stdout == before
    # No secret typed: nothing changes.
    empty = node.mmp("xmpp", "callbridge", "add-secret", "cb2", input="\n", check=False)
    assert empty.returncode == 1 and "cb2" not in node.mmp("xmpp", "callbridge", "list").stdout
    # Delete, then the new secret is accepted.
    node.mmp("xmpp", "callbridge", "del", "cb1")
    node.mmp("xmpp", "callbridge", "add-secret", "cb1", input="somethingElse123\n")
    assert "Secret             : somethingElse123" in node.mmp("xmpp", "callbridge", "list").stdout
    gone = node.mmp("xmpp", "callbridge", "del", "cb9", check=False)
    assert gone.returncode == 1 and "no call bridge 'cb9'" in gone.stderr


def test_bad_names_and_arguments_change_nothing(node):
    node.mmp("xmpp", "domain", "tptac9.com")
    before = snapshot_tree(node.dir)
    cases = [
        (("xmpp", "domain", "bad domain!"), "invalid XMPP domain"),
        (("xmpp", "listen", "z"), "ERROR:"),                     # unknown interface
        (("xmpp", "callbridge", "add", "cb1.tptac9.com"), "must not contain a dot"),
        (("xmpp", "callbridge", "add", "a@b"), "invalid call bridge name"),
        (("xmpp", "plaintext", "maybe"), "neither 'on' nor 'off'"),
        (("xmpp", "limit", "max-depth", "0"), "bad value"),
        (("xmpp", "limit", "speed", "10"), "unknown XMPP limit"),
        (("xmpp", "user", "add", "a b"), "invalid user name"),
        (("xmpp", "certs", "missing.key", "missing.crt"), "not found"),
    ]
    for words, expected in cases:
        r = node.mmp(*words, check=False)
        assert r.returncode == 1, words
        assert expected in r.stderr, (words, r.stderr)
    after = snapshot_tree(node.dir)
    assert {k: v for k, v in after.items() if not k.startswith("logs/")} == \
           {k: v for k, v in before.items() if not k.startswith("logs/")}


def test_certs_are_checked_before_they_are_accepted(node):
    node.mmp("pki", "selfsigned", "one", "CN:one")
    node.mmp("pki", "selfsigned", "two", "CN:two")
    node.mmp("pki", "ca", "create", "labca", "CN:Lab CA")
    node.mmp("pki", "csr", "srv", "CN:srv.tptac9.com")
    node.mmp("pki", "ca", "sign", "srv.csr", "srv.cer", "labca")
    node.mmp("pki", "csr", "old", "CN:old.tptac9.com")
    node.mmp("pki", "ca", "sign", "old.csr", "old.cer", "labca", "start:-400", "days:30")
    config = (node.dir / "config.json").read_bytes() if (node.dir / "config.json").exists() else b""

    mismatch = node.mmp("xmpp", "certs", "one.key", "two.crt", check=False)
    assert mismatch.returncode == 1 and "ERROR:" in mismatch.stderr
    no_chain = node.mmp("xmpp", "certs", "srv.key", "srv.cer", check=False)
    assert no_chain.returncode == 1 and "third" in no_chain.stderr
    expired = node.mmp("xmpp", "certs", "old.key", "old.cer", "labca.crt", check=False)
    assert expired.returncode == 1 and "EXPIRED" in expired.stderr.upper()
    wrong_ca = node.mmp("xmpp", "certs", "srv.key", "srv.cer", "one.crt", check=False)
    assert wrong_ca.returncode == 1
    assert ((node.dir / "config.json").read_bytes() if (node.dir / "config.json").exists() else b"") == config

    node.mmp("xmpp", "certs", "srv.key", "srv.cer", "labca.crt")
    status = node.mmp("xmpp", "status").stdout
    assert kv(status, "Certificate file") == "srv.cer"
    assert kv(status, "CA bundle file") == "labca.crt"


def test_users_add_passwd_del_and_import_all_or_nothing(node):
    node.mmp("xmpp", "domain", "tptac9.com")
    node.mmp("xmpp", "user", "add", "Alice", input="wonderland\n")
    assert node.mmp("xmpp", "user", "list").stdout.split() == ["alice@tptac9.com"]
    dup = node.mmp("xmpp", "user", "add", "alice", input="x\n", check=False)
    assert dup.returncode == 1 and "already exists" in dup.stderr
    node.mmp("xmpp", "user", "passwd", "alice", input="looking-glass\n")
    # Only SCRAM keys are stored, never the password.
    for f in (node.dir / "state").rglob("*"):
        if f.is_file():
            assert b"looking-glass" not in f.read_bytes() and b"wonderland" not in f.read_bytes()

    (node.files / "users.txt").write_text("# staff\nbob:secret1\n\ncarol:pa:ss\nbad user:x\ndave\nalice:again\n")
    bad = node.mmp("xmpp", "user", "import", "users.txt", check=False)
    assert bad.returncode == 1
    assert "line 5" in bad.stderr and "line 6" in bad.stderr and "line 7" in bad.stderr
    assert "nothing was imported" in bad.stderr
    assert node.mmp("xmpp", "user", "list").stdout.split() == ["alice@tptac9.com"]

    lines = ["# generated"] + [f"user{i}:pw{i}" for i in range(300)] + ["carol:pa:ss"]
    (node.files / "users.txt").write_text("\n".join(lines) + "\n")
    out = node.mmp("xmpp", "user", "import", "users.txt").stdout
    assert "Imported 301 users" in out
    listed = node.mmp("xmpp", "user", "list").stdout.split()
    assert len(listed) == 302 and "carol@tptac9.com" in listed and "user299@tptac9.com" in listed
    assert kv(node.mmp("xmpp", "status").stdout, "Users") == "302"

    node.mmp("xmpp", "user", "del", "user0")
    gone = node.mmp("xmpp", "user", "del", "user0", check=False)
    assert gone.returncode == 1 and "no user 'user0'" in gone.stderr


def test_options_limits_and_status_flags(node):
    out = node.mmp("xmpp", "plaintext", "on").stdout
    assert "WARNING" in out
    node.mmp("xmpp", "registration", "on")
    node.mmp("xmpp", "limit", "max-stanza-bytes", "65536")
    status = node.mmp("xmpp", "status").stdout
    assert kv(status, "Plaintext clients").startswith("allowed (INSECURE")
    assert kv(status, "In-band registration") == "allowed"
    assert "max-stanza-bytes=65536" in kv(status, "Limits")
    node.mmp("xmpp", "plaintext", "off")
    assert kv(node.mmp("xmpp", "status").stdout, "Plaintext clients") == "not allowed"


def test_enable_says_what_is_missing(node):
    r = node.mmp("xmpp", "enable", check=False)
    assert r.returncode == 1 and "no XMPP domain: set it with 'xmpp domain <domain>'" in r.stderr
    node.mmp("xmpp", "domain", "tptac9.com")
    r = node.mmp("xmpp", "enable", check=False)
    assert r.returncode == 1 and "xmpp listen" in r.stderr
    node.mmp("xmpp", "listen", "a")
    r = node.mmp("xmpp", "enable", check=False)
    assert r.returncode == 1 and "xmpp certs" in r.stderr
    assert kv(node.mmp("xmpp", "status").stdout, "Status") == "Disabled"


def test_enable_disable_and_reset(node):
    configure_seed_step3(node)
    node.mmp("xmpp", "callbridge", "add", "cb1")
    node.mmp("xmpp", "enable")
    status = node.mmp("xmpp", "status").stdout
    assert kv(status, "Status") == "Enabled, running"
    assert f"{NET}.1:5222" in kv(status, "Listening")
    # Enabled stays enabled across a restart of the daemon.
    node.restart()
    assert kv(node.mmp("xmpp", "status").stdout, "Status") == "Enabled, running"
    node.mmp("xmpp", "disable")
    assert kv(node.mmp("xmpp", "status").stdout, "Status") == "Disabled"

    no = node.mmp("xmpp", "reset", input="y\n", check=False)
    assert no.returncode == 1 and "WARNING!!!" in no.stdout + no.stderr
    assert "cb1" in node.mmp("xmpp", "callbridge", "list").stdout
    node.mmp("xmpp", "reset", input="Y\n")
    assert "No call bridges" in node.mmp("xmpp", "callbridge", "list").stdout
    assert kv(node.mmp("xmpp", "status").stdout, "Domain") == "(not set)"


def test_state_survives_kill_9(node):
    configure_seed_step3(node)
    secret = SECRET_LINE.search(node.mmp("xmpp", "callbridge", "add", "cb1").stdout).group(1)
    node.mmp("xmpp", "callbridge", "add-secret", "cb2", input="copiedSecret4242\n")
    node.mmp("xmpp", "user", "add", "alice", input="pw\n")
    node.kill()
    node.start()
    listed = node.mmp("xmpp", "callbridge", "list").stdout
    assert f"Secret             : {secret}" in listed and "copiedSecret4242" in listed
    assert node.mmp("xmpp", "user", "list").stdout.split() == ["alice@tptac9.com"]
    assert kv(node.mmp("xmpp", "status").stdout, "Domain") == "tptac9.com"
