"""The PKI commands of both seeds, typed through mmp against a real convened."""
import os
import stat
import subprocess

from harness import snapshot_tree


def openssl(*args, input=None):
    return subprocess.run(["openssl", *args], capture_output=True, text=True, input=input, timeout=30)


def test_csr_verifies_with_openssl_and_key_is_private(node):
    out = node.mmp("pki", "csr", "xmppserver1", "CN:xmpp1.tptac9.com", "O:Glass", "C:IN",
                   "subjectAltName:xmpp1.tptac9.com,127.0.1.1").stdout
    assert "xmppserver1.csr" in out
    key, csr = node.files / "xmppserver1.key", node.files / "xmppserver1.csr"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    verified = openssl("req", "-verify", "-noout", "-in", str(csr))
    assert verified.returncode == 0, verified.stderr
    text = openssl("req", "-noout", "-text", "-in", str(csr)).stdout
    assert "CN = xmpp1.tptac9.com" in text and "C = IN" in text
    assert "DNS:xmpp1.tptac9.com" in text and "IP Address:127.0.1.1" in text
    # The key is the CSR's key.
    assert openssl("pkey", "-in", str(key), "-pubout").stdout == openssl("req", "-in", str(csr), "-noout", "-pubkey").stdout


def make_ca_and_cert(node, name, *validity):
    node.mmp("pki", "ca", "create", "labca", "CN:Lab CA")
    node.mmp("pki", "csr", name, f"CN:{name}.example.com")
    node.mmp("pki", "ca", "sign", f"{name}.csr", f"{name}.cer", "labca", *validity)


def test_inspect_of_an_expired_certificate_says_so_in_the_seeds_shape(node):
    make_ca_and_cert(node, "EXPRSVR", "start:-400", "days:30")
    out = node.mmp("pki", "inspect", "EXPRSVR.cer").stdout
    lines = out.splitlines()
    assert lines[0] == "Checking user configured certificates and keys...found"
    assert lines[1] == "File contains a PEM encoded certificate"
    for expected in ("Certificate:", "  Data:", "    Version: 3 (0x2)", "    Serial Number:", "    Validity:",
                     "    Subject: CN=EXPRSVR.example.com", "    Issuer: CN=Lab CA", "    Subject Public Key Info:"):
        assert expected in lines, expected
    assert any(l.startswith("      Not After : ") and l.endswith(" GMT") for l in lines)
    assert "Certificate has EXPIRED (370 days ago)" in out


def test_verify_good_expired_and_wrong_ca(node):
    make_ca_and_cert(node, "good", "days:365")
    ok = node.mmp("pki", "verify", "good.cer", "labca.crt")
    assert "Certificate verified OK" in ok.stdout
    node.mmp("pki", "csr", "old", "CN:old.example.com")
    node.mmp("pki", "ca", "sign", "old.csr", "old.cer", "labca", "start:-400", "days:30")
    expired = node.mmp("pki", "verify", "old.cer", "labca.crt", check=False)
    assert expired.returncode == 1 and "EXPIRED" in expired.stderr
    node.mmp("pki", "ca", "create", "otherca", "CN:Other CA")
    wrong = node.mmp("pki", "verify", "good.cer", "otherca.crt", check=False)
    assert wrong.returncode == 1 and "ERROR:" in wrong.stderr


def test_list_shows_subjects_and_expiry(node):
    make_ca_and_cert(node, "srv", "days:90")
    out = node.mmp("pki", "list").stdout
    assert "srv.cer" in out and "srv.key" in out and "labca.crt" in out
    assert "CN=srv.example.com" in out


def test_bad_input_is_refused_and_changes_nothing(node):
    make_ca_and_cert(node, "a", "days:30")
    node.mmp("pki", "csr", "b", "CN:b")
    (node.files / "notpem.cer").write_text("hello\n")
    before = snapshot_tree(node.dir / "files")
    cases = [
        (("pki", "inspect", "missing.cer"), "not found"),
        (("pki", "inspect", "notpem.cer"), "PEM"),
        (("pki", "match", "b.key", "a.cer"), "ERROR:"),
        (("pki", "csr", "a", "CN:again"), "ERROR:"),          # would overwrite a.key
        (("pki", "csr", "c", "C:India"), "ERROR:"),           # country must be 2 letters
        (("pki", "csr", "c", "XX:1"), "Usage:"),              # unknown field
        (("pki", "inspect", "../config.json"), "ERROR:"),     # outside the file area
        (("pki", "ca", "sign", "b.csr", "b.key", "labca"), "ERROR:"),  # never overwrite a key
    ]
    for words, expected in cases:
        result = node.mmp(*words, check=False)
        assert result.returncode == 1, words
        assert expected in result.stderr, (words, result.stderr)
    assert snapshot_tree(node.dir / "files") == before


def test_bundle_with_intermediate_verifies(node):
    node.mmp("pki", "ca", "create", "root", "CN:Root CA")
    node.mmp("pki", "csr", "inter", "CN:Intermediate CA")
    node.mmp("pki", "ca", "sign", "inter.csr", "inter.crt", "root", "ca:yes")
    node.mmp("pki", "csr", "leaf", "CN:leaf.example.com")
    node.mmp("pki", "ca", "sign", "leaf.csr", "leaf.crt", "inter", "bundle:yes")
    out = node.mmp("pki", "inspect", "leaf.crt").stdout
    assert "File contains 2 PEM encoded certificates" in out
    assert "Certificate verified OK" in node.mmp("pki", "verify", "leaf.crt", "root.crt").stdout


def test_selfsigned_for_the_lab(node):
    node.mmp("pki", "selfsigned", "abhiall", "CN:tptac9.com")
    assert (node.files / "abhiall.key").exists() and (node.files / "abhiall.crt").exists()
    assert "Certificate is self-signed" in node.mmp("pki", "inspect", "abhiall.crt").stdout
    assert "matches" in node.mmp("pki", "match", "abhiall.key", "abhiall.crt").stdout
