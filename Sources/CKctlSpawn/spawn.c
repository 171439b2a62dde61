// fork/exec for the process supervisor. Between fork and exec the child of a multithreaded parent
// may only call async-signal-safe functions: everything it needs (argv, envp, the candidate paths,
// the fds) is prepared by the caller, and no call below allocates.
#define _GNU_SOURCE
#include "kctl_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/// What a failed child writes to the parent before `_exit`.
struct child_error {
    int stage;
    int error;
    int path_index;
};

static void write_all(int fd, const void *bytes, size_t count) {
    const char *p = bytes;
    while (count > 0) {
        ssize_t n = write(fd, p, count);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        p += n;
        count -= (size_t)n;
    }
}

static void child_fail(int error_fd, int stage, int error, int path_index) {
    struct child_error report = { stage, error, path_index };
    write_all(error_fd, &report, sizeof report);
    _exit(127);
}

/// Moves `fd` to 3 or above (close-on-exec), so that the dup2 calls into 0, 1 and 2 cannot
/// overwrite a source that happens to sit there (a parent started with a closed stdin).
static int above_stdio(int fd) {
    if (fd > 2) return fd;
    return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

/// The kernel's `struct sigaction`, for signals glibc's sigaction refuses to touch (32 and 33,
/// which it reserves for itself) but which a parent may still have set to SIG_IGN.
struct kernel_sigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long mask;
};

static void reset_signal(int sig) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    if (sigaction(sig, &dfl, NULL) == 0) return;
    struct kernel_sigaction raw;
    memset(&raw, 0, sizeof raw);
    raw.handler = SIG_DFL;
    syscall(SYS_rt_sigaction, sig, &raw, NULL, sizeof raw.mask);
}

/// Marks every fd from 3 on close-on-exec, keeping the error pipe usable until exec.
static void close_other_fds(int error_fd) {
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
    // Kernels before 5.11: mark them one by one up to the limit.
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 1 << 20) max = 1 << 16;
    for (int fd = 3; fd < max; fd++) {
        if (fd != error_fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
}

static void child(const struct kctl_spawn_request *req, pid_t parent, int error_fd) {
    // A parent started with closed stdio may have got the pipe as fd 0, 1 or 2.
    error_fd = above_stdio(error_fd);
    if (error_fd < 0) _exit(127);

    // Dispositions first, while every signal is still blocked (the parent blocked them around
    // fork): an ignored SIGPIPE or SIGCHLD would otherwise survive exec, and a handler of the
    // parent must never run here.
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) reset_signal(sig);
    }

    if (setpgid(0, 0) != 0) child_fail(error_fd, KCTL_STAGE_SETUP, errno, -1);

    if (req->die_with_parent) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) child_fail(error_fd, KCTL_STAGE_SETUP, errno, -1);
        // The parent may have died before prctl: then nobody will send the signal.
        if (getppid() != parent) _exit(127);
    }

    int in = above_stdio(req->stdin_fd);
    int out = above_stdio(req->stdout_fd);
    int err = above_stdio(req->stderr_fd);
    if (in < 0 || out < 0 || err < 0) child_fail(error_fd, KCTL_STAGE_SETUP, errno, -1);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) {
        child_fail(error_fd, KCTL_STAGE_SETUP, errno, -1);
    }

    if (req->cwd != NULL && chdir(req->cwd) != 0) child_fail(error_fd, KCTL_STAGE_CHDIR, errno, -1);

    close_other_fds(error_fd);

    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    // The PATH walk of execvp, over candidates made by the parent: a missing file moves on to
    // the next; a permission error moves on but is what gets reported if nothing runs; any other
    // error stops.
    int denied = -1;
    int last_missing = 0;
    for (int i = 0; req->paths[i] != NULL; i++) {
        execve(req->paths[i], req->argv, req->envp);
        int e = errno;
        switch (e) {
        case ENOENT:
        case ENOTDIR:
        case ESTALE:
        case ENODEV:
        case ETIMEDOUT:
            last_missing = i;
            break;
        case EACCES:
            if (denied < 0) denied = i;
            break;
        default:
            child_fail(error_fd, KCTL_STAGE_EXEC, e, i);
        }
    }
    if (denied >= 0) child_fail(error_fd, KCTL_STAGE_EXEC, EACCES, denied);
    child_fail(error_fd, KCTL_STAGE_EXEC, ENOENT, last_missing);
}

int kctl_spawn(const struct kctl_spawn_request *req, struct kctl_spawn_result *res) {
    res->pid = -1;
    res->stage = KCTL_STAGE_NONE;
    res->error = 0;
    res->path_index = -1;

    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
        res->stage = KCTL_STAGE_PIPE;
        res->error = errno;
        return -1;
    }

    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(pipe_fds[0]);
        child(req, parent, pipe_fds[1]);
        _exit(127);  // not reached
    }
    int fork_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(pipe_fds[1]);

    if (pid < 0) {
        close(pipe_fds[0]);
        res->stage = KCTL_STAGE_FORK;
        res->error = fork_errno;
        return -1;
    }
    // Also from this side, so that the group exists whichever runs first. Fails harmlessly
    // (EACCES) once the child has exec'd.
    setpgid(pid, pid);

    // EOF (the pipe closed by exec) means success; a report means the child is about to _exit.
    struct child_error report;
    size_t got = 0;
    while (got < sizeof report) {
        ssize_t n = read(pipe_fds[0], (char *)&report + got, sizeof report - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(pipe_fds[0]);

    if (got == 0) {
        res->pid = pid;
        return 0;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (got < sizeof report) {
        res->stage = KCTL_STAGE_SETUP;
        res->error = EIO;
    } else {
        res->stage = report.stage;
        res->error = report.error;
        res->path_index = report.path_index;
    }
    return -1;
}

int kctl_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int kctl_reap(pid_t pid, int *kind, int *value) {
    int status = 0;
    pid_t r;
    do {
        r = waitpid(pid, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r <= 0) return (int)r;
    if (WIFSIGNALED(status)) {
        *kind = KCTL_SIGNALED;
        *value = WTERMSIG(status);
    } else {
        *kind = KCTL_EXITED;
        *value = WEXITSTATUS(status);
    }
    return 1;
}

int kctl_reap_group(pid_t pgid) {
    int reaped = 0;
    for (;;) {
        int status;
        pid_t r = waitpid(-pgid, &status, WNOHANG);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return reaped;
        reaped++;
    }
}

pid_t kctl_peek_exited_child(void) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0) return 0;
    return info.si_pid;
}
