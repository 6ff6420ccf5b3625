/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the raw SCMI socket's framing (devices/scmi/scmi_stream.c,
 * the code conn_events() runs), fed any bytes split into any reads, into
 * the real SCMI server, with a client that reads its replies slowly or not
 * at all. Oversized and undersized length prefixes, frames split across
 * reads, many frames in one read, and replies left unread are all
 * reachable.
 *
 * A model frames the same bytes independently: while the stream lives it
 * has consumed exactly the complete frames the model counted and holds
 * the rest, and it dies on a bad length exactly when the model meets one
 * (or earlier only because the client left OUT_MAX bytes unread).
 *
 * Invariants: no crash or sanitizer report; the input buffer never
 * overflows and has room while the stream lives; the output stream is a
 * sequence of frames of 4..XV_SCMI_MAX_MSG bytes and never exceeds
 * XVD_SCMI_STREAM_OUT_MAX; a dead stream takes no more input.
 * Input: see fuzz_format.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_format.h"
#include "scmi.h"
#include "scmi_stream.h"
#include "xv/wire.h"

#define CHECK(cond)                                                               \
    do {                                                                          \
        if (!(cond)) {                                                            \
            fprintf(stderr, "fuzz_scmi_socket: invariant failed: %s (line %d)\n", \
                    #cond, __LINE__);                                             \
            abort();                                                              \
        }                                                                         \
    } while (0)

#define FED_MAX (1u << 20)

static struct xv_scmi_clock_desc clocks[1];
static struct xv_scmi_power_desc power[1];
static struct xv_scmi_sensor_desc sensors[2];
static struct xv_scmi_platform plat;
static struct xv_scmi_server server;
static struct xv_scmi_agent agent;
static struct xvd_scmi_stream stream;

/* The independent model of what the client sent. */
static uint8_t fed[FED_MAX];
static size_t fed_len, model_pos;
static bool model_bad;
static bool seen_dead;     /* the death was checked */

/* What the client has read of its replies, not yet a whole frame. */
static uint8_t got[4 + XV_SCMI_MAX_MSG];
static size_t got_len;

static int sensor_read(void *o, unsigned s, int64_t *v, uint64_t *ts)
{
    (void)o;
    *v = (int64_t)s * 7;
    *ts = 0;
    return 0;
}

static const struct xv_scmi_platform_ops ops = { .sensor_read = sensor_read };

/* As conn_p2a(): wait while one of its messages is handled. */
static int p2a(void *opaque, const void *msg, size_t len)
{
    (void)opaque;
    CHECK(len >= 4 && len <= XV_SCMI_MAX_MSG);
    if (stream.busy)
        return -EAGAIN;
    xvd_scmi_stream_queue(&stream, msg, len);
    return 0;
}

static void build_platform(void)
{
    memset(&plat, 0, sizeof(plat));
    memset(clocks, 0, sizeof(clocks));
    memset(power, 0, sizeof(power));
    memset(sensors, 0, sizeof(sensors));
    strcpy(clocks[0].name, "c0");
    clocks[0].nr_rates = 2;
    clocks[0].rates[0] = 1000;
    clocks[0].rates[1] = 2000;
    clocks[0].default_rate = 1000;
    strcpy(power[0].name, "p0");
    strcpy(sensors[0].name, "s0");
    strcpy(sensors[1].name, "s1");
    sensors[1].unit_type = 2;
    plat.clocks = clocks;
    plat.nr_clocks = 1;
    plat.power = power;
    plat.nr_power = 1;
    plat.sensors = sensors;
    plat.nr_sensors = 2;
    plat.ops = &ops;
}

/* Advance the model over what it has been fed. */
static void model_step(void)
{
    while (!model_bad && fed_len - model_pos >= 4) {
        uint32_t len = xv_load_le32(fed + model_pos);

        if (len < 4 || len > XV_SCMI_MAX_MSG) {
            model_bad = true;
            break;
        }
        if (fed_len - model_pos < 4 + len)
            break;
        model_pos += 4 + len;
    }
}

static void check_stream(void)
{
    size_t room;

    CHECK(stream.in_len <= sizeof(stream.in));
    CHECK(stream.out_len <= sizeof(stream.out));
    xvd_scmi_stream_room(&stream, &room);
    CHECK(stream.dead ? room == 0 : room > 0);
    if (!stream.dead) {
        CHECK(!model_bad);
        CHECK(stream.in_len == fed_len - model_pos);
        CHECK(memcmp(stream.in, fed + model_pos, stream.in_len) == 0);
    } else if (!seen_dead) {
        seen_dead = true;
        /* Died for unread replies: they nearly filled the buffer. */
        if (!model_bad)
            CHECK(stream.out_len + 4 + XV_SCMI_MAX_MSG > sizeof(stream.out));
    }
}

/* n bytes arrive: one recv as much as fits, then more recvs, as epoll
 * wakes the connection while the socket holds bytes. */
static void arrive(const uint8_t *bytes, size_t n)
{
    while (n && !stream.dead) {
        size_t room;
        uint8_t *at = xvd_scmi_stream_room(&stream, &room);
        size_t chunk = n < room ? n : room;
        int rc;

        memcpy(at, bytes, chunk);
        if (fed_len + chunk > sizeof(fed))
            abort();                /* inputs are far smaller */
        memcpy(fed + fed_len, bytes, chunk);
        fed_len += chunk;
        rc = xvd_scmi_stream_received(&stream, chunk);
        model_step();
        if (rc < 0)
            CHECK(rc == -EPROTO && stream.dead && model_bad &&
                  (stream.bad_len < 4 || stream.bad_len > XV_SCMI_MAX_MSG));
        check_stream();
        bytes += chunk;
        n -= chunk;
    }
    if (stream.dead) {              /* a dead stream takes nothing */
        size_t before = stream.in_len;

        CHECK(xvd_scmi_stream_received(&stream, 1) == 0 && stream.in_len == before);
    }
}

/* The client reads n bytes of what it was sent, frame by frame. */
static void client_read(size_t n)
{
    if (n > stream.out_len)
        n = stream.out_len;
    for (size_t i = 0; i < n; i++) {
        got[got_len++] = stream.out[i];
        if (got_len >= 4) {
            uint32_t len = xv_load_le32(got);

            CHECK(len >= 4 && len <= XV_SCMI_MAX_MSG);
            if (got_len == 4 + len)
                got_len = 0;
        }
    }
    xvd_scmi_stream_sent(&stream, n);
    /* Room again: what waited in the engine follows, as after a send. */
    if (!stream.dead)
        xv_scmi_agent_p2a_ready(&server, &agent);
    check_stream();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_reader r = { data, size, 0 };

    build_platform();
    CHECK(xv_scmi_server_init(&server, &plat) == 0);
    xv_scmi_agent_init(&agent, "socket0", p2a, NULL);
    agent.trusted = true;
    xv_scmi_agent_show_all(&agent, &server);
    CHECK(xv_scmi_agent_add(&server, &agent) == 0);
    xvd_scmi_stream_init(&stream, &server, &agent);
    fed_len = model_pos = got_len = 0;
    model_bad = seen_dead = false;
    while (fz_more(&r)) {
        switch (fz_get(&r, 1) % FZS_OP_COUNT) {
        case FZS_RECV: {
            size_t n = (size_t)fz_get(&r, 2);

            if (r.pos > size)
                break;
            if (n > size - r.pos)
                n = size - r.pos;
            arrive(data + r.pos, n);
            r.pos += n;
            break;
        }
        case FZS_FRAME: {
            uint8_t frame[4 + 255];
            size_t n = (size_t)fz_get(&r, 1), split = (size_t)fz_get(&r, 1);

            xv_store_le32(frame, (uint32_t)n);
            for (size_t i = 0; i < n; i++)
                frame[4 + i] = (uint8_t)fz_get(&r, 1);
            split %= 4 + n + 1;
            arrive(frame, split);
            arrive(frame + split, 4 + n - split);
            break;
        }
        case FZS_READ:
            client_read((size_t)fz_get(&r, 2));
            break;
        case FZS_SENSOR:
            xv_scmi_sensor_changed(&server, (unsigned)fz_get(&r, 1) % 3);
            check_stream();
            break;
        }
    }
    /* The client drains: everything it was sent is whole frames. */
    client_read(stream.out_len);
    CHECK(got_len == 0);
    xv_scmi_agent_remove(&server, &agent);
    CHECK(server.clock_votes[0] == 0 && server.power_votes[0] == 0);
    return 0;
}
