// Replacing a file that may be someone's only copy of their music: the new bytes go to a hidden
// file beside it, are flushed to the disk, verified by the caller, and renamed over the
// original only if it is still the file that was measured. Any failure, and a kill at any
// moment, leaves the original as it was (at worst a hidden ".NAME.herscan-XXXXXX" file stays
// behind, removed by the next run on that file). docs/loudness.md "Safety".
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

namespace herscan::app {

/// What identifies a file's state: a rename, a rewrite or a touch changes one of these.
struct FileState {
  dev_t device = 0;
  ino_t inode = 0;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  mode_t mode = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  nlink_t links = 0;
  bool operator==(const FileState&) const = default;
};

/// The state of `path` (following links). Throws herscan::Error(not_found, unreadable, ...).
FileState file_state(const std::string& path);

/// Checks that `path` could be replaced: a regular file, one link, with a write permission bit,
/// writable, in a writable folder, owned by this user (unless root). Throws
/// herscan::Error(read_only / not_taggable / not_a_file) otherwise.
void check_replaceable(const std::string& path, const FileState& state);

/// The whole file, checked against `expected` (Error(changed) when it is no longer that file).
std::string read_file_bytes(const std::string& path, const FileState& expected);

/// Replaces `path` (a real path: no symbolic link) by `bytes`: writes them to a temporary file
/// in its folder (locked while it exists) with its group, permissions and extended attributes
/// (and owner, when running as root), fsyncs it, calls
/// `verify(temporary_path)` (which throws to refuse), checks that `path` is still in `expected`
/// state, renames, and fsyncs the folder. Throws herscan::Error: write_failed (with the OS
/// reason: "No space left on device"), changed, read_only, or what `verify` threw; the
/// original is untouched and the temporary removed in every case.
void replace_file(const std::string& path, const std::string& bytes, const FileState& expected,
                  const std::function<void(const std::string& temporary_path)>& verify);

/// Removes temporaries an earlier, killed run left beside `path` (not one a live run holds).
void remove_stale_temporaries(const std::string& path);

}  // namespace herscan::app
