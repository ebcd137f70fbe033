#pragma once
// Canonical raft's C headers lack extern "C": include them only through here.
// Some structs share a function's name (raft_apply, raft_transfer,
// raft_barrier): write `struct raft_apply` for the type in C++.
#include <uv.h>

extern "C" {
#include <raft.h>
#include <raft/uv.h>
}
