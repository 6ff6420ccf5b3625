/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xensim-xenstored: a small xenstored for the simulated Xen (sim/README.md).
 * It speaks the real xenstore wire protocol on a Unix socket, so the real
 * libxenstore.so.4 and xenstore-* tools work against it when XENSTORED_PATH
 * names the socket. Single-threaded: one epoll loop, SIGTERM/SIGINT through
 * a signalfd for a clean exit.
 *
 * usage: xensim-xenstored --socket PATH [--pidfile FILE] [--foreground]
 */
#include "xenstored.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int daemon_listen(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        return -ENAMETOOLONG;
    }
    /* Bind under a temporary name and rename once listening: a client that
     * waits for the path to appear must never find a socket that refuses. */
    if ((size_t)snprintf(addr.sun_path, sizeof(addr.sun_path), "%s.new", path) >=
        sizeof(addr.sun_path)) {
        return -ENAMETOOLONG;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    unlink(addr.sun_path);   /* a stale socket of an earlier run */
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 64) < 0 ||
        rename(addr.sun_path, path) < 0) {
        int err = -errno;

        unlink(addr.sun_path);
        close(fd);
        return err;
    }
    return fd;
}

int daemon_poll_add(struct xs_daemon *daemon, int fd, struct pollable *what, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = what };

    return epoll_ctl(daemon->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int daemon_poll_mod(struct xs_daemon *daemon, int fd, struct pollable *what, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = what };

    return epoll_ctl(daemon->epoll_fd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: xensim-xenstored --socket PATH [--pidfile FILE] [--foreground]\n");
}

static int write_pidfile(const char *path, pid_t pid)
{
    FILE *f = fopen(path, "w");

    if (!f) {
        return -errno;
    }
    fprintf(f, "%ld\n", (long)pid);
    return fclose(f) == 0 ? 0 : -errno;
}

/* Detach: the socket already exists, so the caller may connect once we return. */
static int daemonize(const char *pidfile)
{
    pid_t pid = fork();
    int null_fd;

    if (pid < 0) {
        return -errno;
    }
    if (pid > 0) {
        /* The parent writes the pidfile so it exists when the parent exits. */
        if (pidfile && write_pidfile(pidfile, pid) < 0) {
            kill(pid, SIGTERM);
            _exit(1);
        }
        _exit(0);
    }
    setsid();
    null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd >= 0) {
        dup2(null_fd, STDIN_FILENO);
        dup2(null_fd, STDOUT_FILENO);
        dup2(null_fd, STDERR_FILENO);
        close(null_fd);
    }
    return 0;
}

static void handle_event(struct xs_daemon *daemon, struct epoll_event *ev, bool *stop,
                         int signal_fd)
{
    struct pollable *what = ev->data.ptr;

    switch (what->kind) {
    case POLLABLE_MAIN_LISTENER: {
        const struct xs_identity dom0 = { .domid = 0, .privileged = true };

        conn_accept(daemon, daemon->listen_fd, &dom0);
        break;
    }
    case POLLABLE_DOMAIN_LISTENER: {
        struct xs_domain *domain = (struct xs_domain *)what;
        struct xs_identity guest = {
            .domid = domain->domid,
            .has_target = domain->has_target,
            .target = domain->target,
        };

        if (domain->listen_fd >= 0) {
            conn_accept(daemon, domain->listen_fd, &guest);
        }
        break;
    }
    case POLLABLE_CONN:
        conn_handle_events((struct xs_conn *)what, ev->events);
        break;
    case POLLABLE_SIGNAL: {
        struct signalfd_siginfo info;

        if (read(signal_fd, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
            *stop = true;
        }
        break;
    }
    }
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        { "socket", required_argument, NULL, 's' },
        { "pidfile", required_argument, NULL, 'p' },
        { "foreground", no_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const struct node_perm dom0_only = { .domid = 0, .mode = NODE_PERM_NONE };
    const struct node_perms special_default = {
        .entries = (struct node_perm *)&dom0_only, .count = 1,
    };
    struct xs_daemon daemon = { .listen_fd = -1, .epoll_fd = -1 };
    struct pollable signal_poll = { .kind = POLLABLE_SIGNAL };
    const char *pidfile = NULL;
    bool foreground = false;
    bool stop = false;
    sigset_t signals;
    int signal_fd;
    int opt;
    int rc;

    while ((opt = getopt_long(argc, argv, "s:p:fh", options, NULL)) != -1) {
        switch (opt) {
        case 's':
            daemon.socket_path = optarg;
            break;
        case 'p':
            pidfile = optarg;
            break;
        case 'f':
            foreground = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!daemon.socket_path || optind != argc) {
        usage(stderr);
        return 2;
    }

    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigprocmask(SIG_BLOCK, &signals, NULL);

    daemon.main_listener.kind = POLLABLE_MAIN_LISTENER;
    daemon.listen_fd = daemon_listen(daemon.socket_path);
    if (daemon.listen_fd < 0) {
        fprintf(stderr, "xensim-xenstored: %s: %s\n", daemon.socket_path,
                strerror(-daemon.listen_fd));
        return 1;
    }
    if (!foreground) {
        rc = daemonize(pidfile);
        if (rc < 0) {
            fprintf(stderr, "xensim-xenstored: fork: %s\n", strerror(-rc));
            return 1;
        }
    } else if (pidfile && (rc = write_pidfile(pidfile, getpid())) < 0) {
        fprintf(stderr, "xensim-xenstored: %s: %s\n", pidfile, strerror(-rc));
        return 1;
    }

    /* Only after the fork: the parent of a detached daemon exits owning nothing. */
    if (ops_init_tree(&daemon) < 0 ||
        perms_copy(&daemon.introduce_perms, &special_default) < 0 ||
        perms_copy(&daemon.release_perms, &special_default) < 0) {
        fprintf(stderr, "xensim-xenstored: out of memory\n");
        return 1;
    }

    daemon.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    signal_fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (daemon.epoll_fd < 0 || signal_fd < 0 ||
        daemon_poll_add(&daemon, daemon.listen_fd, &daemon.main_listener, EPOLLIN) < 0 ||
        daemon_poll_add(&daemon, signal_fd, &signal_poll, EPOLLIN) < 0) {
        fprintf(stderr, "xensim-xenstored: epoll: %s\n", strerror(errno));
        return 1;
    }

    while (!stop) {
        struct epoll_event events[32];
        int n = epoll_wait(daemon.epoll_fd, events, 32, -1);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            fprintf(stderr, "xensim-xenstored: epoll_wait: %s\n", strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            handle_event(&daemon, &events[i], &stop, signal_fd);
        }
        /* Connections and domains closed during this turn are freed only now. */
        daemon_reap(&daemon);
    }

    daemon_free_all(&daemon);
    close(daemon.listen_fd);
    unlink(daemon.socket_path);
    if (pidfile) {
        unlink(pidfile);
    }
    close(signal_fd);
    close(daemon.epoll_fd);
    return 0;
}
