#include "loudness/safe_rewrite.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "herscan/error.h"

namespace herscan::app {
namespace {

namespace fs = std::filesystem;

std::string os_reason(int err) {
  return std::strerror(err);
}

// Fault injection for the tagging tests (docs/loudness.md "Safety"), read once:
//   HERSCAN_TEST_FAULT=enospc      the temporary's write fails half-way with ENOSPC
//   HERSCAN_TEST_FAULT=corrupt     one byte of the temporary is flipped after it is written
//   HERSCAN_TEST_FAULT=pause:MS    sleep MS ms after the verification, before the rename
struct Fault {
  std::string kind;
  int pause_ms = 0;
};
const Fault& fault() {
  static const Fault f = [] {
    Fault f;
    const char* env = std::getenv("HERSCAN_TEST_FAULT");
    if (!env) return f;
    const std::string s = env;
    f.kind = s.substr(0, s.find(':'));
    if (f.kind == "pause") f.pause_ms = std::atoi(s.substr(s.find(':') + 1).c_str());
    return f;
  }();
  return f;
}

// The temporary's name pattern: ".NAME.herscan-XXXXXX.EXT" (hidden, so that folder walks skip
// it; the extension kept for decoders that look at it).
struct TempName {
  std::string prefix, suffix;
};
TempName temp_name(const fs::path& path) {
  const std::string name = path.filename().string();
  return {"." + name + ".herscan-", path.extension().string()};
}

void write_all(int fd, const std::string& bytes) {
  std::size_t done = 0, limit = bytes.size();
  const bool enospc = fault().kind == "enospc";
  if (enospc) limit = bytes.size() / 2;
  while (done < limit) {
    const ssize_t n = ::write(fd, bytes.data() + done, limit - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorCode::write_failed, "writing the tagged copy: " + os_reason(errno));
    }
    done += std::size_t(n);
  }
  if (enospc) throw Error(ErrorCode::write_failed, "writing the tagged copy: " + os_reason(ENOSPC));
}

// Gives the copy the original's extended attributes (POSIX ACLs and security labels are
// some), or throws: a file that would lose one is not replaced.
void copy_xattrs(const std::string& from, int to) {
  ssize_t size = ::listxattr(from.c_str(), nullptr, 0);
  if (size < 0) {
    if (errno == ENOTSUP) return;
    throw Error(ErrorCode::write_failed, "reading its extended attributes: " + os_reason(errno));
  }
  std::string names(std::size_t(size), '\0');
  size = ::listxattr(from.c_str(), names.data(), names.size());
  if (size < 0)
    throw Error(ErrorCode::write_failed, "reading its extended attributes: " + os_reason(errno));
  names.resize(std::size_t(size));
  for (std::size_t at = 0; at < names.size();) {
    const std::string name = names.c_str() + at;
    at += name.size() + 1;
    const ssize_t n = ::getxattr(from.c_str(), name.c_str(), nullptr, 0);
    std::string value(n > 0 ? std::size_t(n) : 0, '\0');
    if (n < 0 || ::getxattr(from.c_str(), name.c_str(), value.data(), value.size()) != n ||
        ::fsetxattr(to, name.c_str(), value.data(), value.size(), 0) != 0)
      throw Error(ErrorCode::write_failed, "cannot give the tagged copy its extended attribute " +
                                               name + ": " + os_reason(errno));
  }
}

void fsync_folder(const fs::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);  // the rename is done; a folder that cannot be synced changes nothing now
  ::close(fd);
}

}  // namespace

FileState file_state(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    throw Error(err == ENOENT ? ErrorCode::not_found : ErrorCode::unreadable, os_reason(err));
  }
  FileState s;
  s.device = st.st_dev;
  s.inode = st.st_ino;
  s.size = st.st_size;
  s.mtime_ns = std::int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  s.ctime_ns = std::int64_t(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  s.mode = st.st_mode;
  s.uid = st.st_uid;
  s.gid = st.st_gid;
  s.links = st.st_nlink;
  return s;
}

void check_replaceable(const std::string& path, const FileState& state) {
  if (!S_ISREG(state.mode)) throw Error(ErrorCode::not_a_file, "not a regular file");
  if (state.links > 1)
    throw Error(ErrorCode::not_taggable,
                "has " + std::to_string(state.links) +
                    " hard links: replacing it would separate them (tag one link by hand)");
  // The permission bits as well as access(): root may write anything, but a file its owner made
  // read-only is one they meant to keep as it is.
  if ((state.mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0)
    throw Error(ErrorCode::read_only, "the file is read-only (no write permission)");
  if (::access(path.c_str(), W_OK) != 0)
    throw Error(ErrorCode::read_only, "the file is not writable (" + os_reason(errno) + ")");
  // The copy that replaces it is created by this user; only root can give it back to another.
  if (::geteuid() != 0 && state.uid != ::geteuid())
    throw Error(ErrorCode::read_only, "it belongs to another user (uid " +
                                          std::to_string(state.uid) +
                                          "): the tagged copy would become yours");
  const fs::path folder = fs::path(path).parent_path();
  if (::access(folder.empty() ? "." : folder.c_str(), W_OK | X_OK) != 0)
    throw Error(ErrorCode::read_only, "its folder is not writable (" + os_reason(errno) + ")");
}

std::string read_file_bytes(const std::string& path, const FileState& expected) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorCode::unreadable, os_reason(errno));
  std::string bytes;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_ino != expected.inode || st.st_size != expected.size) {
    ::close(fd);
    throw Error(ErrorCode::changed, "the file changed after it was measured; run again");
  }
  bytes.resize(std::size_t(st.st_size));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd);
      throw Error(ErrorCode::unreadable, "reading it: " + os_reason(err));
    }
    done += std::size_t(n);
  }
  ::close(fd);
  if (file_state(path) != expected)
    throw Error(ErrorCode::changed, "the file changed after it was measured; run again");
  return bytes;
}

