// Process start for the supervisor. Between clone and exec the child of a multithreaded parent
// may only call async-signal-safe functions, and it shares the parent's memory: everything it needs
// (argv, envp, the candidate paths, the fds) is prepared by the caller, no call below allocates,
// and the child writes only to its own stack and to its `child_context`.
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include "kctl_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/// Shared between the parent and the child (CLONE_VM): the arguments, and where a failing child
/// leaves its report before `_exit`.
struct child_context {
    const struct kctl_spawn_request *request;
    pid_t parent;
    volatile int stage;
    volatile int error;
    volatile int path_index;
};

static void child_fail(struct child_context *context, int stage, int error, int path_index) {
    context->error = error;
    context->path_index = path_index;
    context->stage = stage;
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

/// Marks every fd from 3 on close-on-exec.
static void close_other_fds(void) {
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
    // Kernels before 5.11: one by one up to the limit.
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 1 << 20) max = 1 << 16;
    for (int fd = 3; fd < max; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static int child(void *arg) {
    struct child_context *context = arg;
    const struct kctl_spawn_request *req = context->request;

    // Dispositions first, while every signal is still blocked (the parent blocked them around
    // clone): an ignored SIGPIPE or SIGCHLD would otherwise survive exec, and a handler of the
    // parent must never run here, on memory shared with the parent.
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) reset_signal(sig);
    }

    if (req->controlling_tty) {
        if (setsid() < 0) child_fail(context, KCTL_STAGE_SETUP, errno, -1);
    } else if (setpgid(0, 0) != 0) {
        child_fail(context, KCTL_STAGE_SETUP, errno, -1);
    }

    if (req->die_with_parent) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) child_fail(context, KCTL_STAGE_SETUP, errno, -1);
        // Had the parent died before prctl, nobody would send the signal. (It cannot with
        // CLONE_VFORK, which keeps the parent thread waiting; the check costs nothing.)
        if (getppid() != context->parent) child_fail(context, KCTL_STAGE_SETUP, ESRCH, -1);
    }

    int in = above_stdio(req->stdin_fd);
    int out = above_stdio(req->stdout_fd);
    int err = above_stdio(req->stderr_fd);
    if (in < 0 || out < 0 || err < 0) child_fail(context, KCTL_STAGE_SETUP, errno, -1);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) {
        child_fail(context, KCTL_STAGE_SETUP, errno, -1);
    }

    if (req->controlling_tty && ioctl(0, TIOCSCTTY, 0) != 0) child_fail(context, KCTL_STAGE_SETUP, errno, -1);

    if (req->cwd != NULL && chdir(req->cwd) != 0) child_fail(context, KCTL_STAGE_CHDIR, errno, -1);

    close_other_fds();

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
            child_fail(context, KCTL_STAGE_EXEC, e, i);
        }
    }
    if (denied >= 0) child_fail(context, KCTL_STAGE_EXEC, EACCES, denied);
    child_fail(context, KCTL_STAGE_EXEC, ENOENT, last_missing);
    return 127;
}

/// The child's stack. It only runs the setup above and execve: a few kilobytes.
#define CHILD_STACK_SIZE (256 * 1024)

int kctl_spawn(const struct kctl_spawn_request *req, struct kctl_spawn_result *res) {
    res->pid = -1;
    res->stage = KCTL_STAGE_NONE;
    res->error = 0;
    res->path_index = -1;

    // clone(CLONE_VM | CLONE_VFORK), as posix_spawn does: a plain fork copies the page tables of
    // the whole daemon (about 18 ms for 1 GiB resident), this costs the same whatever its size.
    // The parent thread sleeps until the child has exec'd or exited.
    void *stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        res->stage = KCTL_STAGE_FORK;
        res->error = errno;
        return -1;
    }
    struct child_context context = { req, getpid(), KCTL_STAGE_NONE, 0, -1 };

    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = clone(child, (char *)stack + CHILD_STACK_SIZE, CLONE_VM | CLONE_VFORK | SIGCHLD, &context);
    int clone_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    munmap(stack, CHILD_STACK_SIZE);

    if (pid < 0) {
        res->stage = KCTL_STAGE_FORK;
        res->error = clone_errno;
        return -1;
    }
    if (context.stage == KCTL_STAGE_NONE) {
        res->pid = pid;
        return 0;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    res->stage = context.stage;
    res->error = context.error;
    res->path_index = context.path_index;
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
