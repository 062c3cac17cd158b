/*  =========================================================================
    kj_test - what unit and system tests share: the scratch PostgreSQL,
    fresh databases, free ports, temporary folders, and daemons started as
    child processes
    =========================================================================
*/

#include "kejin.h"
#include "kj_test.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

extern char **environ;

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static char s_pg_dir [PATH_MAX];       //  scratch cluster's folder
static int s_pg_port;                  //  and port, 0 until known
static char s_pg_dsn [PATH_MAX + 64];  //  its superuser's dsn
static pid_t s_pg_owner;               //  process that started it, if one did
static char s_tmpdir [PATH_MAX];       //  this process's folder
static zhashx_t *s_bins;               //  name -> path, for kj_test_bin

static const char *
s_env (const char *name, const char *dflt)
{
    const char *value = getenv (name);
    return value && *value ? value : dflt;
}

static void
s_fail (const char *format, const char *detail)
{
    fprintf (stderr, "kj_test: ");
    fprintf (stderr, format, detail);
    fprintf (stderr, "\n");
    exit (1);
}

//  Absolute path of $KEJIN_BUILD/tmp, created if missing; caller frees.

static char *
s_build_tmp (void)
{
    char *tmp = zsys_sprintf ("%s/tmp", s_env ("KEJIN_BUILD", "build"));
    zsys_dir_create ("%s", tmp);
    char *absolute = realpath (tmp, NULL);
    if (!absolute)
        s_fail ("cannot create %s", tmp);
    zstr_free (&tmp);
    return absolute;
}

//  deploy/pg.sh COMMAND DIR; its messages go to our stderr. Exit status.

static int
s_pg_sh (const char *command, const char *dir)
{
    if (strchr (dir, '\''))
        s_fail ("bad folder name: %s", dir);
    char *line = zsys_sprintf ("'%s/deploy/pg.sh' %s '%s' >/dev/null",
                               s_env ("KEJIN_ROOT", "."), command, dir);
    int rc = system (line);
    zstr_free (&line);
    return rc;
}

static void
s_pg_stop (void)
{
    if (getpid () != s_pg_owner)
        return;  //  a forked child exiting
    if (s_pg_sh ("stop", s_pg_dir) == 0) {
        char *line = zsys_sprintf ("rm -rf '%s'", s_pg_dir);
        if (system (line) != 0)
            fprintf (stderr, "kj_test: could not remove %s\n", s_pg_dir);
        zstr_free (&line);
    }
}

//  The runner's cluster, or one of our own; fails the test if none.

static void
s_pg_setup (void)
{
    const char *dir = getenv ("KEJIN_TEST_PG_DIR");
    if (dir && *dir) {
        if (!realpath (dir, s_pg_dir))
            s_fail ("KEJIN_TEST_PG_DIR=%s does not exist", dir);
    }
    else {
        char *tmp = s_build_tmp ();
        char *path = zsys_sprintf ("%s/pg-%d", tmp, (int) getpid ());
        kj_strlcpy (s_pg_dir, path, sizeof s_pg_dir);
        zstr_free (&path);
        zstr_free (&tmp);
        s_pg_owner = getpid ();
        atexit (s_pg_stop);
        if (s_pg_sh ("start", s_pg_dir) != 0)
            s_fail ("PostgreSQL did not start in %s (see above)", s_pg_dir);
    }
    char *path = zsys_sprintf ("%s/port", s_pg_dir);
    FILE *file = fopen (path, "r");
    if (!file || fscanf (file, "%d", &s_pg_port) != 1)
        s_fail ("no scratch cluster: cannot read %s", path);
    fclose (file);
    zstr_free (&path);

    snprintf (s_pg_dsn, sizeof s_pg_dsn,
              "host=%s port=%d user=postgres dbname=postgres", s_pg_dir,
              s_pg_port);
    PGconn *conn = PQconnectdb (s_pg_dsn);
    if (PQstatus (conn) != CONNECTION_OK)
        s_fail ("scratch PostgreSQL does not answer: %s",
                PQerrorMessage (conn));
    PQfinish (conn);
}

