#include "agent/session/reporter.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/agent/session/session_test_base.h"

namespace berth::agent {
namespace {

using ::testing::ElementsAre;
using testing::MakeChange;
using testing::MakeTask;
using testing::SessionTestBase;
using testing::TaskArn;

class ReporterTest : public SessionTestBase {
 protected:
  void MakeReporter() {
    reporter_ = std::make_unique<Reporter>(loop_, *client_, store_.get(), rng_);
  }
  // Stores a report as StateSink would and hands it to the reporter.
  void Report(const std::string& id, const std::string& status) {
    auto stored = store_->PutTask(MakeTask(id), MakeChange(id, status));
    CHECK_OK(stored.status());
    reporter_->Enqueue(**stored);
  }
  // (task, status) of every SubmitTaskStateChange received, in order.
  std::vector<std::pair<std::string, std::string>> Received() {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& call : plane_.Calls("SubmitTaskStateChange")) {
      auto& body = call.body.as_object();
      out.emplace_back(std::string(body.at("task").as_string()),
                       std::string(body.at("status").as_string()));
    }
    return out;
  }
  size_t StoredReports() { return store_->Load()->reports.size(); }
  void AnswerHeld(size_t index, io::HttpResponse response) {
    auto& held = plane_.held_reports();
    auto respond = std::move(held[index].respond);
    held.erase(held.begin() + static_cast<long>(index));
    respond(std::move(response));
    loop_.RunUntilIdle();
  }