void replace_file(const std::string& path, const std::string& bytes, const FileState& expected,
                  const std::function<void(const std::string&)>& verify) {
  const fs::path target(path);
  const fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  const TempName name = temp_name(target);
  std::string temp = (folder / (name.prefix + "XXXXXX" + name.suffix)).string();
  const int fd = ::mkstemps(temp.data(), int(name.suffix.size()));
  if (fd < 0) {
    const int err = errno;
    throw Error(err == EACCES || err == EROFS || err == EPERM ? ErrorCode::read_only
                                                              : ErrorCode::write_failed,
                "creating the tagged copy beside it: " + os_reason(err));
  }
  // Locked while it exists: remove_stale_temporaries() of a run beside this one leaves it. The
  // duplicate keeps the lock after `fd` is closed (flock locks belong to the open file).
  ::flock(fd, LOCK_EX);
  const int lock = ::dup(fd);
  bool renamed = false;
  auto cleanup = [&] {
    if (!renamed) ::unlink(temp.c_str());
    if (lock >= 0) ::close(lock);
  };
  try {
    try {
      // Owner (root only: check_replaceable() refused other users' files) and group, then the
      // mode (chown clears set-id bits), then the extended attributes (an ACL over the mode).
      const uid_t owner = ::geteuid() == 0 ? expected.uid : uid_t(-1);
      if (::fchown(fd, owner, expected.gid) != 0)
        throw Error(ErrorCode::read_only,
                    "cannot give the tagged copy the file's owner and group: " + os_reason(errno));
      if (::fchmod(fd, expected.mode & 07777) != 0)
        throw Error(ErrorCode::write_failed,
                    "giving the copy the file's permissions: " + os_reason(errno));
      copy_xattrs(path, fd);
      write_all(fd, bytes);
      if (fault().kind == "corrupt" && !bytes.empty()) {
        const off_t at = off_t(bytes.size() * 3 / 4);
        const char flipped = char(bytes[std::size_t(at)] ^ 0x5a);
        if (::pwrite(fd, &flipped, 1, at) != 1)
          throw Error(ErrorCode::write_failed, "test fault: " + os_reason(errno));
      }
      if (::fsync(fd) != 0)
        throw Error(ErrorCode::write_failed, "flushing the tagged copy: " + os_reason(errno));
    } catch (...) {
      ::close(fd);
      throw;
    }
    if (::close(fd) != 0)
      throw Error(ErrorCode::write_failed, "closing the tagged copy: " + os_reason(errno));
    verify(temp);
    if (fault().pause_ms > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(fault().pause_ms));
    // The last moment to notice a change: an editor or another tool that wrote the file while
    // it was measured. (A write between this check and the rename is a race no rename-based
    // writer can close; it needs the writer to hold a lock, which players and taggers do not.)
    FileState now;
    try {
      now = file_state(path);
    } catch (const Error&) {
      throw Error(ErrorCode::changed, "the file disappeared while it was tagged");
    }
    if (now != expected)
      throw Error(ErrorCode::changed,
                  "the file changed while it was measured and tagged; run "
                  "again");
    if (::rename(temp.c_str(), path.c_str()) != 0)
      throw Error(ErrorCode::write_failed, "renaming the tagged copy over it: " + os_reason(errno));
    renamed = true;
  } catch (...) {
    cleanup();
    throw;
  }
  fsync_folder(folder);
  cleanup();
}

void remove_stale_temporaries(const std::string& path) {
  const fs::path target(path);
  const fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  const TempName name = temp_name(target);
  DIR* dir = ::opendir(folder.c_str());
  if (!dir) return;
  std::vector<std::string> stale;
  while (const dirent* e = ::readdir(dir)) {
    const std::string n = e->d_name;
    if (n.size() == name.prefix.size() + 6 + name.suffix.size() && n.starts_with(name.prefix) &&
        n.ends_with(name.suffix))
      stale.push_back(n);
  }
  ::closedir(dir);
  // One whose writer is alive holds its lock; a killed writer's lock went with it.
  for (const auto& n : stale) {
    const fs::path p = folder / n;
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) ::unlink(p.c_str());
    ::close(fd);
  }
}

}  // namespace herscan::app
