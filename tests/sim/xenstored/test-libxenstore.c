/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Drives xensim-xenstored through Debian's real libxenstore.so.4: watches
 * (initial event, ancestors, removal, relative paths, @introduceDomain and
 * @releaseDomain), transactions (commit, abort, snapshot reads, EAGAIN),
 * permissions for an unprivileged domain connection, domain paths,
 * XS_DIRECTORY_PART, and raw wire-protocol errors.
 *
 * usage: test-libxenstore /path/to/xensim-xenstored
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>
#include <xen/io/xs_wire.h>

#define EVENT_TIMEOUT_MS 2000

static int failures;
static char workdir[] = "/tmp/xs-lib.XXXXXX";
static char socket_path[96];    /* fits sockaddr_un with ".d<domid>" */
static pid_t daemon_pid = -1;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            failures++;                                                      \
        }                                                                    \
    } while (0)

/* Checks that a libxenstore call failed with the given errno. */
#define CHECK_FAILS(call, err)                                                         \
    do {                                                                               \
        errno = 0;                                                                     \
        bool ok_ = (call);                                                             \
        if (ok_ || errno != (err)) {                                                   \
            fprintf(stderr, "%s:%d: expected %s to fail with %s, got %s (%s)\n",       \
                    __FILE__, __LINE__, #call, #err, ok_ ? "success" : "failure",      \
                    strerror(errno));                                                  \
            failures++;                                                                \
        }                                                                              \
    } while (0)

static void stop_daemon(void)
{
    char command[300];

    if (daemon_pid > 0) {
        kill(daemon_pid, SIGTERM);
        waitpid(daemon_pid, NULL, 0);
        daemon_pid = -1;
    }
    snprintf(command, sizeof(command), "rm -rf '%s'", workdir);
    if (system(command) != 0) {
        fprintf(stderr, "could not remove %s\n", workdir);
    }
}

