#include "tests/unit/agent/images/test_tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdlib>
#include <iostream>

namespace berth::images::testing {

namespace {

la_ssize_t Append(archive*, void* client, const void* buf, size_t n) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

void Must(int r, archive* a, const char* what) {
  if (r < ARCHIVE_WARN) {
    std::cerr << "MakeTar: " << what << ": " << archive_error_string(a) << "\n";
    std::abort();
  }
}

}  // namespace

std::string MakeTar(const std::vector<TarEntry>& entries, Compression c) {
  std::string out;
  archive* a = archive_write_new();
  Must(archive_write_set_format_pax(a), a, "format");
  if (c == Compression::kGzip) {
    Must(archive_write_add_filter_gzip(a), a, "gzip");
  } else if (c == Compression::kZstd) {
    Must(archive_write_add_filter_zstd(a), a, "zstd");
  }
  archive_write_set_bytes_in_last_block(a, 1);
  Must(archive_write_open(a, &out, nullptr, Append, nullptr), a, "open");
  for (const TarEntry& t : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.path.c_str());
    archive_entry_set_uid(e, t.uid);
    archive_entry_set_gid(e, t.gid);
    archive_entry_set_mtime(e, 1700000000, 0);
    for (const auto& [k, v] : t.xattrs) {
      archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    }
    switch (t.type) {
      case TarEntry::Type::kFile:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, static_cast<la_int64_t>(t.data.size()));
        break;
      case TarEntry::Type::kDir:
        archive_entry_set_filetype(e, AE_IFDIR);
        break;
      case TarEntry::Type::kSymlink:
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, t.link.c_str());
        break;
      case TarEntry::Type::kHardlink:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, t.link.c_str());
        archive_entry_set_size(e, 0);
        break;
      case TarEntry::Type::kCharDev:
        archive_entry_set_filetype(e, AE_IFCHR);
        archive_entry_set_rdev(e, makedev(t.dev_major, t.dev_minor));
        break;
      case TarEntry::Type::kFifo:
        archive_entry_set_filetype(e, AE_IFIFO);
        break;
    }
    archive_entry_set_perm(e, static_cast<mode_t>(t.mode));
    Must(archive_write_header(a, e), a, "header");
    if (t.type == TarEntry::Type::kFile && !t.data.empty()) {
      if (archive_write_data(a, t.data.data(), t.data.size()) < 0) {
        Must(ARCHIVE_FATAL, a, "data");
      }
    }
    archive_entry_free(e);
  }
  Must(archive_write_close(a), a, "close");
  archive_write_free(a);
  return out;
}

}  // namespace berth::images::testing