static void
s_pg_ready (void)
{
    pthread_mutex_lock (&s_lock);
    if (!s_pg_port)
        s_pg_setup ();
    pthread_mutex_unlock (&s_lock);
}

const char *
kj_test_pg_dsn (void)
{
    s_pg_ready ();
    return s_pg_dsn;
}

const char *
kj_test_pg_dir (void)
{
    s_pg_ready ();
    return s_pg_dir;
}

static void
s_ignore_notice (void *arg, const char *message)
{
}

//  --------------------------------------------------------------------------
//  Databases are dropped with the scratch cluster, not one by one.

char *
kj_test_db_new (const char *name)
{
    static int counter = 0;
    assert (name);
    for (const char *c = name; *c; c++)
        if (!(islower ((unsigned char) *c) || isdigit ((unsigned char) *c)
              || *c == '_'))
            s_fail ("bad database name: %s", name);
    pthread_mutex_lock (&s_lock);
    int number = ++counter;
    pthread_mutex_unlock (&s_lock);
    char database [64];
    if (snprintf (database, sizeof database, "%s_%d_%d", name, (int) getpid (),
                  number)
        >= (int) sizeof database)
        s_fail ("database name too long: %s", name);

    PGconn *conn = PQconnectdb (kj_test_pg_dsn ());
    PQsetNoticeProcessor (conn, s_ignore_notice, NULL);
    char *drop = zsys_sprintf ("DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)",
                               database);
    char *create = zsys_sprintf ("CREATE DATABASE \"%s\" TEMPLATE template0",
                                 database);
    PGresult *result = PQexec (conn, drop);
    bool ok = PQresultStatus (result) == PGRES_COMMAND_OK;
    PQclear (result);
    if (ok) {
        result = PQexec (conn, create);
        ok = PQresultStatus (result) == PGRES_COMMAND_OK;
        PQclear (result);
    }
    if (!ok)
        s_fail ("cannot create a test database: %s", PQerrorMessage (conn));
    PQfinish (conn);
    zstr_free (&drop);
    zstr_free (&create);
    return zsys_sprintf ("host=%s port=%d user=postgres dbname=%s", s_pg_dir,
                         s_pg_port, database);
}

//  --------------------------------------------------------------------------

//  A port below the kernel's ephemeral range that no socket holds now. A
//  port the kernel hands out for bind(0) is one that any outgoing connection
//  may take a moment later, and the test's daemon then cannot bind it. Never
//  the same port twice in one process.

int
kj_test_free_port (void)
{
    static int given [64];
    static size_t given_count;
    int low = 32768, high = 60999;
    FILE *file = fopen ("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (file) {
        if (fscanf (file, "%d %d", &low, &high) != 2 || low <= 12000)
            low = 32768;
        fclose (file);
    }
    for (int try = 0; try < 1000; try++) {
        int port = 10000 + (int) (zclock_usecs () % (uint64_t) (low - 10000));
        bool seen = false;
        for (size_t i = 0; i < given_count; i++)
            seen |= given [i] == port;
        if (seen)
            continue;
        int fd = socket (AF_INET, SOCK_STREAM, 0);
        assert (fd >= 0);
        struct sockaddr_in address;
        memset (&address, 0, sizeof address);
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
        address.sin_port = htons ((uint16_t) port);
        int rc = bind (fd, (struct sockaddr *) &address, sizeof address);
        close (fd);
        if (rc == 0) {
            if (given_count < sizeof given / sizeof given [0])
                given [given_count++] = port;
            return port;
        }
    }
    assert (!"no free port below the ephemeral range");
    return -1;
}

//  True if entry ("K=V") sets a variable that one of env sets too.

static bool
s_overridden (const char *entry, const char *const env [])
{
    size_t length = strcspn (entry, "=");
    for (int i = 0; env && env [i]; i++)
        if (strncmp (entry, env [i], length) == 0 && env [i][length] == '=')
            return true;
    return false;
}

