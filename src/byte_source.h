// byte_source.h — the bytes of an encoded file, for the decoding backends (internal to
// AudioFileReader).
//
// Either a file descriptor read through a buffer (libsndfile's FLAC decoder asks for 8 KB at a
// time and the position twice per read: about 8000 system calls for a 4-minute track, against
// 100 here), or bytes held in memory. Reads are positional; a read error reads as the end.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace herscan::detail {

class ByteSource {
 public:
  /// Bytes in memory; they must outlive the source.
  explicit ByteSource(std::span<const std::byte> memory) : memory_(memory), size_(memory.size()) {}
  /// An open file of `size` bytes; the source closes `fd`.
  ByteSource(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  ~ByteSource() {
    if (fd_ >= 0) ::close(fd_);
  }
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  std::uint64_t size() const noexcept { return size_; }

  /// Up to `n` bytes at `offset` into `dst`; the count, short at the end of the source.
  std::size_t read(std::uint64_t offset, std::size_t n, std::byte* dst) {
    if (offset >= size_) return 0;
    n = std::size_t(std::min<std::uint64_t>(n, size_ - offset));
    if (fd_ < 0) {
      std::memcpy(dst, memory_.data() + offset, n);
      return n;
    }
    std::size_t done = 0;
    while (done < n) {
      const std::uint64_t at = offset + done;
      if (at >= buffer_start_ && at < buffer_start_ + buffer_.size()) {  // from the buffer
        const std::size_t k = std::min(n - done, std::size_t(buffer_start_ + buffer_.size() - at));
        std::memcpy(dst + done, buffer_.data() + (at - buffer_start_), k);
        done += k;
        continue;
      }
      buffer_.resize(kBufferBytes);
      ssize_t got;
      do {
        got = ::pread(fd_, buffer_.data(), kBufferBytes, off_t(at));
      } while (got < 0 && errno == EINTR);
      buffer_start_ = at;
      buffer_.resize(got > 0 ? std::size_t(got) : 0);
      if (got <= 0) break;  // a read error: a short read, which the decoders report
    }
    return done;
  }

 private:
  static constexpr std::size_t kBufferBytes = std::size_t(256) << 10;
  std::span<const std::byte> memory_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::vector<std::byte> buffer_;
  std::uint64_t buffer_start_ = 0;  // the source offset of buffer_[0]; buffer_.size() bytes valid
};

}  // namespace herscan::detail
