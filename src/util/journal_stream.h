#pragma once
// Is this process's output the systemd journal? systemd sets JOURNAL_STREAM to the
// device:inode of the stream it connected to a service's stdout/stderr; a child
// that inherited the variable but whose descriptor went elsewhere does not match.
// init_logging uses it: lines to the journal carry their syslog priority ("<N>")
// and no timestamp (the journal keeps its own), so `journalctl -p warning` works.
namespace convene {

bool is_journal_stream(int fd);

}  // namespace convene
