#ifndef KCTL_SPAWN_H
#define KCTL_SPAWN_H

#include <stdint.h>
#include <sys/types.h>

/// What the child does between clone and exec. Every pointer is prepared by the caller before the
/// call: the child only reads them and calls async-signal-safe functions.
struct kctl_spawn_request {
    /// Executable paths to try in order (a bare name's PATH candidates, or the one path);
    /// NULL-terminated.
    const char *const *paths;
    /// NULL-terminated.
    char *const *argv;
    /// NULL-terminated.
    char *const *envp;
    /// NULL: the parent's.
    const char *cwd;
    int stdin_fd;
    int stdout_fd;
    int stderr_fd;
    /// PR_SET_PDEATHSIG(SIGKILL): the child dies when the forking *thread* exits.
    int die_with_parent;
    /// A new session (setsid) whose controlling terminal is stdin (a pty's slave), instead of a
    /// new process group: `kubectl exec -t`. Either way the child's pid is its group.
    int controlling_tty;
};

/// Where a failed spawn stopped.
enum kctl_spawn_stage {
    KCTL_STAGE_NONE = 0,
    /// clone, or the child's stack.
    KCTL_STAGE_FORK = 2,
    /// setpgid, prctl or the standard fds, in the child.
    KCTL_STAGE_SETUP = 3,
    KCTL_STAGE_CHDIR = 4,
    KCTL_STAGE_EXEC = 5,
};

struct kctl_spawn_result {
    /// The child, which is also its process group, on success.
    pid_t pid;
    /// An `enum kctl_spawn_stage`; KCTL_STAGE_NONE on success.
    int stage;
    /// The errno of the failed stage.
    int error;
    /// For KCTL_STAGE_EXEC: the index in `paths` of the candidate the error is about.
    int path_index;
};

/// Starts a child (clone with CLONE_VM|CLONE_VFORK, as posix_spawn does) in a new process group
/// and execs. Returns 0 once the child has exec'd; -1 with `result` filled when any stage failed
/// (the failed child is already reaped). Blocks the calling thread until then.
int kctl_spawn(const struct kctl_spawn_request *request, struct kctl_spawn_result *result);

/// pidfd_open(2); -1 with errno on failure.
int kctl_pidfd_open(pid_t pid);

/// How a reaped child ended.
enum kctl_exit_kind { KCTL_EXITED = 1, KCTL_SIGNALED = 2 };

/// waitpid(pid, WNOHANG): 1 reaped (kind and value filled), 0 not exited yet, -1 with errno
/// (ECHILD: not our child, or already reaped).
int kctl_reap(pid_t pid, int *kind, int *value);

/// Reaps every exited child in process group `pgid` (waitpid(-pgid, WNOHANG) until none is left);
/// returns how many.
int kctl_reap_group(pid_t pgid);

/// A child that has exited and waits to be reaped, left unreaped
/// (waitid(P_ALL, WEXITED|WNOHANG|WNOWAIT)); 0 when there is none.
pid_t kctl_peek_exited_child(void);

/// epoll without the packed `struct epoll_event`, which is awkward from Swift: `tag` comes back
/// as given.
int kctl_epoll_create(void);
int kctl_epoll_add(int epfd, int fd, uint64_t tag);
int kctl_epoll_remove(int epfd, int fd);
/// Fills up to `max` tags; returns the count, 0 on timeout or EINTR, -1 with errno.
int kctl_epoll_wait(int epfd, uint64_t *tags, int max, int timeout_ms);

/// Writes up to `capacity` numeric entries of directory `path` (such as "/proc") to `pids`;
/// returns how many there are in all (may exceed `capacity`), or -1 with errno.
int kctl_list_pids(const char *path, pid_t *pids, int capacity);

/// A non-blocking, close-on-exec eventfd (wakes the supervisor thread).
int kctl_eventfd(void);

/// A pseudo-terminal: `master` and `slave` opened close-on-exec (the slave without becoming the
/// caller's controlling terminal); 0, or -1 with errno.
int kctl_open_pty(int *master, int *slave);

/// TIOCSWINSZ on a pty's master; 0, or -1 with errno.
int kctl_set_window_size(int fd, unsigned short rows, unsigned short columns);

/// pipe2(O_CLOEXEC), both ends blocking; 0, or -1 with errno.
int kctl_pipe(int fds[2]);

/// pipe2(O_CLOEXEC) with the read end non-blocking; 0, or -1 with errno.
int kctl_capture_pipe(int fds[2]);

/// Blocks every signal on the calling thread, so the supervisor thread never runs a handler and
/// its children start from a known mask.
void kctl_block_all_signals(void);

/// PR_SET_CHILD_SUBREAPER and PR_GET_CHILD_SUBREAPER; -1 with errno on failure.
int kctl_set_child_subreaper(int on);
int kctl_get_child_subreaper(void);

#endif
