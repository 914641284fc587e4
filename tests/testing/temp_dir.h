#ifndef BERTH_TESTS_TESTING_TEMP_DIR_H_
#define BERTH_TESTS_TESTING_TEMP_DIR_H_

// A temporary directory for one test, removed with everything in it.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace berth::test {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "berth-test-XXXXXX").string();
    char* made = mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

  // Writes `text` to <dir>/<relative>, creating parent directories; returns
  // the full path.
  std::string WriteFile(std::string_view relative, std::string_view text) const {
    std::filesystem::path full = std::filesystem::path(path_) / relative;
    std::filesystem::create_directories(full.parent_path());
    std::ofstream out(full, std::ios::binary);
    out << text;
    EXPECT_TRUE(out.good()) << full;
    return full.string();
  }

 private:
  std::string path_;
};

}  // namespace berth::test

#endif  // BERTH_TESTS_TESTING_TEMP_DIR_H_