  std::unique_ptr<Reporter> reporter_;
};

TEST_F(ReporterTest, SendsEachReportAndDeletesItOnlyAfter200) {
  MakeReporter();
  plane_.HoldReports(true);
  Report("a", "PENDING");
  loop_.RunUntilIdle();
  ASSERT_EQ(plane_.held_reports().size(), 1u);
  EXPECT_EQ(StoredReports(), 1u);  // in flight, not acknowledged
  AnswerHeld(0, io::HttpResponse::Json(200, "{}"));
  EXPECT_EQ(StoredReports(), 0u);
  EXPECT_EQ(reporter_->stats().sent, 1u);
  EXPECT_EQ(reporter_->queued(), 0u);
  EXPECT_EQ(plane_.auth_failures(), 0);
}

TEST_F(ReporterTest, ReportsOfOneTaskGoStrictlyInOrderOneAtATime) {
  MakeReporter();
  plane_.HoldReports(true);
  Report("a", "PENDING");
  Report("a", "RUNNING");
  Report("a", "STOPPED");
  loop_.RunUntilIdle();
  ASSERT_EQ(plane_.held_reports().size(), 1u);
  AnswerHeld(0, io::HttpResponse::Json(200, "{}"));
  ASSERT_EQ(plane_.held_reports().size(), 1u);
  AnswerHeld(0, io::HttpResponse::Json(200, "{}"));
  AnswerHeld(0, io::HttpResponse::Json(200, "{}"));
  EXPECT_THAT(Received(), ElementsAre(std::pair{TaskArn("a"), "PENDING"},
                                      std::pair{TaskArn("a"), "RUNNING"},
                                      std::pair{TaskArn("a"), "STOPPED"}));
}

TEST_F(ReporterTest, AtMostTenTasksInFlight) {
  MakeReporter();
  plane_.HoldReports(true);
  for (int i = 0; i < 12; ++i) {
    Report("t" + std::to_string(i), "RUNNING");
  }
  loop_.RunUntilIdle();
  EXPECT_EQ(plane_.held_reports().size(), 10u);
  EXPECT_EQ(reporter_->tasks_in_flight(), 10u);
  AnswerHeld(3, io::HttpResponse::Json(200, "{}"));
  EXPECT_EQ(plane_.held_reports().size(), 10u);  // t10 took the free slot
  while (!plane_.held_reports().empty()) {
    AnswerHeld(0, io::HttpResponse::Json(200, "{}"));
  }
  std::set<std::string> tasks;
  for (const auto& [task, status] : Received()) {
    tasks.insert(task);
  }
  EXPECT_EQ(tasks.size(), 12u);
  EXPECT_EQ(StoredReports(), 0u);
}

TEST_F(ReporterTest, ServerErrorsAreRetriedWithBackoffKeepingTheOrder) {
  MakeReporter();
  plane_.ScriptError("SubmitTaskStateChange", 500, "ServerException");
  plane_.ScriptError("SubmitTaskStateChange", 500, "ServerException");
  Report("a", "RUNNING");
  Report("a", "STOPPED");
  loop_.RunUntilIdle();
  EXPECT_EQ(plane_.CallCount("SubmitTaskStateChange"), 1u);
  loop_.AdvanceTime(absl::Seconds(1) - absl::Milliseconds(1));
  EXPECT_EQ(plane_.CallCount("SubmitTaskStateChange"), 1u);
  loop_.AdvanceTime(absl::Milliseconds(201));  // 1 s + up to 20 %
  EXPECT_EQ(plane_.CallCount("SubmitTaskStateChange"), 2u);
  loop_.AdvanceTime(absl::Seconds(1.3) - absl::Milliseconds(1));
  EXPECT_EQ(plane_.CallCount("SubmitTaskStateChange"), 2u);
  loop_.AdvanceTime(absl::Seconds(0.27));  // 1.3 s + up to 20 %
  EXPECT_THAT(Received(), ElementsAre(std::pair{TaskArn("a"), "RUNNING"},
                                      std::pair{TaskArn("a"), "RUNNING"},
                                      std::pair{TaskArn("a"), "RUNNING"},
                                      std::pair{TaskArn("a"), "STOPPED"}));
  EXPECT_EQ(reporter_->stats().retries, 2u);
  EXPECT_EQ(reporter_->stats().sent, 2u);
  EXPECT_EQ(StoredReports(), 0u);
}

TEST_F(ReporterTest, AFailingTaskDoesNotHoldUpAnother) {
  MakeReporter();
  transport_.FailNext(1);
  Report("a", "RUNNING");
  Report("b", "RUNNING");
  loop_.RunUntilIdle();
  EXPECT_THAT(Received(), ElementsAre(std::pair{TaskArn("b"), "RUNNING"}));
  loop_.AdvanceTime(absl::Seconds(2));
  EXPECT_EQ(reporter_->stats().sent, 2u);
}

TEST_F(ReporterTest, ARefusedReportIsDroppedAndTheNextOneSent) {
  MakeReporter();
  plane_.ScriptError("SubmitTaskStateChange", 400, "InvalidParameterException",
                     "task not found");
  Report("a", "RUNNING");
  Report("a", "STOPPED");
  loop_.RunUntilIdle();
  EXPECT_THAT(Received(), ElementsAre(std::pair{TaskArn("a"), "RUNNING"},
                                      std::pair{TaskArn("a"), "STOPPED"}));
  EXPECT_EQ(reporter_->stats().dropped, 1u);
  EXPECT_EQ(reporter_->stats().sent, 1u);
  EXPECT_EQ(StoredReports(), 0u);
  loop_.AdvanceTime(absl::Minutes(5));
  EXPECT_EQ(plane_.CallCount("SubmitTaskStateChange"), 2u);  // never retried
}

TEST_F(ReporterTest, SignatureErrorsAreRetriedNotDropped) {
  MakeReporter();
  plane_.ScriptError("SubmitTaskStateChange", 400, "InvalidSignatureException", "skew");
  Report("a", "RUNNING");
  loop_.RunUntilIdle();
  EXPECT_EQ(reporter_->stats().dropped, 0u);
  EXPECT_EQ(StoredReports(), 1u);
  loop_.AdvanceTime(absl::Seconds(2));
  EXPECT_EQ(reporter_->stats().sent, 1u);
  EXPECT_EQ(StoredReports(), 0u);
}

TEST_F(ReporterTest, UnsentReportsAreSentAfterARestartAndNothingElse) {
  MakeReporter();
  plane_.HoldReports(true);
  Report("a", "RUNNING");  // acknowledged before the "crash"
  Report("b", "RUNNING");  // in flight at the "crash"
  Report("a", "STOPPED");  // queued behind a's first report
  loop_.RunUntilIdle();
  AnswerHeld(0, io::HttpResponse::Json(200, "{}"));  // a RUNNING
  // The agent dies: the reporter and the store go away unanswered.
  reporter_.reset();
  plane_.held_reports().clear();
  OpenStore();
  auto snapshot = store_->Load();
  ASSERT_TRUE(snapshot.ok());
  plane_.HoldReports(false);
  const size_t before = plane_.CallCount("SubmitTaskStateChange");
  MakeReporter();
  reporter_->Restore(snapshot->reports);
  loop_.RunUntilIdle();
  auto received = Received();
  std::vector<std::pair<std::string, std::string>> after(
      received.begin() + static_cast<long>(before), received.end());
  EXPECT_THAT(after, ::testing::UnorderedElementsAre(std::pair{TaskArn("a"), "STOPPED"},
                                                     std::pair{TaskArn("b"), "RUNNING"}));
  EXPECT_EQ(StoredReports(), 0u);

  // Everything was acknowledged: another restart sends nothing.
  reporter_.reset();
  OpenStore();
  EXPECT_TRUE(store_->Load()->reports.empty());
  MakeReporter();
  reporter_->Restore(store_->Load()->reports);
  loop_.RunUntilIdle();
  EXPECT_EQ(plane_.CallCount("SubmitTaskStateChange"), before + 2);
}

TEST_F(ReporterTest, AReportThatWasNeverStoredIsSentAndNothingIsDeleted) {
  MakeReporter();
  auto stored = store_->PutTask(MakeTask("a"), MakeChange("a", "PENDING"));
  ASSERT_TRUE(stored.ok());
  TaskChange unsaved = MakeChange("b", "RUNNING");  // seq 0: its write failed
  reporter_->Enqueue(unsaved);
  loop_.RunUntilIdle();
  EXPECT_EQ(reporter_->stats().sent, 1u);
  EXPECT_EQ(StoredReports(), 1u);  // a's report is untouched
}

}  // namespace
}  // namespace berth::agent