static void start_daemon(const char *daemon_bin)
{
    struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
    struct stat st;

    if (!mkdtemp(workdir)) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(socket_path, sizeof(socket_path), "%s/xenstored.sock", workdir);
    daemon_pid = fork();
    if (daemon_pid == 0) {
        /* Never outlive the test, even if it is killed by its timeout. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execl(daemon_bin, daemon_bin, "--socket", socket_path, "--foreground", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500 && stat(socket_path, &st) != 0; i++) {
        nanosleep(&pause, NULL);
    }
    if (stat(socket_path, &st) != 0) {
        fprintf(stderr, "daemon did not create %s\n", socket_path);
        stop_daemon();
        exit(1);
    }
}

/* A connection as dom0 (main socket) or as domain domid (its own socket). */
static struct xs_handle *open_as(unsigned int domid)
{
    char path[300];
    struct xs_handle *h;

    if (domid == 0) {
        snprintf(path, sizeof(path), "%s", socket_path);
    } else {
        snprintf(path, sizeof(path), "%s.d%u", socket_path, domid);
    }
    setenv("XENSTORED_PATH", path, 1);
    h = xs_open(XS_OPEN_SOCKETONLY);
    if (!h) {
        fprintf(stderr, "xs_open(%s): %s\n", path, strerror(errno));
    }
    return h;
}

static char *read_string(struct xs_handle *h, xs_transaction_t t, const char *path)
{
    unsigned int len;

    return xs_read(h, t, path, &len);
}

static bool value_is(struct xs_handle *h, xs_transaction_t t, const char *path,
                     const char *expected)
{
    char *value = read_string(h, t, path);
    bool same = value && strcmp(value, expected) == 0;

    if (!same) {
        fprintf(stderr, "  %s = %s, expected %s\n", path, value ? value : "(none)", expected);
    }
    free(value);
    return same;
}

static bool write_string(struct xs_handle *h, xs_transaction_t t, const char *path,
                         const char *value)
{
    return xs_write(h, t, path, value, (unsigned int)strlen(value));
}

/* Waits for the next watch event; NULL on timeout. The caller frees it. */
static char **next_event(struct xs_handle *h, int timeout_ms)
{
    struct pollfd pfd = { .fd = xs_fileno(h), .events = POLLIN };

    for (;;) {
        char **event = xs_check_watch(h);

        if (event) {
            return event;
        }
        if (errno != EAGAIN || poll(&pfd, 1, timeout_ms) <= 0) {
            return NULL;
        }
    }
}

static bool expect_event(struct xs_handle *h, const char *path, const char *token)
{
    char **event = next_event(h, EVENT_TIMEOUT_MS);
    bool same = event && strcmp(event[XS_WATCH_PATH], path) == 0 &&
                strcmp(event[XS_WATCH_TOKEN], token) == 0;

    if (!same) {
        fprintf(stderr, "  expected event %s/%s, got %s/%s\n", path, token,
                event ? event[XS_WATCH_PATH] : "(none)", event ? event[XS_WATCH_TOKEN] : "");
    }
    free(event);
    return same;
}

static bool expect_no_event(struct xs_handle *h)
{
    char **event = next_event(h, 200);

    if (event) {
        fprintf(stderr, "  unexpected event %s/%s\n", event[XS_WATCH_PATH],
                event[XS_WATCH_TOKEN]);
        free(event);
        return false;
    }
    return true;
}

static void test_basics(struct xs_handle *h)
{
    static const char binary[] = { 'a', '\0', 'b', '\xff', '\n' };
    unsigned int len = 0;
    unsigned int count = 0;
    char *value;
    char **names;

    CHECK(xs_write(h, XBT_NULL, "/basic/bin", binary, sizeof(binary)));
    value = xs_read(h, XBT_NULL, "/basic/bin", &len);
    CHECK(value && len == sizeof(binary) && memcmp(value, binary, len) == 0);
    free(value);

    CHECK(xs_mkdir(h, XBT_NULL, "/basic/dir"));
    CHECK(xs_mkdir(h, XBT_NULL, "/basic/dir"));     /* existing: fine */
    CHECK(value_is(h, XBT_NULL, "/basic/dir", ""));
    names = xs_directory(h, XBT_NULL, "/basic", &count);
    CHECK(names && count == 2 && strcmp(names[0], "bin") == 0 && strcmp(names[1], "dir") == 0);
    free(names);

    errno = 0;
    CHECK(!read_string(h, XBT_NULL, "/basic/missing") && errno == ENOENT);
    CHECK_FAILS(write_string(h, XBT_NULL, "/basic/bad//path", "x"), EINVAL);
    CHECK_FAILS(write_string(h, XBT_NULL, "/basic/trailing/", "x"), EINVAL);
    CHECK_FAILS(xs_rm(h, XBT_NULL, "/"), EINVAL);

    value = xs_get_domain_path(h, 7);
    CHECK(value && strcmp(value, "/local/domain/7") == 0);
    free(value);

    /* More children than one 4 KiB reply holds: xs_directory uses DIRECTORY_PART. */
    for (unsigned int i = 0; i < 300; i++) {
        char path[64];

        snprintf(path, sizeof(path), "/big/child-with-a-long-name-%04u", i);
        CHECK(write_string(h, XBT_NULL, path, "x"));
    }
    names = xs_directory(h, XBT_NULL, "/big", &count);
    CHECK(names && count == 300);
    CHECK(names && strcmp(names[299], "child-with-a-long-name-0299") == 0);
    free(names);
    CHECK(xs_rm(h, XBT_NULL, "/big"));
}

static void test_watches(struct xs_handle *h)
{
    CHECK(xs_watch(h, "/w", "top"));
    CHECK(expect_event(h, "/w", "top"));    /* fires once on registration */
    CHECK_FAILS(xs_watch(h, "/w", "top"), EEXIST);

    CHECK(write_string(h, XBT_NULL, "/w/a/b", "1"));
    CHECK(expect_event(h, "/w/a/b", "top"));    /* ancestor watch, created parents silent */
    CHECK(write_string(h, XBT_NULL, "/wx", "1"));    /* a sibling with a common prefix */
    CHECK(expect_no_event(h));

    CHECK(xs_watch(h, "/w/a/b", "leaf"));
    CHECK(expect_event(h, "/w/a/b", "leaf"));
    CHECK(xs_rm(h, XBT_NULL, "/w/a"));
    /* Removal: the leaf's own watch with the leaf, then ancestors with the root. */
    CHECK(expect_event(h, "/w/a/b", "leaf"));
    CHECK(expect_event(h, "/w/a", "top"));
    CHECK(expect_no_event(h));

    CHECK(xs_unwatch(h, "/w/a/b", "leaf"));
    CHECK_FAILS(xs_unwatch(h, "/w/a/b", "leaf"), ENOENT);
    CHECK(xs_unwatch(h, "/w", "top"));
    CHECK(write_string(h, XBT_NULL, "/w/c", "1"));
    CHECK(expect_no_event(h));

    /* Relative watches report paths relative to the domain's home. */
    CHECK(xs_watch(h, "rel", "r"));
    CHECK(expect_event(h, "rel", "r"));
    CHECK(write_string(h, XBT_NULL, "/local/domain/0/rel/x", "1"));
    CHECK(expect_event(h, "rel/x", "r"));
    CHECK(xs_unwatch(h, "rel", "r"));
}

static void test_transactions(struct xs_handle *h, struct xs_handle *other)
{
    xs_transaction_t t;

    CHECK(xs_watch(h, "/t", "tx"));
    CHECK(expect_event(h, "/t", "tx"));

    /* Commit: invisible outside until the end, then watches fire. */
    t = xs_transaction_start(h);
    CHECK(t != XBT_NULL);
    CHECK(write_string(h, t, "/t/x", "1"));
    CHECK(value_is(h, t, "/t/x", "1"));
    CHECK(!read_string(other, XBT_NULL, "/t/x"));
    CHECK(expect_no_event(h));
    CHECK(xs_transaction_end(h, t, false));
    CHECK(value_is(other, XBT_NULL, "/t/x", "1"));
    CHECK(expect_event(h, "/t/x", "tx"));

    /* Abort: nothing happens. */
    t = xs_transaction_start(h);
    CHECK(write_string(h, t, "/t/y", "1"));
    CHECK(xs_rm(h, t, "/t/x"));
    CHECK(xs_transaction_end(h, t, true));
    CHECK(!read_string(h, XBT_NULL, "/t/y"));
    CHECK(value_is(h, XBT_NULL, "/t/x", "1"));
    CHECK(expect_no_event(h));
    /* The transaction is gone after its end. */
    CHECK_FAILS(xs_transaction_end(h, t, false), ENOENT);

    /* Snapshot reads and a conflict on a node the transaction read. */
    t = xs_transaction_start(h);
    CHECK(value_is(h, t, "/t/x", "1"));
    CHECK(write_string(other, XBT_NULL, "/t/x", "2"));
    CHECK(expect_event(h, "/t/x", "tx"));
    CHECK(value_is(h, t, "/t/x", "1"));
    CHECK(write_string(h, t, "/t/z", "1"));
    CHECK_FAILS(xs_transaction_end(h, t, false), EAGAIN);
    CHECK(!read_string(h, XBT_NULL, "/t/z"));
    CHECK(expect_no_event(h));

    /* A conflict on a node the transaction created (someone else made it first). */
    t = xs_transaction_start(h);
    CHECK(write_string(h, t, "/t/new", "mine"));
    CHECK(write_string(other, XBT_NULL, "/t/new", "theirs"));
    CHECK(expect_event(h, "/t/new", "tx"));
    CHECK_FAILS(xs_transaction_end(h, t, false), EAGAIN);
    CHECK(value_is(h, XBT_NULL, "/t/new", "theirs"));

    /* Unrelated changes elsewhere do not conflict. */
    t = xs_transaction_start(h);
    CHECK(write_string(h, t, "/t/x", "3"));
    CHECK(write_string(other, XBT_NULL, "/elsewhere", "1"));
    CHECK(xs_transaction_end(h, t, false));
    CHECK(value_is(h, XBT_NULL, "/t/x", "3"));
    CHECK(expect_event(h, "/t/x", "tx"));

    CHECK(xs_unwatch(h, "/t", "tx"));
}

static void test_domains(struct xs_handle *dom0)
{
    struct xs_permissions readable[] = {
        { .id = 0, .perms = XS_PERM_NONE },
        { .id = 5, .perms = XS_PERM_READ },
    };
    struct xs_permissions owned_by_5 = { .id = 5, .perms = XS_PERM_NONE };
    struct xs_permissions *perms;
    char command[600];
    struct xs_handle *dom5;
    unsigned int count = 0;
    char *value;

    CHECK(xs_watch(dom0, "@introduceDomain", "intro"));
    CHECK(expect_event(dom0, "@introduceDomain", "intro"));
    CHECK(xs_watch(dom0, "@releaseDomain", "release"));
    CHECK(expect_event(dom0, "@releaseDomain", "release"));

    CHECK(!xs_is_domain_introduced(dom0, 5));
    CHECK(xs_introduce_domain(dom0, 5, 0x1234, 1));
    CHECK(expect_event(dom0, "@introduceDomain", "intro"));
    CHECK(xs_is_domain_introduced(dom0, 5));
    CHECK(xs_introduce_domain(dom0, 5, 0x1234, 1));     /* again: an ack, no event */
    CHECK(expect_no_event(dom0));

    dom5 = open_as(5);
    CHECK(dom5 != NULL);
    if (!dom5) {
        return;
    }

    /* The toolstack gives the domain its home. */
    CHECK(xs_mkdir(dom0, XBT_NULL, "/local/domain/5"));
    CHECK(xs_set_permissions(dom0, XBT_NULL, "/local/domain/5", &owned_by_5, 1));
    CHECK(write_string(dom5, XBT_NULL, "data/deep", "mine"));  /* relative to its home */
    perms = xs_get_permissions(dom0, XBT_NULL, "/local/domain/5/data/deep", &count);
    CHECK(perms && count == 1 && perms[0].id == 5);
    free(perms);

    /* A node it may not read, then may (changed by the real xenstore-chmod). */
    CHECK(write_string(dom0, XBT_NULL, "/secret/node", "s"));
    errno = 0;
    CHECK(!read_string(dom5, XBT_NULL, "/secret/node") && errno == EACCES);
    errno = 0;
    CHECK(!read_string(dom5, XBT_NULL, "/secret/missing") && errno == EACCES);
    CHECK_FAILS(write_string(dom5, XBT_NULL, "/secret/node", "x"), EACCES);
    snprintf(command, sizeof(command),
             "XENSTORED_PATH='%s' timeout 10 xenstore-chmod /secret/node n0 r5", socket_path);
    CHECK(system(command) == 0);
    CHECK(value_is(dom5, XBT_NULL, "/secret/node", "s"));
    CHECK_FAILS(write_string(dom5, XBT_NULL, "/secret/node", "x"), EACCES);
    CHECK_FAILS(xs_set_permissions(dom5, XBT_NULL, "/secret/node", readable, 2), EACCES);
    /* A readable parent turns EACCES for a missing child into ENOENT. */
    CHECK(xs_set_permissions(dom0, XBT_NULL, "/secret", readable, 2));
    errno = 0;
    CHECK(!read_string(dom5, XBT_NULL, "/secret/missing") && errno == ENOENT);

    /* Its watches only see what it may read (the node or its parent). */
    CHECK(xs_mkdir(dom0, XBT_NULL, "/secret/hidden"));
    CHECK(xs_set_permissions(dom0, XBT_NULL, "/secret/hidden", readable, 1));
    CHECK(xs_watch(dom5, "/secret", "s5"));
    CHECK(expect_event(dom5, "/secret", "s5"));
    CHECK(write_string(dom0, XBT_NULL, "/secret/hidden/x", "h"));   /* n0 below n0 */
    CHECK(expect_no_event(dom5));
    CHECK(write_string(dom0, XBT_NULL, "/secret/node", "t"));
    CHECK(expect_event(dom5, "/secret/node", "s5"));
    CHECK(xs_watch(dom5, "@releaseDomain", "r5"));
    CHECK(expect_event(dom5, "@releaseDomain", "r5"));

    /* Privileged requests are refused. */
    CHECK_FAILS(xs_introduce_domain(dom5, 6, 0, 1), EACCES);
    CHECK_FAILS(xs_release_domain(dom5, 5), EACCES);

    /* Release: event, the domain's connection and owned nodes go. */
    CHECK(xs_watch(dom0, "/local/domain/5", "home"));
    CHECK(expect_event(dom0, "/local/domain/5", "home"));
    CHECK(xs_release_domain(dom0, 5));
    /* Removing a subtree fires ancestors' watches once, for its top. */
    CHECK(expect_event(dom0, "/local/domain/5", "home"));
    CHECK(expect_event(dom0, "@releaseDomain", "release"));
    CHECK(expect_no_event(dom0));
    CHECK(!xs_is_domain_introduced(dom0, 5));
    CHECK(!read_string(dom0, XBT_NULL, "/local/domain/5"));
    CHECK(value_is(dom0, XBT_NULL, "/secret/node", "t"));
    value = read_string(dom5, XBT_NULL, "/secret/node");
    CHECK(value == NULL);
    free(value);
    CHECK_FAILS(xs_release_domain(dom0, 5), ENOENT);
    CHECK_FAILS(xs_release_domain(dom0, 0), EINVAL);
    xs_close(dom5);

    CHECK(xs_unwatch(dom0, "@introduceDomain", "intro"));
    CHECK(xs_unwatch(dom0, "@releaseDomain", "release"));
    CHECK(xs_unwatch(dom0, "/local/domain/5", "home"));
}

/* SET_TARGET: a device-model domain acts with its target's rights. */
static void test_target(struct xs_handle *dom0)
{
    struct xs_permissions owned_by_7 = { .id = 7, .perms = XS_PERM_NONE };
    struct xs_handle *dom6;

    CHECK(xs_introduce_domain(dom0, 6, 0, 1));
    CHECK(xs_introduce_domain(dom0, 7, 0, 1));
    CHECK(write_string(dom0, XBT_NULL, "/local/domain/7/private", "p"));
    CHECK(xs_set_permissions(dom0, XBT_NULL, "/local/domain/7/private", &owned_by_7, 1));
    dom6 = open_as(6);
    CHECK(dom6 != NULL);
    if (!dom6) {
        return;
    }
    errno = 0;
    CHECK(!read_string(dom6, XBT_NULL, "/local/domain/7/private") && errno == EACCES);
    CHECK(xs_set_target(dom0, 6, 7));
    CHECK(value_is(dom6, XBT_NULL, "/local/domain/7/private", "p"));
    CHECK(write_string(dom6, XBT_NULL, "/local/domain/7/private", "q"));
    xs_close(dom6);
    CHECK(xs_release_domain(dom0, 6));
    CHECK(xs_release_domain(dom0, 7));
    CHECK(!read_string(dom0, XBT_NULL, "/local/domain/7/private"));     /* owned by 7 */
}

/* One raw request; returns the reply type and copies the payload. */
static uint32_t raw_request(int fd, uint32_t type, const void *payload, uint32_t len,
                            char *reply, size_t cap)
{
    struct xsd_sockmsg hdr = { .type = type, .req_id = 42, .len = len };
    struct xsd_sockmsg answer;

    if (write(fd, &hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr) ||
        (len && write(fd, payload, len) != (ssize_t)len) ||
        recv(fd, &answer, sizeof(answer), MSG_WAITALL) != (ssize_t)sizeof(answer) ||
        answer.req_id != 42 || answer.len >= cap ||
        recv(fd, reply, answer.len, MSG_WAITALL) != (ssize_t)answer.len) {
        return XS_INVALID;
    }
    reply[answer.len] = '\0';
    return answer.type;
}

static void test_wire_errors(void)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct timeval timeout = { .tv_sec = 5 };
    char reply[XENSTORE_PAYLOAD_MAX + 1];
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", socket_path);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    CHECK(connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);

    CHECK(raw_request(fd, 99, NULL, 0, reply, sizeof(reply)) == XS_ERROR);
    CHECK(strcmp(reply, "ENOSYS") == 0);
    CHECK(raw_request(fd, XS_READ, "/nothing", 9, reply, sizeof(reply)) == XS_ERROR);
    CHECK(strcmp(reply, "ENOENT") == 0);
    CHECK(raw_request(fd, XS_READ, "/a\0/b", 6, reply, sizeof(reply)) == XS_ERROR);
    CHECK(strcmp(reply, "EINVAL") == 0);
    CHECK(raw_request(fd, XS_WRITE, "/raw\0v", 6, reply, sizeof(reply)) == XS_WRITE);
    CHECK(strcmp(reply, "OK") == 0);
    CHECK(raw_request(fd, XS_READ, "/raw", 5, reply, sizeof(reply)) == XS_READ);
    CHECK(strcmp(reply, "v") == 0);
    CHECK(raw_request(fd, XS_GET_DOMAIN_PATH, "3", 2, reply, sizeof(reply)) ==
          XS_GET_DOMAIN_PATH);
    CHECK(strcmp(reply, "/local/domain/3") == 0);
    close(fd);
}

int main(int argc, char **argv)
{
    struct xs_handle *dom0;
    struct xs_handle *other;

    if (argc != 2) {
        fprintf(stderr, "usage: %s XENSIM_XENSTORED\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    start_daemon(argv[1]);
    atexit(stop_daemon);

    dom0 = open_as(0);
    other = open_as(0);
    if (!dom0 || !other) {
        return 1;
    }
    test_basics(dom0);
    test_watches(dom0);
    test_transactions(dom0, other);
    test_domains(dom0);
    test_target(dom0);
    test_wire_errors();
    xs_close(other);
    xs_close(dom0);

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    return 0;
}