pid_t
kj_test_spawn (const char *const argv [], const char *const env [],
               const char *log_path)
{
    assert (argv && argv [0]);
    int log = log_path ? open (log_path,
                               O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)
                       : -1;
    if (log_path && log < 0) {
        fprintf (stderr, "kj_test: cannot open %s: %s\n", log_path,
                 strerror (errno));
        return -1;
    }
    //  The environment is built before fork: the child only execs.
    size_t count = 0, extra = 0;
    while (environ [count])
        count++;
    while (env && env [extra])
        extra++;
    char **envp = (char **) calloc (count + extra + 1, sizeof (char *));
    size_t size = 0;
    for (size_t i = 0; i < count; i++)
        if (!s_overridden (environ [i], env))
            envp [size++] = environ [i];
    for (size_t i = 0; i < extra; i++)
        envp [size++] = (char *) env [i];

    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid == 0) {
        setpgid (0, 0);
        //  Nothing outlives a test that crashed or timed out.
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        if (getppid () != parent)
            _exit (127);
        sigset_t all;
        sigemptyset (&all);
        sigprocmask (SIG_SETMASK, &all, NULL);
        for (int signum = 1; signum < NSIG; signum++)
            signal (signum, SIG_DFL);
        int null = open ("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2 (null, STDIN_FILENO);
        if (log >= 0) {
            dup2 (log, STDOUT_FILENO);
            dup2 (log, STDERR_FILENO);
        }
        execvpe (argv [0], (char *const *) argv, envp);
        dprintf (STDERR_FILENO, "kj_test: cannot run %s: %s\n", argv [0],
                 strerror (errno));
        _exit (127);
    }
    if (pid > 0)
        setpgid (pid, pid);  //  also here, so it holds before we go on
    else
        fprintf (stderr, "kj_test: fork: %s\n", strerror (errno));
    free (envp);
    if (log >= 0)
        close (log);
    return pid;
}

int
kj_test_wait_exit (pid_t pid, int wait_ms)
{
    int64_t deadline = zclock_mono () + wait_ms;
    while (true) {
        int status;
        pid_t rc = waitpid (pid, &status, WNOHANG);
        if (rc == pid)
            return WIFEXITED (status) ? WEXITSTATUS (status)
                                      : 128 + WTERMSIG (status);
        if (rc < 0 && errno != EINTR)
            return -1;  //  not a child of ours
        if (zclock_mono () >= deadline)
            return -1;
        zclock_sleep (10);
    }
}

int
kj_test_kill (pid_t pid, int signal, int wait_ms)
{
    assert (pid > 0);
    kill (pid, signal);
    int status = kj_test_wait_exit (pid, wait_ms);
    if (status == -1) {
        fprintf (stderr, "kj_test: %d did not exit within %d ms: SIGKILL\n",
                 (int) pid, wait_ms);
        kill (-pid, SIGKILL);
        kill (pid, SIGKILL);
        waitpid (pid, NULL, 0);
    }
    return status;
}

//  --------------------------------------------------------------------------
//  The scheduler's figures of a process so far (kj_test.h): each thread's
//  schedstat (run and run-queue nanoseconds) and status (switches)

static void
s_task_sched (const char *dir, kj_test_sched_t *sched)
{
    char path [600], line [256];
    snprintf (path, sizeof path, "%s/schedstat", dir);
    FILE *file = fopen (path, "r");
    unsigned long long run = 0, wait = 0, count;
    if (file) {
        if (fscanf (file, "%llu %llu", &run, &wait) == 2) {
            sched->run_ns += run;
            sched->wait_ns += wait;
        }
        fclose (file);
    }
    snprintf (path, sizeof path, "%s/status", dir);
    file = fopen (path, "r");
    while (file && fgets (line, sizeof line, file))
        if (sscanf (line, "voluntary_ctxt_switches: %llu", &count) == 1)
            sched->wakeups += count;
        else if (sscanf (line, "nonvoluntary_ctxt_switches: %llu", &count) == 1)
            sched->preempted += count;
    if (file)
        fclose (file);
}

