"""Probes of the database cluster's and the backups' defences: each test performs
an attack (a certificate of the cluster's CA that is not the cluster's, a member
row that tries to write postgresql.conf, forged, tampered and wrongly-opened
backups, a link planted in the file area) and checks that it is refused and
changes nothing."""
import os
import stat
import subprocess

from backup_forgery import old_plaintext_backup, open_backup, seal_backup
from db_cluster_fixtures import (BACKUP_PASS, PSQL, db_nodes, make_certs, rollback_backup,  # noqa: F401
                                 snapshot_backup, sql)
from harness import NET, snapshot_tree, wait_for


def single_master(node):
    names = make_certs(node, [node])
    node.mmp("database", "cluster", "localnode", "a")
    node.mmp("database", "cluster", "certs", *names)
    node.mmp("database", "cluster", "initialize", input="Y\n")
    return names


def remote_psql(node, client, user, db=None, replication=False, query="SELECT 1"):
    """psql from outside over TLS with the client certificate `client` (file-area base name)."""
    files = node.files
    conninfo = (f"host={node.address} port=5432 user={user} sslmode=verify-full sslrootcert={files / 'CA.cer'} "
                f"sslcert={files / (client + '.cer')} sslkey={files / (client + '.key')} connect_timeout=5")
    conninfo += " replication=true" if replication else f" dbname={db}"
    return subprocess.run([PSQL, conninfo, "-X", "-At", "-c", query], capture_output=True, text=True, timeout=30)


def test_only_the_cluster_client_certificate_is_admitted(db_nodes):
    n1 = db_nodes(1)
    names = single_master(n1)
    # The members check the server certificate against the address they dial: one
    # that does not name this node's address is refused up front, nothing changed.
    n1.mmp("pki", "csr", "nosan", "CN:nosan")
    n1.mmp("pki", "ca", "sign", "nosan.csr", "nosan.cer", "CA")
    r = n1.mmp("database", "cluster", "certs", "nosan.key", "nosan.cer", *names[2:], check=False)
    assert r.returncode == 1 and f"does not name this node's database address {n1.address}" in r.stderr, r.stderr
    assert "subjectAltName" in r.stderr
    assert "  Server Certificate  : dbclusterserver.cer" in n1.mmp("database", "cluster", "status").stdout
    # Another certificate the same CA signed (a phone's, a web server's).
    n1.mmp("pki", "csr", "intruder", "CN:intruder")
    n1.mmp("pki", "ca", "sign", "intruder.csr", "intruder.cer", "CA")
    for user, db, repl in (("replicator", None, True), ("replicator", "postgres", False),
                           ("convene_agent", "postgres", False), ("callbridge", "convene", False)):
        r = remote_psql(n1, "intruder", user, db, repl, "IDENTIFY_SYSTEM" if repl else "SELECT 1")
        assert r.returncode != 0, f"{user}@{db}: {r.stdout}"
        assert "certificate authentication failed" in r.stderr or "pg_hba.conf rejects" in r.stderr, r.stderr
    # The cluster's own client certificate gets each role where it needs it...
    assert remote_psql(n1, "dbclusterclient", "replicator", replication=True, query="IDENTIFY_SYSTEM").returncode == 0
    assert remote_psql(n1, "dbclusterclient", "convene_agent", "postgres").stdout.strip() == "1"
    assert remote_psql(n1, "dbclusterclient", "callbridge", "convene").stdout.strip() == "1"
    # ...and no more: replicator runs no SQL (it used to read files and write the
    # members table), the agents' role reads no file outside the data directory.
    r = remote_psql(n1, "dbclusterclient", "replicator", "postgres", query="SELECT pg_read_binary_file('PG_VERSION')")
    assert r.returncode != 0 and "pg_hba.conf rejects" in r.stderr, r.stderr
    r = remote_psql(n1, "dbclusterclient", "convene_agent", "postgres",
                    query="SELECT length(pg_read_binary_file('../dbcerts/server.key'))")
    assert r.returncode != 0 and "path must be in or below" in r.stderr, r.stdout + r.stderr


def test_member_rows_cannot_write_settings(db_nodes):
    n1 = db_nodes(1)
    single_master(n1)
    conf = n1.dir / "state" / "db" / "convene.conf"
    # A row that would end synchronous_standby_names' quotes (backslash, quote) and
    # start a setting of its own on the next line, and a good row to wait for.
    evil = "x\\'\nssl = off #"
    sql(n1, f"INSERT INTO convene_cluster_members (address) VALUES ($q${evil}$q$), ('{NET}.7')", db="postgres")
    wait_for(lambda: f'"{NET}.7"' in conf.read_text(), 10, "the master to list the new member")
    text = conf.read_text()
    assert "ssl = off" not in text and "x\\" not in text, text
    assert [line for line in text.splitlines() if line.startswith("ssl ")] == ["ssl = on"], text
    sql(n1, "SELECT pg_reload_conf()", db="postgres")
    assert sql(n1, "SHOW ssl", db="postgres").stdout.strip() == "on"
    sql(n1, "SET synchronous_commit = local; DELETE FROM convene_cluster_members WHERE address <> "
            f"'{NET}.1'", db="postgres")
    # A join to such an address is refused before anything is tried.
    for bad in ("127.0.0.1'", "127.0.0.1\nssl=off", "a b"):
        r = n1.mmp("database", "cluster", "join", bad, input="Y\n", check=False)
        assert r.returncode == 1 and "is not a usable database cluster address" in r.stderr, r.stderr
        assert "WARNING" not in r.stdout


