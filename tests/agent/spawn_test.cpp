// Looking at process groups through /proc while their processes come and go.

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "sim/spawn.hpp"

namespace stagehand::agent {
namespace {

// A process can exit between the open of /proc/PID/stat and its read, which then fails
// (ESRCH); libstdc++ throws that out of an istreambuf_iterator, and the simulator died with
// "basic_filebuf::underflow error reading the file: No such process" (exit 2) about once in
// 2,000 deployments under load. A read that fails is "gone", not an exception. A folder fails
// the same read (EISDIR) every time.
TEST(Spawn, AProcFileWhoseReadFailsReadsAsEmpty) {
    EXPECT_EQ(read_proc_text("/proc/self"), "");
    EXPECT_EQ(read_proc_text("/proc/no-such-process/stat"), "");
    const std::string own = read_proc_text("/proc/self/stat");
    EXPECT_EQ(own.rfind(std::to_string(::getpid()) + " (", 0), 0u) << own;
}

TEST(Spawn, CountsTheLiveMembersOfAGroup) {
    EXPECT_GE(count_group_members(::getpgrp()), 1);
    EXPECT_EQ(count_group_members(999'999'999), 0);
}

}  // namespace
}  // namespace stagehand::agent
