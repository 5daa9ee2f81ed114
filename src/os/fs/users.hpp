#pragma once
// Users and groups read straight from /etc/passwd and /etc/group. A static glibc must not
// call getpwnam/getgrnam: NSS would dlopen the host's libnss_* built for another glibc.
// Accounts that live only in LDAP/SSSD are therefore not found; use a numeric id for those.

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "os/fs/filesystem.hpp"
#include "util/result.hpp"

namespace stagehand::os {

struct PasswdEntry {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;     // primary group
    std::string home;  // the sixth field; "" when the line has none
};

struct GroupEntry {
    std::string name;
    gid_t gid = 0;
};

// /etc/passwd, one account a line:
//   root:x:0:0:root:/root:/bin/bash
//   ec2-user:x:1000:1000:EC2 Default User:/home/ec2-user:/bin/bash
// Blank lines, comments, NIS "+"/"-" lines and malformed lines (fewer than 4 fields, ids
// that are not numbers) are skipped: a broken line must not hide the valid ones.
std::vector<PasswdEntry> parse_passwd(std::string_view text);
// /etc/group:  docker:x:992:ec2-user
std::vector<GroupEntry> parse_group(std::string_view text);

class UserDb {
  public:
    UserDb() = default;
    UserDb(std::vector<PasswdEntry> users, std::vector<GroupEntry> groups)
        : m_users(std::move(users)), m_groups(std::move(groups)) {}
    // Reads <etc_dir>/passwd and <etc_dir>/group. A missing group file is an error too.
    static util::Result<UserDb> load(FileSystem& fs, const std::string& etc_dir = "/etc");

    // By name, or a decimal id ("1000") used as is, like chown(1). First match wins.
    std::optional<PasswdEntry> find_user(std::string_view name_or_id) const;
    std::optional<GroupEntry> find_group(std::string_view name_or_id) const;
    // Names for display; the number as text when unknown.
    std::string user_name(uid_t uid) const;
    std::string group_name(gid_t gid) const;

  private:
    std::vector<PasswdEntry> m_users;
    std::vector<GroupEntry> m_groups;
};

}  // namespace stagehand::os
