#ifndef BERTH_TESTS_UNIT_AGENT_IMAGES_TEST_TAR_H_
#define BERTH_TESTS_UNIT_AGENT_IMAGES_TEST_TAR_H_

// Builds layer tars in memory with libarchive's writer, including hostile
// ones no well-behaved tool would make.

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace berth::images::testing {

struct TarEntry {
  enum class Type { kFile, kDir, kSymlink, kHardlink, kCharDev, kFifo };
  std::string path = {};
  Type type = Type::kFile;
  std::string data = {};  // kFile contents
  std::string link = {};  // kSymlink / kHardlink target
  int mode = 0644;
  unsigned uid = 0;
  unsigned gid = 0;
  unsigned dev_major = 0;
  unsigned dev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs = {};
};

inline TarEntry File(std::string path, std::string data, int mode = 0644) {
  return TarEntry{.path = std::move(path), .type = TarEntry::Type::kFile, .data = std::move(data),
                  .mode = mode};
}
inline TarEntry Dir(std::string path, int mode = 0755) {
  return TarEntry{.path = std::move(path), .type = TarEntry::Type::kDir, .mode = mode};
}
inline TarEntry Symlink(std::string path, std::string target) {
  return TarEntry{.path = std::move(path), .type = TarEntry::Type::kSymlink,
                  .link = std::move(target), .mode = 0777};
}
inline TarEntry HardLink(std::string path, std::string target) {
  return TarEntry{.path = std::move(path), .type = TarEntry::Type::kHardlink,
                  .link = std::move(target)};
}

enum class Compression { kNone, kGzip, kZstd };

// The tar (pax format) of `entries`, compressed as asked.
std::string MakeTar(const std::vector<TarEntry>& entries, Compression c = Compression::kNone);

}  // namespace berth::images::testing

#endif  // BERTH_TESTS_UNIT_AGENT_IMAGES_TEST_TAR_H_
