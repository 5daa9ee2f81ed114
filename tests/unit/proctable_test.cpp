// Proc2ProcessTable against the live process table (libproc2).
#include "os/sys/proctable.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace stagehand::os {
namespace {

using core::k_mib;

TEST(Proc2ProcessTable, ConstructsAndAnswers) {
    // Also the link check for libproc2's pids module (and the sd_pid_get_* stubs it needs).
    Proc2ProcessTable table;
    auto none = table.largest(0);
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
    auto three = table.largest(3);
    ASSERT_TRUE(three.ok()) << three.error().message;
    EXPECT_GE(three->size(), 1U);  // at least this test
    EXPECT_LE(three->size(), 3U);
}

TEST(Proc2ProcessTable, FindsThisProcessAfterItGrows) {
    constexpr std::size_t k_size = 50 * k_mib;
    const auto block = std::make_unique<char[]>(k_size);
    std::memset(block.get(), 0x5a, k_size);  // touch every page so it is resident

    Proc2ProcessTable table;
    auto all = table.largest(1 << 20);
    ASSERT_TRUE(all.ok()) << all.error().message;
    ASSERT_FALSE(all->empty());
    EXPECT_TRUE(std::is_sorted(all->begin(), all->end(),
                               [](const auto& a, const auto& b) { return a.rss > b.rss; }));
    const auto self =
        std::find_if(all->begin(), all->end(), [](const auto& p) { return p.pid == ::getpid(); });
    ASSERT_NE(self, all->end());
    EXPECT_GE(self->rss, static_cast<core::Bytes>(k_size));
    EXPECT_LT(self->rss, 4 * core::k_gib);
    std::ifstream comm("/proc/self/comm");
    std::string name;
    std::getline(comm, name);
    EXPECT_EQ(self->command, name);
    EXPECT_EQ(block[k_size - 1], 0x5a);  // keeps the block alive and used until here
}

}  // namespace
}  // namespace stagehand::os
