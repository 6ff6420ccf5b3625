/* SPDX-License-Identifier: Apache-2.0 */
/* Logging: the rate limiter against an injected clock, the stderr line
 * formats (plain, and with "<N>" when stderr is the journal stream), level
 * filtering, and that one message stays one line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"

static uint64_t fake_now_ms;
static char captured[8192];
static int saved_stderr = -1;
static FILE *capture_file;

static uint64_t fake_clock(void)
{
    return fake_now_ms;
}

/* Send fd 2 to a temporary file until capture_end(). */
static void capture_begin(void)
{
    capture_file = tmpfile();
    assert_non_null(capture_file);
    fflush(stderr);
    saved_stderr = dup(STDERR_FILENO);
    assert_true(saved_stderr >= 0);
    assert_true(dup2(fileno(capture_file), STDERR_FILENO) >= 0);
}

static const char *capture_end(void)
{
    size_t n;

    fflush(stderr);
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    rewind(capture_file);
    n = fread(captured, 1, sizeof(captured) - 1, capture_file);
    captured[n] = '\0';
    fclose(capture_file);
    return captured;
}

static unsigned count(const char *haystack, const char *needle)
{
    unsigned n = 0;

    for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static int setup(void **state)
{
    (void)state;
    unsetenv("JOURNAL_STREAM");
    fake_now_ms = 0;
    xvd_log_set_clock(fake_clock);
    xvd_log_init(LOG_INFO, XVD_LOG_TARGET_STDERR);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    xvd_log_set_clock(NULL);
    return 0;
}

static void test_ratelimit_burst_then_suppressed(void **state)
{
    struct xvd_ratelimit rl = { 0 };     /* defaults: 5 per 10 s */
    const char *out;

    (void)state;
    capture_begin();
    for (unsigned i = 0; i < 5; i++)
        assert_true(xvd_ratelimit_ok(&rl, "dom5/xvda"));
    for (unsigned i = 0; i < 20; i++) {
        fake_now_ms += 100;
        assert_false(xvd_ratelimit_ok(&rl, "dom5/xvda"));
    }
    /* 9.999 s after the window opened: still closed. */
    fake_now_ms = 9999;
    assert_false(xvd_ratelimit_ok(&rl, "dom5/xvda"));
    out = capture_end();
    assert_string_equal(out, "");

    /* The window reopens: one line for all that was dropped. */
    capture_begin();
    fake_now_ms = 10000;
    assert_true(xvd_ratelimit_ok(&rl, "dom5/xvda"));
    out = capture_end();
    assert_int_equal(count(out, "\n"), 1);
    assert_non_null(strstr(out, ": warning: dom5/xvda: 21 similar messages suppressed\n"));
    for (unsigned i = 0; i < 4; i++)
        assert_true(xvd_ratelimit_ok(&rl, "dom5/xvda"));
    assert_false(xvd_ratelimit_ok(&rl, "dom5/xvda"));
}

static void test_ratelimit_custom_and_quiet_gap(void **state)
{
    struct xvd_ratelimit rl = XVD_RATELIMIT_INIT(1000, 2);
    const char *out;

    (void)state;
    fake_now_ms = 5000;
    capture_begin();
    assert_true(xvd_ratelimit_ok(&rl, NULL));
    assert_true(xvd_ratelimit_ok(&rl, NULL));
    assert_false(xvd_ratelimit_ok(&rl, NULL));
    fake_now_ms = 5999;
    assert_false(xvd_ratelimit_ok(&rl, NULL));
    /* A long quiet gap: the next message opens a fresh window. */
    fake_now_ms = 500000;
    assert_true(xvd_ratelimit_ok(&rl, NULL));
    assert_true(xvd_ratelimit_ok(&rl, NULL));
    assert_false(xvd_ratelimit_ok(&rl, NULL));
    out = capture_end();
    assert_int_equal(count(out, "suppressed"), 1);
    assert_non_null(strstr(out, ": warning: 2 similar messages suppressed\n"));
}

static void test_ratelimit_flush(void **state)
{
    struct xvd_ratelimit rl = XVD_RATELIMIT_INIT(1000, 1);
    const char *out;

    (void)state;
    capture_begin();
    xvd_ratelimit_flush(&rl, "dom1");            /* nothing suppressed: silent */
    assert_true(xvd_ratelimit_ok(&rl, "dom1"));
    assert_false(xvd_ratelimit_ok(&rl, "dom1"));
    assert_false(xvd_ratelimit_ok(&rl, "dom1"));
    xvd_ratelimit_flush(&rl, "dom1");
    assert_true(xvd_ratelimit_ok(&rl, "dom1"));  /* afresh */
    out = capture_end();
    assert_int_equal(count(out, "\n"), 1);
    assert_non_null(strstr(out, "dom1: 2 similar messages suppressed\n"));
}

static void test_ratelimited_macro(void **state)
{
    struct xvd_ratelimit rl = XVD_RATELIMIT_INIT(1000, 2);
    const char *out;

    (void)state;
    capture_begin();
    /* Filtered out by the level: does not use up the burst. */
    for (unsigned i = 0; i < 10; i++)
        xvd_log_ratelimited(&rl, LOG_DEBUG, "dom2/i2c0", "debug %u", i);
    for (unsigned i = 0; i < 10; i++)
        xvd_log_ratelimited(&rl, LOG_WARNING, "dom2/i2c0", "bad request %u", i);
    fake_now_ms += 1000;
    xvd_log_ratelimited(&rl, LOG_WARNING, "dom2/i2c0", "bad request %u", 10u);
    out = capture_end();
    assert_int_equal(count(out, "debug"), 0);
    assert_int_equal(count(out, "bad request"), 3);
    assert_non_null(strstr(out, "bad request 0\n"));
    assert_non_null(strstr(out, "bad request 1\n"));
    assert_non_null(strstr(out, "8 similar messages suppressed\n"));
    assert_non_null(strstr(out, "bad request 10\n"));
}

static void test_stderr_format_and_levels(void **state)
{
    char expect[128];
    const char *out;

    (void)state;
    capture_begin();
    xvd_log(LOG_WARNING, "dom5/xvda", "queue %d: %s", 0, "bad descriptor");
    xvd_log(LOG_ERR, NULL, "daemon-wide");
    xvd_log(LOG_DEBUG, "dom5", "not shown at info");
    xvd_log(LOG_INFO, "dom5", "two\nlines");
    out = capture_end();
    snprintf(expect, sizeof(expect), "xenvirtiod[%d]: warning: dom5/xvda: queue 0: "
             "bad descriptor\n", (int)getpid());
    assert_non_null(strstr(out, expect));
    assert_non_null(strstr(out, "]: error: daemon-wide\n"));
    assert_null(strstr(out, "not shown"));
    /* A newline inside a message must not forge a second log line. */
    assert_non_null(strstr(out, "]: info: dom5: two?lines\n"));
    assert_int_equal(count(out, "\n"), 3);

    assert_false(xvd_log_enabled(LOG_DEBUG));
    xvd_log_init(LOG_DEBUG, XVD_LOG_TARGET_STDERR);
    assert_true(xvd_log_enabled(LOG_DEBUG));
    xvd_log_init(LOG_ERR, XVD_LOG_TARGET_STDERR);
    assert_true(xvd_log_enabled(LOG_ERR));
    assert_false(xvd_log_enabled(LOG_WARNING));
}

static void test_stderr_is_journal_stream(void **state)
{
    struct stat st;
    char env[64];
    const char *out;

    (void)state;
    capture_begin();
    assert_int_equal(fstat(STDERR_FILENO, &st), 0);
    snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", env, 1);
    xvd_log_init(LOG_INFO, XVD_LOG_TARGET_STDERR);
    xvd_log(LOG_NOTICE, "dom7/disk0", "ready");
    /* Inherited from a parent but naming another stream: plain lines. */
    setenv("JOURNAL_STREAM", "1:2", 1);
    xvd_log_init(LOG_INFO, XVD_LOG_TARGET_STDERR);
    xvd_log(LOG_NOTICE, "dom7/disk0", "plain");
    setenv("JOURNAL_STREAM", "garbage", 1);
    xvd_log_init(LOG_INFO, XVD_LOG_TARGET_AUTO);  /* auto, not the journal: stderr */
    xvd_log(LOG_ERR, NULL, "still plain");
    unsetenv("JOURNAL_STREAM");
    out = capture_end();
    assert_non_null(strstr(out, "<5>dom7/disk0: ready\n"));
    assert_non_null(strstr(out, "]: notice: dom7/disk0: plain\n"));
    assert_non_null(strstr(out, "]: error: still plain\n"));
}

static void test_journal_unreachable_falls_back(void **state)
{
    const char *out;

    (void)state;
    if (access("/run/systemd/journal/socket", F_OK) == 0)
        skip();     /* a real journal would take the line */
    capture_begin();
    xvd_log_init(LOG_INFO, XVD_LOG_TARGET_JOURNAL);
    xvd_log(LOG_WARNING, "dom3/xvdb", "no journal here");
    out = capture_end();
    assert_non_null(strstr(out, "]: warning: dom3/xvdb: no journal here\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ratelimit_burst_then_suppressed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ratelimit_custom_and_quiet_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ratelimit_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ratelimited_macro, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stderr_format_and_levels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stderr_is_journal_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_unreachable_falls_back, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
