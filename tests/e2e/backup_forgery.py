"""Reads and forges .bak files the way an attacker with the passphrase (or without
it) would, to probe what a rollback accepts. The format is backup/backup_archive.h:
magic, a JSON header line, AES-256-GCM of (manifest line + entries) with the magic
and header as associated data, the key scrypt(passphrase, salt)."""
import hashlib
import json
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"CONVENE-BACKUP/2\n"


def _key(passphrase, h):
    return hashlib.scrypt(passphrase.encode(), salt=bytes.fromhex(h["salt"]), n=h["n"], r=h["r"], p=h["p"],
                          maxmem=512 << 20, dklen=32)


def open_backup(data, passphrase):
    """(manifest, {path: content}) of a sealed .bak; raises on a wrong passphrase."""
    assert data.startswith(MAGIC), data[:40]
    eol = data.index(b"\n", len(MAGIC))
    header = json.loads(data[len(MAGIC):eol])
    body = AESGCM(_key(passphrase, header)).decrypt(bytes.fromhex(header["nonce"]), data[eol + 1:], data[:eol + 1])
    line_end = body.index(b"\n")
    manifest = json.loads(body[:line_end])
    entries, pos = {}, line_end + 1
    for e in manifest["entries"]:
        entries[e["path"]] = body[pos:pos + e["size"]]
        pos += e["size"]
    return manifest, entries


def seal_backup(entries, passphrase, extra=None):
    """A .bak sealed with `passphrase`; `extra` adds keys to an entry's manifest
    record by path (e.g. {"files/x": {"type": "symlink"}})."""
    manifest = {"created": "2026-01-01T00:00:00Z", "node": "forged", "entries": []}
    for path, content in entries.items():
        manifest["entries"].append({"path": path, "size": len(content), **(extra or {}).get(path, {})})
    body = json.dumps(manifest).encode() + b"\n" + b"".join(entries.values())
    header = {"kdf": "scrypt", "n": 16384, "r": 8, "p": 1, "salt": os.urandom(16).hex(), "cipher": "aes-256-gcm",
              "nonce": os.urandom(12).hex()}
    head = MAGIC + json.dumps(header).encode() + b"\n"
    return head + AESGCM(_key(passphrase, header)).encrypt(bytes.fromhex(header["nonce"]), body, head)


def old_plaintext_backup(entries_with_modes):
    """The former format: plaintext, an unkeyed checksum anyone can recompute."""
    manifest = {"created": "2026-01-01T00:00:00Z", "node": "forged", "entries": []}
    for path, (content, mode) in entries_with_modes.items():
        manifest["entries"].append({"path": path, "size": len(content), "sha256": hashlib.sha256(content).hexdigest(),
                                    "mode": mode})
    out = b"CONVENE-BACKUP/1\n" + json.dumps(manifest).encode() + b"\n"
    out += b"".join(c for c, _ in entries_with_modes.values())
    return out + b"\nSHA256:" + hashlib.sha256(out).hexdigest().encode() + b"\n"
