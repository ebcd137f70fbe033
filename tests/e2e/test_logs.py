"""Logs where operators look: under systemd (JOURNAL_STREAM names the daemon's
stderr) every stderr line carries its syslog priority for the journal; the log file
keeps its timestamped lines; and the logrotate file rotates a node's logs."""
import os
import shutil
import signal
import subprocess

from harness import CONVENED, NET, TOP, wait_for


def run_daemon(tmp_path, journal: bool):
    node_dir = tmp_path / "node1"
    out_path = tmp_path / "stderr"
    out = open(out_path, "wb")
    env = dict(os.environ)
    env.pop("JOURNAL_STREAM", None)
    if journal:  # what systemd sets when the unit's stderr is the journal
        st = os.fstat(out.fileno())
        env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
    proc = subprocess.Popen([str(CONVENED), "--dir", str(node_dir), "--iface", f"a={NET}.1"],
                            stdout=out, stderr=out, env=env)
    try:
        wait_for(lambda: (node_dir / "mmp.sock").exists() and b"ready" in out_path.read_bytes(), 10,
                 "the daemon to say it is ready")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        out.close()
    return out_path.read_text(), (node_dir / "logs" / "convened.log").read_text()


def test_under_the_journal_stderr_lines_carry_their_priority(tmp_path):
    stderr, logfile = run_daemon(tmp_path, journal=True)
    ready = [line for line in stderr.splitlines() if "ready" in line]
    assert ready and ready[0].startswith("<6>[node] node "), stderr
    # The file is read without the journal: it keeps its timestamps and level names.
    assert any(line.startswith("[20") and "[node] [info] node " in line for line in logfile.splitlines()), logfile


def test_without_the_journal_stderr_keeps_timestamps(tmp_path):
    stderr, _ = run_daemon(tmp_path, journal=False)
    ready = [line for line in stderr.splitlines() if "ready" in line]
    assert ready and ready[0].startswith("[20") and "[node] [info]" in ready[0], stderr


def test_logrotate_rotates_a_node_log(tmp_path):
    logrotate = shutil.which("logrotate") or "/usr/sbin/logrotate"
    assert os.path.exists(logrotate), "logrotate is missing (scripts/packages.txt)"
    logs = tmp_path / "var" / "lib" / "convene" / "node1" / "logs"
    logs.mkdir(parents=True)
    (logs / "convened.log").write_text("a line\n")
    # The installed file, with its path moved under tmp_path and run as this user.
    conf = (TOP / "packaging" / "convene.logrotate").read_text()
    conf = conf.replace("/var/lib/convene", str(tmp_path / "var" / "lib" / "convene"))
    conf = conf.replace("su root root", "")
    (tmp_path / "convene.logrotate").write_text(conf)
    result = subprocess.run([logrotate, "--force", "--state", str(tmp_path / "state"), str(tmp_path / "convene.logrotate")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert (logs / "convened.log.1").read_text() == "a line\n"
    assert (logs / "convened.log").read_text() == ""  # truncated in place, still the open file