kj_test_sched_t
kj_test_proc_sched (pid_t pid)
{
    kj_test_sched_t sched = { 0 };
    char path [64];
    snprintf (path, sizeof path, "/proc/%d/task", (int) pid);
    DIR *dir = opendir (path);
    struct dirent *entry;
    while (dir && (entry = readdir (dir))) {
        if (entry->d_name [0] == '.')
            continue;
        char task [400];
        snprintf (task, sizeof task, "%s/%s", path, entry->d_name);
        s_task_sched (task, &sched);
    }
    if (dir)
        closedir (dir);
    return sched;
}

//  --------------------------------------------------------------------------
//  CPU time of a process so far (kj_test.h)

int64_t
kj_test_proc_cpu_us (pid_t pid, int *ppid_p)
{
    char path [64], line [1024];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    size_t size = fread (line, 1, sizeof line - 1, file);
    fclose (file);
    line [size] = 0;
    //  After the command's closing parenthesis (the command may hold
    //  spaces): state, ppid, four ids, five counts, then utime and stime
    //  (fields 14 and 15), in clock ticks
    const char *at = strrchr (line, ')');
    unsigned long long utime = 0, stime = 0;
    int ppid = 0;
    if (!at
        || sscanf (at + 2,
                   "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                   &ppid, &utime, &stime)
               != 3)
        return 0;
    if (ppid_p)
        *ppid_p = ppid;
    return (int64_t) ((utime + stime) * 1000000ULL
                      / (unsigned long long) sysconf (_SC_CLK_TCK));
}

//  --------------------------------------------------------------------------

static void
s_bins_destroy (void)
{
    zhashx_destroy (&s_bins);
}

const char *
kj_test_bin (const char *name)
{
    pthread_mutex_lock (&s_lock);
    if (!s_bins) {
        s_bins = zhashx_new ();
        zhashx_set_destructor (s_bins, (zhashx_destructor_fn *) zstr_free);
        atexit (s_bins_destroy);
    }
    char *path = (char *) zhashx_lookup (s_bins, name);
    if (!path) {
        path = zsys_sprintf ("%s/%s", s_env ("KEJIN_BIN", "bin"), name);
        zhashx_insert (s_bins, name, path);
    }
    pthread_mutex_unlock (&s_lock);
    return path;
}

//  The runner names a folder per test in KEJIN_TEST_TMP, and removes it
//  when the test passed.

const char *
kj_test_tmpdir (void)
{
    pthread_mutex_lock (&s_lock);
    if (!*s_tmpdir) {
        const char *given = getenv ("KEJIN_TEST_TMP");
        char *path;
        if (given && *given)
            path = strdup (given);
        else {
            char *tmp = s_build_tmp ();
            path = zsys_sprintf ("%s/%s-%d", tmp, program_invocation_short_name,
                                 (int) getpid ());
            zstr_free (&tmp);
        }
        zsys_dir_create ("%s", path);
        if (!realpath (path, s_tmpdir))
            s_fail ("cannot create %s", path);
        zstr_free (&path);
    }
    pthread_mutex_unlock (&s_lock);
    return s_tmpdir;
}

bool
kj_test_wait_for (bool (*predicate) (void *), void *arg, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (!predicate (arg)) {
        if (zclock_mono () >= deadline)
            return predicate (arg);
        zclock_sleep (10);
    }
    return true;
}

zmsg_t *
kj_test_recv_skipping_heartbeats (zsock_t *router)
{
    while (true) {
        zmsg_t *msg = zmsg_recv (router);
        if (!msg)
            s_fail ("the stand-in broker received nothing%s", "");
        zframe_t *command = zmsg_size (msg) == 4 ? zmsg_last (msg) : NULL;
        if (command && zframe_size (command) == 1
            && zframe_data (command) [0] == KJ_MDPW_HEARTBEAT) {
            zmsg_destroy (&msg);
            continue;
        }
        return msg;
    }
}
