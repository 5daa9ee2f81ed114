/* Linked into the static hooks only, before libc.a is searched, so glibc's own definitions of
 * these four lookups are never pulled in. libproc2's pwcache (getpwuid/getgrgid, for the
 * user and group columns) and c-ares' service lookups (getservbyname in ares_getaddrinfo,
 * getservbyport_r in ares_getnameinfo) reference them, and in a static glibc 2.36 each drags
 * in the whole NSS (nsswitch.conf parsing, the built-in files and dns modules, the resolver,
 * nscd): 98 KB of every hook. stagehand asks libproc2 for PID, CMD and VM_RSS only and gives
 * ares_getaddrinfo no service and never calls ares_getnameinfo, so none of these runs; if one
 * ever did, "not found" is the safe answer: a static glibc's NSS would otherwise dlopen the
 * host's libnss_* modules, built for another glibc (src/os/fs/users.hpp reads /etc/passwd and
 * /etc/group itself for the same reason). libproc2 then shows the numeric id, c-ares the
 * numeric port. */
#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stddef.h>

struct passwd* getpwuid(uid_t uid) {
    (void)uid;
    return NULL;
}

struct group* getgrgid(gid_t gid) {
    (void)gid;
    return NULL;
}

struct servent* getservbyname(const char* name, const char* proto) {
    (void)name;
    (void)proto;
    return NULL;
}

int getservbyport_r(int port, const char* proto, struct servent* result_buf, char* buf,
                    size_t buflen, struct servent** result) {
    (void)port;
    (void)proto;
    (void)result_buf;
    (void)buf;
    (void)buflen;
    *result = NULL;
    return ENOENT;
}
