// ParseCached / ExpressionCache: one object per text, bounded, thread-safe.

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "control/scheduler/query/cache.h"
#include "gtest/gtest.h"
#include "io/log.h"

namespace berth::scheduler::query {
namespace {

TEST(QueryParseCached, SameTextSameObject) {
  auto a = ParseCached("attribute:ecs.instance-type =~ t2.*");
  auto b = ParseCached("attribute:ecs.instance-type =~ t2.*");
  auto c = ParseCached("attribute:ecs.instance-type =~ t3.*");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->get(), b->get());
  EXPECT_NE(a->get(), c->get());
  // Parse (uncached) builds a new object each time.
  auto d = Parse("attribute:ecs.instance-type =~ t2.*");
  ASSERT_TRUE(d.ok());
  EXPECT_NE(a->get(), d->get());
}

TEST(QueryParseCached, ErrorsAreReturnedNotCached) {
  ExpressionCache cache(4);
  auto bad = cache.Get("attribute:a ==");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(ParseCached("nope").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(QueryExpressionCache, EvictsLeastRecentlyUsed) {
  ExpressionCache cache(2);
  auto a = cache.Get("attribute:a exists");
  auto b = cache.Get("attribute:b exists");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(cache.Get("attribute:a exists")->get(), a->get());  // a is now most recent
  auto c = cache.Get("attribute:c exists");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Get("attribute:a exists")->get(), a->get());
  EXPECT_NE(cache.Get("attribute:b exists")->get(), b->get());  // b was evicted
}

TEST(QueryExpressionCache, StaysBoundedUnderManyDistinctTexts) {
  ExpressionCache cache(16);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(cache.Get(absl::StrCat("runningTasksCount == ", i)).ok());
    ASSERT_LE(cache.size(), 16u);
  }
  EXPECT_EQ(cache.size(), 16u);
}

TEST(QueryExpressionCache, ThreadsShareOneObjectPerText) {
  ExpressionCache cache(64);
  constexpr int kThreads = 8;
  constexpr int kTexts = 32;
  std::vector<std::vector<const Expression*>> seen(kThreads,
                                                   std::vector<const Expression*>(kTexts));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (int i = 0; i < kTexts; ++i) {
          auto e = cache.Get(absl::StrCat("task:group == g", i));
          CHECK_OK(e.status());
          if (round == 0) {
            seen[t][i] = e->get();
          } else {
            CHECK_EQ(seen[t][i], e->get());
          }
        }
      }
    });
  }
  for (std::thread& th : threads) {
    th.join();
  }
  for (int t = 1; t < kThreads; ++t) {
    EXPECT_EQ(seen[t], seen[0]);
  }
}

}  // namespace
}  // namespace berth::scheduler::query
