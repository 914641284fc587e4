#include "cgroups/cgroup.h"

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "fake_cgroupfs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/status.h"

namespace berth::cgroups {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::FakeCgroupFs;

TEST(CgroupTest, OpenMissingDirectoryKeepsEnoent) {
  FakeCgroupFs fs;
  absl::StatusOr<Cgroup> cg = Cgroup::Open(fs.Path("nope"));
  EXPECT_EQ(ErrnoOf(cg.status()), ENOENT);
  EXPECT_EQ(cg.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(cg.status().message(), HasSubstr("failed to open cgroup " + fs.Path("nope")));
}

TEST(CgroupTest, CreateChildMakesTheDirectoryAndNamesIt) {
  FakeCgroupFs fs;
  fs.MakeCgroup("", "cpu");
  absl::StatusOr<Cgroup> root = Cgroup::Open(fs.root() + "/");
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->path(), fs.root());
  absl::StatusOr<Cgroup> task = root->CreateChild("task-1");
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_TRUE(std::filesystem::is_directory(fs.Path("task-1")));
  EXPECT_EQ(task->path(), fs.Path("task-1"));
  EXPECT_EQ(task->name(), "task-1");
  absl::StatusOr<Cgroup> ctr = task->CreateChild("web");
  ASSERT_TRUE(ctr.ok()) << ctr.status();
  EXPECT_EQ(ctr->path(), fs.Path("task-1/web"));
  EXPECT_GE(ctr->fd(), 0);
}

TEST(CgroupTest, CreateExistingFailsUnlessReuseIsAsked) {
  FakeCgroupFs fs;
  fs.MakeCgroup("t", "");
  absl::StatusOr<Cgroup> root = Cgroup::Open(fs.root());
  ASSERT_TRUE(root.ok()) << root.status();
  absl::StatusOr<Cgroup> again = root->CreateChild("t");
  EXPECT_EQ(ErrnoOf(again.status()), EEXIST);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  absl::StatusOr<Cgroup> reused = root->CreateChild("t", Cgroup::IfExists::kReuse);
  ASSERT_TRUE(reused.ok()) << reused.status();
  EXPECT_EQ(reused->ReadFile("cgroup.events").value_or(""), "populated 0\nfrozen 0\n");
}

TEST(CgroupTest, NamesMustBeOnePathComponent) {
  FakeCgroupFs fs;
  absl::StatusOr<Cgroup> root = Cgroup::Open(fs.root());
  ASSERT_TRUE(root.ok()) << root.status();
  for (std::string_view bad : {"", ".", "..", "a/b", "../escape"}) {
    EXPECT_EQ(root->CreateChild(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(root->OpenChild(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(fs.Exists("a"));
}

TEST(CgroupTest, ChildrenListsSubdirectoriesSortedNotFiles) {
  FakeCgroupFs fs;
  fs.MakeCgroup("", "cpu memory");
  fs.MakeCgroup("b", "");
  fs.MakeCgroup("a", "");
  absl::StatusOr<Cgroup> root = Cgroup::Open(fs.root());
  ASSERT_TRUE(root.ok()) << root.status();
  absl::StatusOr<std::vector<std::string>> kids = root->Children();
  ASSERT_TRUE(kids.ok()) << kids.status();
  EXPECT_THAT(*kids, ElementsAre("a", "b"));
  // Listing twice gives the same answer (the cgroup's own fd offset is not consumed).
  EXPECT_THAT(root->Children().value_or(std::vector<std::string>{}), ElementsAre("a", "b"));
}

TEST(CgroupTest, IdIsTheDirectoryInode) {
  FakeCgroupFs fs;
  fs.MakeCgroup("c", "");
  absl::StatusOr<Cgroup> cg = Cgroup::Open(fs.Path("c"));
  ASSERT_TRUE(cg.ok()) << cg.status();
  struct stat st;
  ASSERT_EQ(stat(fs.Path("c").c_str(), &st), 0);
  EXPECT_EQ(cg->Id().value_or(0), st.st_ino);
}

TEST(CgroupTest, EnterWritesThePidToCgroupProcs) {
  FakeCgroupFs fs;
  fs.MakeCgroup("c", "");
  absl::StatusOr<Cgroup> cg = Cgroup::Open(fs.Path("c"));
  ASSERT_TRUE(cg.ok()) << cg.status();
  ASSERT_TRUE(cg->Enter(4242).ok());
  EXPECT_EQ(fs.Read("c", "cgroup.procs"), "4242");
}

TEST(CgroupTest, ProcsParsesOnePidPerLine) {
  FakeCgroupFs fs;
  fs.MakeCgroup("c", "");
  fs.Write("c", "cgroup.procs", "12\n345\n6789\n");
  absl::StatusOr<Cgroup> cg = Cgroup::Open(fs.Path("c"));
  ASSERT_TRUE(cg.ok()) << cg.status();
  EXPECT_THAT(cg->Procs().value_or(std::vector<pid_t>{}), ElementsAre(12, 345, 6789));
  fs.Write("c", "cgroup.procs", "");
  absl::StatusOr<std::vector<pid_t>> none = cg->Procs();
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
  fs.Write("c", "cgroup.procs", "12\nabc\n");
  EXPECT_THAT(cg->Procs().status().message(), HasSubstr("'abc' is not a pid"));
}

TEST(CgroupTest, PopulatedComesFromCgroupEvents) {
  FakeCgroupFs fs;
  fs.MakeCgroup("c", "");
  absl::StatusOr<Cgroup> cg = Cgroup::Open(fs.Path("c"));
  ASSERT_TRUE(cg.ok()) << cg.status();
  EXPECT_EQ(cg->Populated().value_or(true), false);
  fs.Write("c", "cgroup.events", "populated 1\nfrozen 0\n");
  EXPECT_EQ(cg->Populated().value_or(false), true);
  fs.Write("c", "cgroup.events", "populated\n");
  EXPECT_FALSE(cg->Populated().ok());
}

TEST(CgroupEventsTest, Parse) {
  EXPECT_EQ(ParseCgroupEvents("populated 1\nfrozen 0\n").value_or(CgroupEvents{}),
            (CgroupEvents{.populated = true, .frozen = false}));
  EXPECT_EQ(ParseCgroupEvents("populated 0\nfrozen 1\n").value_or(CgroupEvents{}),
            (CgroupEvents{.populated = false, .frozen = true}));
  // A newer kernel's extra keys are fine; a missing populated line is not.
  EXPECT_TRUE(ParseCgroupEvents("populated 0\nfrozen 0\nsomething 1\n").ok());
  EXPECT_TRUE(ParseCgroupEvents("populated 0\nfrozen 0\nlater 12345\n").ok());
  EXPECT_EQ(ParseCgroupEvents("populated 0\nlater\n").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseCgroupEvents("frozen 0\n").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseCgroupEvents("populated 2\n").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseCgroupEvents("populated 1 1\n").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseCgroupEvents("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CgroupTest, EventsWatchRereadsTheFileFromTheStart) {
  FakeCgroupFs fs;
  fs.MakeCgroup("c", "");
  fs.Write("c", "cgroup.events", "populated 1\nfrozen 0\n");
  absl::StatusOr<Cgroup> cg = Cgroup::Open(fs.Path("c"));
  ASSERT_TRUE(cg.ok()) << cg.status();
  absl::StatusOr<EventsWatch> watch = cg->WatchEvents();
  ASSERT_TRUE(watch.ok()) << watch.status();
  EXPECT_GE(watch->fd(), 0);
  EXPECT_EQ(watch->path(), fs.Path("c/cgroup.events"));
  EXPECT_TRUE(watch->Read().value_or(CgroupEvents{}).populated);
  EXPECT_TRUE(watch->Read().value_or(CgroupEvents{}).populated);  // not at EOF the second time
  fs.Write("c", "cgroup.events", "populated 0\nfrozen 0\n");
  EXPECT_FALSE(watch->Read().value_or(CgroupEvents{.populated = true}).populated);
  EXPECT_TRUE(watch->WaitUntilEmpty(absl::Seconds(10)).ok());
}

TEST(CgroupTest, WaitUntilEmptyGivesUpAtTheDeadline) {
  FakeCgroupFs fs;
  fs.MakeCgroup("c", "");
  fs.Write("c", "cgroup.events", "populated 1\nfrozen 0\n");
  absl::StatusOr<Cgroup> cg = Cgroup::Open(fs.Path("c"));
  ASSERT_TRUE(cg.ok()) << cg.status();
  absl::StatusOr<EventsWatch> watch = cg->WatchEvents();
  ASSERT_TRUE(watch.ok()) << watch.status();
  EXPECT_EQ(watch->WaitUntilEmpty(absl::Milliseconds(1)).code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST(CgroupTest, KillWritesOneToCgroupKill) {
  FakeCgroupFs fs;
  fs.MakeCgroup("c", "");
  absl::StatusOr<Cgroup> cg = Cgroup::Open(fs.Path("c"));
  ASSERT_TRUE(cg.ok()) << cg.status();
  ASSERT_TRUE(cg->Kill().ok());
  EXPECT_EQ(fs.Read("c", "cgroup.kill"), "1");
  EXPECT_EQ(fs.Read("c", "cgroup.freeze"), "0\n");  // the fallback did not run
}

TEST(CgroupTest, KillWithoutCgroupKillFallsBackToFreezeAndSignalsThenThaws) {
  FakeCgroupFs fs;
  fs.MakeCgroup("c", "");
  fs.MakeCgroup("c/sub", "");
  ASSERT_EQ(unlink(fs.Path("c/cgroup.kill").c_str()), 0);
  absl::StatusOr<Cgroup> cg = Cgroup::Open(fs.Path("c"));
  ASSERT_TRUE(cg.ok()) << cg.status();
  // Empty cgroups: nothing to signal; the freeze is undone.
  absl::Status st = cg->Kill();
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(fs.Read("c", "cgroup.freeze"), "0");
  // A malformed cgroup.procs in a descendant fails the kill, and still thaws.
  fs.Write("c/sub", "cgroup.procs", "x\n");
  st = cg->Kill();
  EXPECT_THAT(st.message(), HasSubstr(fs.Path("c/sub/cgroup.procs")));
  EXPECT_EQ(fs.Read("c", "cgroup.freeze"), "0");
}

TEST(CgroupTest, DestroyRemovesDescendantsDepthFirst) {
  FakeCgroupFs fs;
  // Bare directories: cgroupfs lets rmdir remove a cgroup with its control
  // files; a temp dir would not.
  std::filesystem::create_directories(fs.Path("t/a/deep"));
  std::filesystem::create_directories(fs.Path("t/b"));
  absl::StatusOr<Cgroup> t = Cgroup::Open(fs.Path("t"));
  ASSERT_TRUE(t.ok()) << t.status();
  absl::Status st = t->Destroy();
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_FALSE(fs.Exists("t"));
  // Already gone counts as removed.
  absl::Status again = t->Destroy();
  EXPECT_TRUE(again.ok()) << again;
}

TEST(CgroupTest, DestroyKeepsTheErrnoOfAFailedRmdir) {
  FakeCgroupFs fs;
  std::filesystem::create_directories(fs.Path("t/a"));
  fs.Write("t/a", "leftover", "x");  // a temp dir refuses as cgroupfs would with EBUSY
  absl::StatusOr<Cgroup> t = Cgroup::Open(fs.Path("t"));
  ASSERT_TRUE(t.ok()) << t.status();
  absl::Status st = t->Destroy();
  EXPECT_EQ(ErrnoOf(st), ENOTEMPTY);
  EXPECT_THAT(st.message(), HasSubstr("failed to remove cgroup " + fs.Path("t/a")));
  EXPECT_TRUE(fs.Exists("t"));
}

TEST(ProcCgroupTest, PicksTheV2LineOnAHybridHost) {
  const char kHybrid[] =
      "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/06dc6df1\n1:cpu:/\n"
      "0::/berth/4f1c/web\n";
  EXPECT_EQ(ParseProcCgroup(kHybrid).value_or(""), "/berth/4f1c/web");
  EXPECT_EQ(ParseProcCgroup("0::/\n").value_or(""), "/");
  // A ':' inside the path is part of it.
  EXPECT_EQ(ParseProcCgroup("0::/odd:name\n").value_or(""), "/odd:name");
}

TEST(ProcCgroupTest, NoV2LineOrMalformed) {
  EXPECT_EQ(ParseProcCgroup("4:memory:/x\n").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ParseProcCgroup("").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ParseProcCgroup("garbage\n").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseProcCgroup("0::relative\n").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace berth::cgroups
