/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xenvirtiodctl: asks a running xenvirtiod over its control socket.
 *
 * One request line out, the answer to stdout until the daemon closes.
 * Exit: 0 answered, 1 the daemon answered "error: ...", 2 usage or the
 * socket could not be reached.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"

static void usage(FILE *out)
{
    fprintf(out,
        "Usage: xenvirtiodctl [OPTIONS] COMMAND\n"
        "Ask a running xenvirtiod what it serves.\n\n"
        "Commands:\n"
        "  status                 guests, devices, negotiated features, queues\n"
        "  stats                  per device: register accesses, in flight, faults\n"
        "  reset domN/NAME        ask the guest's driver to reset a device\n"
        "  reload                 reload the configuration (as SIGHUP)\n\n"
        "Options:\n"
        "  -s, --socket PATH      control socket (default " XVD_CONTROL_PATH ")\n"
        "  -j, --json             answer in JSON\n"
        "  -h, --help             this help\n\n"
        "Exit status: 0 done, 1 the daemon answered an error, 2 usage or\n"
        "connection error. See xenvirtiodctl(8).\n");
}

/* "COMMAND [ARG] [json]\n" from the arguments. */
static int build_request(char *line, size_t len, int argc, char **argv, bool json)
{
    const char *command = argv[0];
    bool takes_arg = strcmp(command, "reset") == 0;
    int n;

    if (strcmp(command, "status") && strcmp(command, "stats") &&
        strcmp(command, "reload") && !takes_arg) {
        fprintf(stderr, "xenvirtiodctl: unknown command '%s'\n", command);
        return -EINVAL;
    }
    if (argc != (takes_arg ? 2 : 1)) {
        fprintf(stderr, "xenvirtiodctl: %s takes %s\n", command,
                takes_arg ? "one device, domN/NAME" : "no argument");
        return -EINVAL;
    }
    n = snprintf(line, len, "%s%s%s%s\n", command, takes_arg ? " " : "",
                 takes_arg ? argv[1] : "", json ? " json" : "");
    if (n < 0 || (size_t)n > XVD_CONTROL_LINE_MAX + 1) {
        fprintf(stderr, "xenvirtiodctl: request longer than %d bytes\n",
                XVD_CONTROL_LINE_MAX);
        return -EINVAL;
    }
    return n;
}

static int connect_to(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        fprintf(stderr, "xenvirtiodctl: %s: path too long\n", path);
        return -ENAMETOOLONG;
    }
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int err = -errno;

        fprintf(stderr, "xenvirtiodctl: %s: %s (is xenvirtiod running?)\n", path,
                strerror(errno));
        if (fd >= 0)
            close(fd);
        return err;
    }
    return fd;
}

static bool write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

/* Copy the answer to stdout; 0, 1 for an error answer, 2 if cut short. */
static int relay_answer(int fd)
{
    char buf[4096];
    bool first = true, is_error = false;
    ssize_t n;

    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        /* A daemon that answers before reading (a refusal) may reset the
         * connection after its answer: the answer is still whole. */
        if (n < 0 && errno == ECONNRESET && !first)
            break;
        if (n < 0) {
            fprintf(stderr, "xenvirtiodctl: reading the answer: %s\n", strerror(errno));
            return 2;
        }
        if (first)
            is_error = strncmp(buf, XVD_CONTROL_ERROR, strlen(XVD_CONTROL_ERROR) - 1) == 0;
        first = false;
        fwrite(buf, 1, (size_t)n, is_error ? stderr : stdout);
    }
    if (first) {
        fprintf(stderr, "xenvirtiodctl: the daemon closed without answering\n");
        return 2;
    }
    return is_error ? 1 : 0;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        { "socket", required_argument, NULL, 's' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *path = XVD_CONTROL_PATH;
    char line[XVD_CONTROL_LINE_MAX + 2];
    bool json = false;
    int c, fd, len, rc;

    while ((c = getopt_long(argc, argv, "s:jh", options, NULL)) != -1) {
        switch (c) {
        case 's':
            path = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind == argc) {
        usage(stderr);
        return 2;
    }
    len = build_request(line, sizeof(line), argc - optind, argv + optind, json);
    if (len < 0)
        return 2;
    fd = connect_to(path);
    if (fd < 0)
        return 2;
    /* The daemon may refuse before reading (permission): its answer says why. */
    if (!write_all(fd, line, (size_t)len) && errno != EPIPE && errno != ECONNRESET) {
        fprintf(stderr, "xenvirtiodctl: sending the request: %s\n", strerror(errno));
        close(fd);
        return 2;
    }
    shutdown(fd, SHUT_WR);
    rc = relay_answer(fd);
    close(fd);
    return rc;
}
