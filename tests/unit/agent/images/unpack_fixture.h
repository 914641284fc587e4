#ifndef BERTH_TESTS_UNIT_AGENT_IMAGES_UNPACK_FIXTURE_H_
#define BERTH_TESTS_UNIT_AGENT_IMAGES_UNPACK_FIXTURE_H_

// The ground the unpack tests stand on, in process (UnpackLayer) or through
// berth-unpack (HelperUnpacker): a temp dir with an empty layer/ to unpack
// into and outside/secret, which no layer may touch.

#include <filesystem>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace berth::images::testing {

class UnpackFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Writes `tar` to <base>/blob and calls `unpack` with it (opened at offset
  // 0) and layer/.
  absl::Status UnpackWith(const std::string& tar,
                          absl::FunctionRef<absl::Status(int blob_fd, int dir_fd)> unpack);

  std::filesystem::path layer() const { return base_ / "layer"; }
  static std::string Read(const std::filesystem::path& p);
  // outside/ holds its one file, unchanged.
  void ExpectOutsideUntouched();

  std::filesystem::path base_;
};

}  // namespace berth::images::testing

#endif  // BERTH_TESTS_UNIT_AGENT_IMAGES_UNPACK_FIXTURE_H_
