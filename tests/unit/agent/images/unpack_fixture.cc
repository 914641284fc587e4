#include "tests/unit/agent/images/unpack_fixture.h"

#include <fcntl.h>
#include <stdlib.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include "agent/images/fs_util.h"

namespace berth::images::testing {

namespace fs = std::filesystem;

void UnpackFixture::SetUp() {
  char tmpl[] = "/tmp/berth-unpack-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  base_ = tmpl;
  fs::create_directory(base_ / "layer");
  fs::create_directory(base_ / "outside");
  std::ofstream(base_ / "outside" / "secret") << "untouched";
}

void UnpackFixture::TearDown() {
  // A layer may hold 0555 directories: RemoveTreeAt copes.
  ASSERT_TRUE(RemoveTreeAt(AT_FDCWD, base_.string()).ok());
}

absl::Status UnpackFixture::UnpackWith(
    const std::string& tar, absl::FunctionRef<absl::Status(int blob_fd, int dir_fd)> unpack) {
  fs::path blob = base_ / "blob";
  std::ofstream(blob, std::ios::binary | std::ios::trunc) << tar;
  Fd blob_fd(open(blob.c_str(), O_RDONLY | O_CLOEXEC));
  Fd dir(open(layer().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  EXPECT_TRUE(blob_fd.valid() && dir.valid());
  return unpack(blob_fd.get(), dir.get());
}

std::string UnpackFixture::Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void UnpackFixture::ExpectOutsideUntouched() {
  EXPECT_EQ(Read(base_ / "outside" / "secret"), "untouched");
  EXPECT_EQ(std::distance(fs::directory_iterator(base_ / "outside"), fs::directory_iterator()), 1)
      << "something was written outside the layer";
}

}  // namespace berth::images::testing
