/* libproc2's process-table module references libsystemd's sd_pid_get_* for optional
 * columns (unit, slice, session...). Debian ships no static libsystemd, and stagehand never
 * asks for those columns, so the static build gets these definitions: each reports "no data"
 * (-ENODATA), exactly as libsystemd does for a process outside systemd's view. */
#include <errno.h>
#include <sys/types.h>

int sd_pid_get_machine_name(pid_t pid, char** name) { (void)pid; (void)name; return -ENODATA; }
int sd_pid_get_owner_uid(pid_t pid, uid_t* uid) { (void)pid; (void)uid; return -ENODATA; }
int sd_pid_get_session(pid_t pid, char** session) { (void)pid; (void)session; return -ENODATA; }
int sd_pid_get_slice(pid_t pid, char** slice) { (void)pid; (void)slice; return -ENODATA; }
int sd_pid_get_unit(pid_t pid, char** unit) { (void)pid; (void)unit; return -ENODATA; }
int sd_pid_get_user_unit(pid_t pid, char** unit) { (void)pid; (void)unit; return -ENODATA; }
int sd_session_get_seat(const char* session, char** seat) { (void)session; (void)seat; return -ENODATA; }
