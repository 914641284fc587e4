#include "agent/driver/spare_dirs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "io/fake_loop.h"
#include "io/worker_pool.h"
#include "tests/testing/temp_dir.h"

namespace berth::agent {
namespace {

namespace fs = std::filesystem;

const std::vector<SpareEntry>& Layout() {
  static const std::vector<SpareEntry> layout = {
      {"state", true}, {"state/shim.tmp", false}, {"fs", true}, {"fs/upper", true}, {"log", false}};
  return layout;
}

std::set<std::string> Names(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

class SpareDirsTest : public ::testing::Test {
 protected:
  void SetUp() override { pool_.emplace(loop_, 2); }
  void TearDown() override {
    spares_.reset();
    pool_.reset();
    loop_.RunUntilIdle();
  }

  void Open(size_t target) {
    spares_.emplace(*pool_, base_ + "/spare", Layout(), target);
    spares_->Start();
    WaitIdle();
  }

  // Until nothing is being made; worker threads finish in between.
  void WaitIdle() {
    bool idle = false;
    spares_->WhenIdle([&] { idle = true; });
    for (int i = 0; i < 20000 && !idle; ++i) {
      loop_.RunUntilIdle();
      if (!idle) std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    ASSERT_TRUE(idle) << "the spare directories were never made";
  }

  test::TempDir dir_;
  const std::string base_ = dir_.path();
  io::FakeLoop loop_;
  std::optional<io::WorkerPool> pool_;
  std::optional<SpareDirs> spares_;
};

TEST_F(SpareDirsTest, FillsToTheTargetWithTheWholeLayout) {
  Open(3);
  EXPECT_EQ(spares_->ready(), 3u);
  EXPECT_EQ(Names(base_ + "/spare"), (std::set<std::string>{"0", "1", "2"}));
  for (const char* n : {"0", "1", "2"}) {
    const std::string root = base_ + "/spare/" + std::string(n);
    EXPECT_TRUE(fs::is_directory(root + "/state"));
    EXPECT_TRUE(fs::is_regular_file(root + "/state/shim.tmp"));
    EXPECT_TRUE(fs::is_directory(root + "/fs/upper"));
    EXPECT_EQ(fs::file_size(root + "/log"), 0u);
  }
}

TEST_F(SpareDirsTest, TakeRenamesOneIntoPlaceAndMakesTheNext) {
  Open(2);
  ASSERT_TRUE(fs::create_directory(base_ + "/containers"));
  const std::string dest = base_ + "/containers/c1";
  absl::StatusOr<bool> took = spares_->Take(dest);
  ASSERT_TRUE(took.ok()) << took.status();
  EXPECT_TRUE(*took);
  EXPECT_TRUE(fs::is_regular_file(dest + "/state/shim.tmp"));
  EXPECT_EQ(spares_->ready(), 1u);
  WaitIdle();
  EXPECT_EQ(spares_->ready(), 2u);
  EXPECT_EQ(Names(base_ + "/spare").size(), 2u);
  EXPECT_FALSE(Names(base_ + "/spare").count(fs::path(dest).filename()));
}

TEST_F(SpareDirsTest, AnExistingDestinationKeepsTheSpare) {
  Open(1);
  const std::string dest = base_ + "/busy";
  ASSERT_TRUE(fs::create_directories(dest + "/inside"));
  absl::StatusOr<bool> took = spares_->Take(dest);
  ASSERT_TRUE(took.ok()) << took.status();
  EXPECT_FALSE(*took);
  EXPECT_EQ(spares_->ready(), 1u);
  EXPECT_TRUE(fs::exists(dest + "/inside"));
  EXPECT_FALSE(fs::exists(dest + "/state"));
}

TEST_F(SpareDirsTest, AMissingParentIsAnErrorAndLosesNoSpare) {
  Open(1);
  absl::StatusOr<bool> took = spares_->Take(base_ + "/nowhere/c1");
  EXPECT_FALSE(took.ok());
  EXPECT_EQ(spares_->ready(), 1u);
  EXPECT_EQ(Names(base_ + "/spare").size(), 1u);
}

TEST_F(SpareDirsTest, NoneReadyMeansTheCallerMakesItsOwn) {
  Open(0);
  EXPECT_FALSE(fs::exists(base_ + "/spare"));
  absl::StatusOr<bool> took = spares_->Take(base_ + "/c1");
  ASSERT_TRUE(took.ok()) << took.status();
  EXPECT_FALSE(*took);
  EXPECT_FALSE(fs::exists(base_ + "/c1"));
}

TEST_F(SpareDirsTest, ARestartKeepsReadyOnesAndRemovesHalfMadeOnes) {
  Open(2);
  spares_.reset();
  // A crash while making one, and something that is not ours.
  ASSERT_TRUE(fs::create_directories(base_ + "/spare/7.tmp/state"));
  ASSERT_TRUE(fs::create_directories(base_ + "/spare/stray"));
  Open(3);
  EXPECT_EQ(spares_->ready(), 3u);
  // The two ready ones are kept; the next is numbered after the highest seen.
  EXPECT_EQ(Names(base_ + "/spare"), (std::set<std::string>{"0", "1", "2"}));
}

TEST_F(SpareDirsTest, AFailingMakeIsReportedAndTheLaunchGoesOn) {
  ASSERT_TRUE(fs::create_directories(base_ + "/spare"));
  // A layout whose file sits in a directory that is never made.
  spares_.emplace(*pool_, base_ + "/spare",
                  std::vector<SpareEntry>{{"missing/file", false}}, 2);
  spares_->Start();
  WaitIdle();
  EXPECT_EQ(spares_->ready(), 0u);
  EXPECT_TRUE(Names(base_ + "/spare").empty()) << "a half-made skeleton was left behind";
  absl::StatusOr<bool> took = spares_->Take(base_ + "/c1");
  ASSERT_TRUE(took.ok());
  EXPECT_FALSE(*took);
  WaitIdle();
  EXPECT_EQ(spares_->ready(), 0u);
}

}  // namespace
}  // namespace berth::agent
