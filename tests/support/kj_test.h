/*  =========================================================================
    kj_test - what unit and system tests share: the scratch PostgreSQL,
    fresh databases, free ports, temporary folders, and daemons started as
    child processes

    tests/run.sh starts one scratch cluster per run and names it in
    KEJIN_TEST_PG_DIR; a test binary run by hand starts its own. Tests that
    need PostgreSQL fail, never skip, when it cannot start.
    =========================================================================
*/

#ifndef KJ_TEST_H_INCLUDED
#define KJ_TEST_H_INCLUDED

#include <stdbool.h>
#include <sys/types.h>
#include <czmq.h>

//  Connection string of the scratch cluster's superuser, database
//  postgres. Starts a cluster for this process (stopped at exit) when the
//  runner did not; exits the process with 1 if none can start.
const char *
    kj_test_pg_dsn (void);

//  Folder of the scratch cluster (its socket directory).
const char *
    kj_test_pg_dir (void);

//  Create an empty database <name>_<pid>_<n> and return a connection
//  string for it as user postgres; the caller frees it. Exits with 1 on
//  failure. name is [a-z_][a-z0-9_]*.
char *
    kj_test_db_new (const char *name);

//  A TCP port on 127.0.0.1 that was free a moment ago.
int
    kj_test_free_port (void);

//  Start argv[0] (searched in PATH if it has no '/') with extra
//  environment variables env ("K=V", NULL-terminated, or NULL), stdin from
//  /dev/null, stdout and stderr appended to log_path, in a process group
//  of its own. It is SIGKILLed if the calling thread ends first, so call
//  from the main thread. Returns its pid, or -1.
pid_t
    kj_test_spawn (const char *const argv [], const char *const env [],
                   const char *log_path);

//  Wait up to wait_ms for pid to exit. Returns its exit code (128 + the
//  signal if a signal ended it), or -1 if it is still running.
int
    kj_test_wait_exit (pid_t pid, int wait_ms);

//  Send signal to pid and wait up to wait_ms for it to exit. Returns as
//  kj_test_wait_exit; on -1 its whole process group was SIGKILLed and
//  reaped.
int
    kj_test_kill (pid_t pid, int signal, int wait_ms);

//  CPU time pid has used so far, user and system, every thread, in
//  microseconds (from /proc/PID/stat, in clock ticks); 0 if it is gone.
//  If ppid_p is not NULL, *ppid_p is its parent's pid. The benchmarks
//  report CPU, which a shared machine's load distorts far less than wall
//  time.
int64_t
    kj_test_proc_cpu_us (pid_t pid, int *ppid_p);

//  What the scheduler did with every thread of a process so far, summed
//  over /proc/PID/task/*: time on a CPU, time runnable but waiting for one
//  (a run queue), wake-ups (voluntary context switches: it slept) and
//  preemptions (involuntary ones). All 0 if it is gone.
typedef struct {
    uint64_t run_ns;
    uint64_t wait_ns;
    uint64_t wakeups;
    uint64_t preempted;
} kj_test_sched_t;

kj_test_sched_t
    kj_test_proc_sched (pid_t pid);

//  Path of a built binary: $KEJIN_BIN/name (default bin/name).
const char *
    kj_test_bin (const char *name);

//  A folder of this test process, $KEJIN_BUILD/tmp/<program>-<pid>
//  (default build/), created on first call; absolute path.
const char *
    kj_test_tmpdir (void);

//  Poll predicate (arg) every 10 ms until it holds or timeout_ms passed;
//  returns its last answer.
bool
    kj_test_wait_for (bool (*predicate) (void *), void *arg, int timeout_ms);

//  The next message a stand-in broker's ROUTER receives, skipping the
//  workers' heartbeats; fails the test when none comes before the
//  socket's receive timeout.
zmsg_t *
    kj_test_recv_skipping_heartbeats (zsock_t *router);

#endif