def test_backups_are_sealed_and_forgeries_change_nothing(db_nodes):
    n1 = db_nodes(1)
    single_master(n1)
    sql(n1, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
    # A link planted in the file area is not followed by a snapshot.
    secret = n1.dir.parent / "outside-secret.txt"
    secret.write_text("outside the file area")
    os.symlink(secret, n1.files / "planted.crt")
    out = snapshot_backup(n1, "b1").stdout
    assert "Left out files/planted.crt" in out and "b1.bak ready for download" in out, out
    data = (n1.files / "b1.bak").read_bytes()
    # Sealed: no key, no SQL in plaintext; and it opens with the passphrase only.
    assert b"PRIVATE KEY" not in data and b"CREATE TABLE" not in data
    manifest, entries = open_backup(data, BACKUP_PASS)
    assert "files/planted.crt" not in entries and b"outside the file area" not in b"".join(entries.values())
    assert "mode" not in manifest["entries"][0]
    os.unlink(n1.files / "planted.crt")

    # Asked twice at snapshot: a short or mistyped passphrase writes nothing.
    r = n1.mmp("backup", "snapshot", "b2", input="short\nshort\n", check=False)
    assert r.returncode == 1 and "shorter than 8 characters" in r.stderr, r.stderr
    r = n1.mmp("backup", "snapshot", "b2", input=f"{BACKUP_PASS}\n{BACKUP_PASS}x\n", check=False)
    assert r.returncode == 1 and "the two passphrases differ" in r.stderr, r.stderr
    assert not (n1.files / "b2.bak").exists()

    sql(n1, "INSERT INTO t VALUES (2)")
    before = snapshot_tree(n1.files)

    def refused(name, passphrase=BACKUP_PASS, asked=False):
        """The rollback fails; before its question unless the file opened (`asked`)."""
        r = rollback_backup(n1, name, passphrase=passphrase, check=False)
        assert r.returncode == 1, r.stdout
        assert ("WARNING" in r.stdout) == asked and "restored" not in r.stdout, r.stdout
        return r.stderr

    # A wrong passphrase and a changed byte: refused before the question.
    assert "the passphrase is wrong, or the file was changed" in refused("b1", "not-the-passphrase")
    tampered = bytearray(data)
    tampered[len(tampered) // 2] ^= 1
    (n1.files / "tampered.bak").write_bytes(bytes(tampered))
    assert "the passphrase is wrong, or the file was changed" in refused("tampered")
    # The old unsealed format, forged: a set-uid file and SQL run as the superuser.
    (n1.files / "old.bak").write_bytes(old_plaintext_backup({
        "files/run.sh": (b"#!/bin/sh\n", 0o4777), "database/convene.sql": (b"CREATE ROLE evil_probe SUPERUSER;\n", 0o600)}))
    assert "unencrypted backup of an older version" in refused("old")
    # Sealed with the right passphrase but forged: a link entry is refused...
    (n1.files / "link.bak").write_bytes(seal_backup({"files/x.key": b"/etc/shadow"}, BACKUP_PASS,
                                                    {"files/x.key": {"type": "symlink"}}))
    assert "regular files only" in refused("link")
    # ...and SQL runs as a role that cannot make roles or run programs.
    (n1.files / "sql.bak").write_bytes(seal_backup({
        "files/planted.txt": b"x", "database/convene.sql": b"CREATE ROLE evil_probe SUPERUSER;\n"}, BACKUP_PASS))
    assert "must be superuser" in refused("sql", asked=True)
    (n1.files / "prog.bak").write_bytes(seal_backup({
        "database/convene.sql": f"COPY (SELECT 1) TO PROGRAM 'touch {n1.dir}/pwned';\n".encode()}, BACKUP_PASS))
    err = refused("prog", asked=True)
    assert "must be superuser" in err or "permission denied" in err, err
    after = snapshot_tree(n1.files)
    for forged in ("tampered.bak", "old.bak", "link.bak", "sql.bak", "prog.bak"):
        after.pop(forged, None)
    assert after == before
    assert not (n1.dir / "pwned").exists()
    assert sql(n1, "SELECT count(*) FROM pg_roles WHERE rolname = 'evil_probe'", db="postgres").stdout.strip() == "0"
    assert sql(n1, "SELECT count(*) FROM t").stdout.strip() == "2"

    # A mode in the archive is not used: every restored file is 0600.
    (n1.files / "suid.bak").write_bytes(seal_backup({"files/run.sh": b"#!/bin/sh\n"}, BACKUP_PASS,
                                                    {"files/run.sh": {"mode": 0o4777}}))
    assert "Rollback complete" in rollback_backup(n1, "suid").stdout
    assert stat.S_IMODE(os.lstat(n1.files / "run.sh").st_mode) == 0o600

    # The real backup still restores, database included.
    out = rollback_backup(n1, "b1").stdout
    assert "Database restored" in out
    assert sql(n1, "SELECT count(*) FROM t").stdout.strip() == "1"
