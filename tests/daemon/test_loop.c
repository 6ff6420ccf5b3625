/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The event loop's timers: order, cancel, re-arm from a callback, and
 * that a timer's deferred work runs in the same wakeup. Times are a few
 * milliseconds ahead; what is checked is order and "not before due",
 * never how late.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "loop.h"

#define MS 1000000ull

struct tick {
    struct xvd_timer t;
    struct xvd_loop *loop;
    int id;
    int *order;
    unsigned *n;
    uint64_t fired_at;
    unsigned rearm;             /* times to re-arm itself */
    bool stop;
    struct xvd_timer *cancel;   /* cancels this one when it fires */
    struct xvd_deferred *defer;
};

static void on_tick(struct xvd_timer *t)
{
    struct tick *k = (struct tick *)t;

    k->fired_at = xvd_loop_now_ns();
    assert_true(k->fired_at >= t->due_ns);
    assert_false(t->armed);
    k->order[(*k->n)++] = k->id;
    if (k->cancel)
        xvd_loop_timer_cancel(k->loop, k->cancel);
    if (k->defer)
        xvd_loop_defer(k->loop, k->defer);
    if (k->rearm) {
        k->rearm--;
        /* Already due: must wait for the next wakeup, not loop here. */
        xvd_loop_timer_arm(k->loop, t, t->due_ns);
    } else if (k->stop) {
        xvd_loop_stop(k->loop);
    }
}

static void init_tick(struct tick *k, struct xvd_loop *loop, int id, int *order,
                      unsigned *n)
{
    *k = (struct tick){ .t.fn = on_tick, .loop = loop, .id = id, .order = order, .n = n };
}

static void test_order_and_cancel(void **state)
{
    struct xvd_loop *loop = xvd_loop_new();
    struct tick a, b, c, d;
    int order[8];
    unsigned n = 0;
    uint64_t now;

    (void)state;
    assert_non_null(loop);
    init_tick(&a, loop, 1, order, &n);
    init_tick(&b, loop, 2, order, &n);
    init_tick(&c, loop, 3, order, &n);
    init_tick(&d, loop, 4, order, &n);
    d.stop = true;
    now = xvd_loop_now_ns();
    xvd_loop_timer_arm(loop, &d.t, now + 8 * MS);
    xvd_loop_timer_arm(loop, &b.t, now + 4 * MS);
    xvd_loop_timer_arm(loop, &a.t, now + 2 * MS);
    xvd_loop_timer_arm(loop, &c.t, now + 6 * MS);
    /* Moving a timer re-sorts it; cancel removes it. */
    xvd_loop_timer_arm(loop, &a.t, now + 5 * MS);
    xvd_loop_timer_cancel(loop, &c.t);
    xvd_loop_timer_cancel(loop, &c.t);
    assert_false(c.t.armed);
    assert_int_equal(xvd_loop_run(loop), 0);
    assert_int_equal(n, 3);
    assert_int_equal(order[0], 2);
    assert_int_equal(order[1], 1);
    assert_int_equal(order[2], 4);
    assert_true(a.fired_at >= now + 5 * MS);
    xvd_loop_free(loop);
}

/* A callback cancelling a timer due in the same batch stops it. */
static void test_cancel_from_callback(void **state)
{
    struct xvd_loop *loop = xvd_loop_new();
    struct tick a, b, c;
    int order[8];
    unsigned n = 0;
    uint64_t now;

    (void)state;
    init_tick(&a, loop, 1, order, &n);
    init_tick(&b, loop, 2, order, &n);
    init_tick(&c, loop, 3, order, &n);
    a.cancel = &b.t;
    c.stop = true;
    now = xvd_loop_now_ns();
    xvd_loop_timer_arm(loop, &a.t, now + 1 * MS);
    xvd_loop_timer_arm(loop, &b.t, now + 1 * MS);
    xvd_loop_timer_arm(loop, &c.t, now + 3 * MS);
    assert_int_equal(xvd_loop_run(loop), 0);
    assert_int_equal(n, 2);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 3);
    xvd_loop_free(loop);
}

struct work {
    struct xvd_deferred d;
    unsigned runs;
};

static void on_work(struct xvd_deferred *d)
{
    ((struct work *)d)->runs++;
}

/* Re-arming for a past time fires again on a later wakeup (3 + 1 runs),
 * and work deferred by a timer runs before the loop sleeps again. */
static void test_rearm_and_defer(void **state)
{
    struct xvd_loop *loop = xvd_loop_new();
    struct work w = { .d.fn = on_work };
    struct tick a;
    int order[8];
    unsigned n = 0;

    (void)state;
    init_tick(&a, loop, 1, order, &n);
    a.rearm = 3;
    a.stop = true;
    a.defer = &w.d;
    xvd_loop_timer_arm(loop, &a.t, xvd_loop_now_ns() + 1 * MS);
    assert_int_equal(xvd_loop_run(loop), 0);
    assert_int_equal(n, 4);
    assert_int_equal(w.runs, 4);
    assert_false(a.t.armed);
    xvd_loop_free(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_cancel),
        cmocka_unit_test(test_cancel_from_callback),
        cmocka_unit_test(test_rearm_and_defer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
