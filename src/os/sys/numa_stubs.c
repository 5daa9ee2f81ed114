/* libproc2 (procps 4.0.x) finds NUMA nodes by dlopen()ing libnuma in numa_init(), which
 * procps_pids_new() calls. In a fully static executable that dlopen loads the host's
 * libnuma.so.1 and with it the host's libc.so.6 -- a second glibc (2.26 on Amazon Linux 2)
 * next to our static one, which is undefined behaviour. stagehand never asks for NUMA
 * columns, so these definitions stand in for libproc2's numa.o in the static link, with
 * libproc2's own behaviour when libnuma is absent: every node is -1. proctable.cpp
 * references numa_init so this object is linked before libproc2.a is searched. */
static int no_max_node(void) { return -1; }
static int no_node_of_cpu(int cpu) { (void)cpu; return -1; }

int (*numa_max_node)(void) = no_max_node;
int (*numa_node_of_cpu)(int cpu) = no_node_of_cpu;

void numa_init(void) {}
void numa_uninit(void) {}
