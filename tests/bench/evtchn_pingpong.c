/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The baseline for the IOREQ benchmarks: a bare event-channel ping-pong
 * between two libxenevtchn handles, through whatever libxenevtchn is loaded
 * (the simulator's, with LD_LIBRARY_PATH). One round trip is two notifies
 * and two deliveries, the event-channel part of one trapped MMIO access.
 * Usage: evtchn-pingpong ROUNDS   prints "evtchn_roundtrip_ns <mean>".
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xenevtchn.h>

struct side {
    xenevtchn_handle *xce;
    evtchn_port_t port;
    long rounds;
    bool starts;
};

static int wait_event(struct side *s)
{
    struct pollfd pfd = { .fd = xenevtchn_fd(s->xce), .events = POLLIN };
    xenevtchn_port_or_error_t port;

    if (poll(&pfd, 1, 5000) != 1)
        return -ETIMEDOUT;
    port = xenevtchn_pending(s->xce);
    if (port < 0)
        return -errno;
    return xenevtchn_unmask(s->xce, (evtchn_port_t)port);
}

static void *run_side(void *arg)
{
    struct side *s = arg;

    for (long i = 0; i < s->rounds; i++) {
        if (s->starts && xenevtchn_notify(s->xce, s->port) < 0)
            return (void *)1;
        if (wait_event(s) < 0)
            return (void *)1;
        if (!s->starts && xenevtchn_notify(s->xce, s->port) < 0)
            return (void *)1;
    }
    return NULL;
}

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 10000;
    struct side a = { .rounds = rounds, .starts = true };
    struct side b = { .rounds = rounds };
    xenevtchn_port_or_error_t port;
    pthread_t tb;
    void *failed_a, *failed_b;
    double start;

    a.xce = xenevtchn_open(NULL, 0);
    b.xce = xenevtchn_open(NULL, 0);
    if (!a.xce || !b.xce) {
        fprintf(stderr, "evtchn-pingpong: xenevtchn_open: %s\n", strerror(errno));
        return 1;
    }
    port = xenevtchn_bind_unbound_port(a.xce, 0);
    if (port < 0) {
        fprintf(stderr, "evtchn-pingpong: bind_unbound_port: %s\n", strerror(errno));
        return 1;
    }
    a.port = (evtchn_port_t)port;
    port = xenevtchn_bind_interdomain(b.xce, 0, a.port);
    if (port < 0) {
        fprintf(stderr, "evtchn-pingpong: bind_interdomain: %s\n", strerror(errno));
        return 1;
    }
    b.port = (evtchn_port_t)port;
    /* Binding may raise the port once, as Xen does: drain it. */
    {
        struct pollfd pfd = { .fd = xenevtchn_fd(a.xce), .events = POLLIN };

        while (poll(&pfd, 1, 50) == 1 && xenevtchn_pending(a.xce) >= 0)
            ;
        xenevtchn_unmask(a.xce, a.port);
    }
    start = now_ns();
    pthread_create(&tb, NULL, run_side, &b);
    failed_a = run_side(&a);
    pthread_join(tb, &failed_b);
    if (failed_a || failed_b) {
        fprintf(stderr, "evtchn-pingpong: a round trip failed\n");
        return 1;
    }
    printf("evtchn_roundtrip_ns %.0f\n", (now_ns() - start) / rounds);
    xenevtchn_close(a.xce);
    xenevtchn_close(b.xce);
    return 0;
}
