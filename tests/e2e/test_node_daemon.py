"""convened and mmp as an operator meets them: start, one-shot commands, errors,
refusing a second daemon, clean shutdown."""
import os
import stat
import subprocess

from harness import CONVENED, Node


def test_one_shot_command_and_exit_status(node):
    result = node.mmp("iface", "list")
    assert result.stdout.strip() == f"a : {node.address}"


def test_admin_socket_is_private(node):
    mode = stat.S_IMODE(os.stat(node.socket).st_mode)
    assert mode == 0o600


def test_unknown_command_suggests_the_nearest(node):
    result = node.mmp("iface", "lsit", check=False)
    assert result.returncode == 1
    assert "unknown command 'iface lsit'" in result.stderr
    assert "Did you mean 'iface list'?" in result.stderr


def test_wrong_arguments_print_the_usage_block(node):
    result = node.mmp("backup", check=False)
    assert result.returncode == 1
    assert "Usage:\n    backup snapshot <name>\n    backup rollback <name>\n    backup list" in result.stderr


def test_cluster_status_of_a_standalone_node_says_so(node):
    # Was the last unbuilt command (it exists now): a node never clustered says
    # so plainly, without a fake peer list.
    result = node.mmp("xmpp", "cluster", "status")
    assert "State: DISABLED" in result.stdout
    assert "List of peers" not in result.stdout


def test_help_lists_nouns_and_a_nouns_commands(node):
    assert "xmpp" in node.mmp("help").stdout
    usage = node.mmp("help", "backup").stdout
    assert "backup snapshot <name>" in usage and "backup rollback <name>" in usage


def test_second_daemon_on_the_same_directory_is_refused(node):
    result = subprocess.run(node.command_line(), capture_output=True, text=True, timeout=10)
    assert result.returncode != 0
    assert f"another convened (pid {node.proc.pid}) already runs" in result.stderr
    # The first one is untouched.
    assert node.mmp("iface", "list").returncode == 0


def test_sigterm_stops_cleanly_and_removes_the_socket(node):
    assert node.stop() == 0
    assert not node.socket.exists()


def test_restart_after_kill_9(node):
    node.kill()
    node.start()  # the lock died with the process; a stale socket is replaced
    assert node.mmp("iface", "list").returncode == 0


def test_unreachable_daemon_is_a_clear_error(tmp_path):
    lonely = Node(tmp_path, 9)
    result = lonely.mmp("iface", "list", check=False)
    assert result.returncode == 2
    assert "cannot reach convened" in result.stderr
    assert "convened --dir" in result.stderr


def test_interface_that_is_not_local_is_refused(tmp_path):
    # 203.0.113.0/24 is TEST-NET-3: never an address of this machine. Nothing is
    # sent; binding simply fails.
    result = subprocess.run([str(CONVENED), "--dir", str(tmp_path / "n"), "--iface", "a=203.0.113.7"],
                            capture_output=True, text=True, timeout=10)
    assert result.returncode != 0
    assert "203.0.113.7 is not an address of this machine" in result.stderr


def test_malformed_interface_binding_is_refused(tmp_path):
    result = subprocess.run([str(CONVENED), "--dir", str(tmp_path / "n"), "--iface", "eth0=127.0.1.1"],
                            capture_output=True, text=True, timeout=10)
    assert result.returncode != 0
    assert "Interface names are one letter" in result.stderr
    assert not (tmp_path / "n").exists()
