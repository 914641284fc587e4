// runtime::FitPremadeEtc: an upper layer made ahead with etc/ and empty bind
// targets, fitted to the image before the overlay is mounted.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "agent/runtime/launch.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace berth::agent::runtime {
namespace {

namespace fs = std::filesystem;

class FitPremadeEtcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    upper_ = base_ + "/upper";
    ASSERT_TRUE(fs::create_directories(upper_ + "/etc"));
    ASSERT_EQ(chmod((upper_ + "/etc").c_str(), 0755), 0);
    for (const char* name : {"hosts", "hostname", "resolv.conf"}) {
      std::ofstream(upper_ + "/etc/" + name).flush();
    }
  }
  // A layer directory, bottom ones made first; returned top first by Layers().
  std::string Layer(const std::string& name) {
    std::string dir = base_ + "/layers/" + name;
    fs::create_directories(dir);
    layers_.insert(layers_.begin(), dir);
    return dir;
  }

  static mode_t Mode(const std::string& path) {
    struct stat st;
    EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }

  test::TempDir dir_;
  const std::string base_ = dir_.path();
  std::string upper_;
  std::vector<std::string> layers_;
};

TEST_F(FitPremadeEtcTest, TakesTheModeOfTheImagesEtc) {
  const std::string bottom = Layer("bottom");
  ASSERT_TRUE(fs::create_directory(bottom + "/etc"));
  ASSERT_EQ(chmod((bottom + "/etc").c_str(), 0750), 0);
  Layer("top");  // no /etc here: the layer below decides
  ASSERT_TRUE(FitPremadeEtc(upper_, layers_, {"resolv.conf"}).ok());
  EXPECT_EQ(Mode(upper_ + "/etc"), 0750u);
  EXPECT_TRUE(fs::exists(upper_ + "/etc/hosts"));
  EXPECT_TRUE(fs::exists(upper_ + "/etc/hostname"));
  EXPECT_FALSE(fs::exists(upper_ + "/etc/resolv.conf")) << "an unused target must not shadow the image's";
}

TEST_F(FitPremadeEtcTest, TheTopMostEtcWins) {
  const std::string bottom = Layer("bottom");
  ASSERT_TRUE(fs::create_directory(bottom + "/etc"));
  ASSERT_EQ(chmod((bottom + "/etc").c_str(), 0700), 0);
  const std::string top = Layer("top");
  ASSERT_TRUE(fs::create_directory(top + "/etc"));
  ASSERT_EQ(chmod((top + "/etc").c_str(), 0711), 0);
  ASSERT_TRUE(FitPremadeEtc(upper_, layers_, {}).ok());
  EXPECT_EQ(Mode(upper_ + "/etc"), 0711u);
  EXPECT_TRUE(fs::exists(upper_ + "/etc/resolv.conf"));
}

TEST_F(FitPremadeEtcTest, AnEtcThatIsNotADirectoryRemovesThePremadeOne) {
  const std::string bottom = Layer("bottom");
  ASSERT_TRUE(fs::create_directory(bottom + "/etc"));
  const std::string top = Layer("top");
  fs::create_symlink("usr/etc", top + "/etc");
  ASSERT_TRUE(FitPremadeEtc(upper_, layers_, {}).ok());
  EXPECT_FALSE(fs::exists(fs::symlink_status(upper_ + "/etc")));
}

TEST_F(FitPremadeEtcTest, AFileNamedEtcRemovesItToo) {
  std::ofstream(Layer("only") + "/etc").flush();
  ASSERT_TRUE(FitPremadeEtc(upper_, layers_, {}).ok());
  EXPECT_FALSE(fs::exists(fs::symlink_status(upper_ + "/etc")));
}

TEST_F(FitPremadeEtcTest, AnImageWithoutEtcKeepsIt) {
  Layer("only");
  ASSERT_TRUE(FitPremadeEtc(upper_, layers_, {}).ok());
  EXPECT_EQ(Mode(upper_ + "/etc"), 0755u);
  EXPECT_TRUE(fs::exists(upper_ + "/etc/hosts"));
}

TEST_F(FitPremadeEtcTest, NothingPremadeIsNothingToDo) {
  fs::remove_all(upper_ + "/etc");
  const std::string layer = Layer("only");
  ASSERT_TRUE(fs::create_directory(layer + "/etc"));
  ASSERT_TRUE(FitPremadeEtc(upper_, layers_, {"resolv.conf"}).ok());
  EXPECT_FALSE(fs::exists(upper_ + "/etc"));
}

}  // namespace
}  // namespace berth::agent::runtime
