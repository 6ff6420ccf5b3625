/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Linux storage backend of virtio-blk over a temporary file, and the
 * daemon's "block" device type built from config options and driven
 * through the core once end to end.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
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

#include "blk_dev.h"
#include "blk_uring.h"
#include "config.h"
#include "device_type.h"
#include "ring_helper.h"
#include "test_platform.h"

#define FILE_BYTES (1u << 20)

struct fixture {
    char path[256];
    int fd;                     /* the test's own view of the file */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    const char *dir = getenv("TMPDIR");

    assert_non_null(f);
    snprintf(f->path, sizeof(f->path), "%s/xv-blk-XXXXXX", dir ? dir : "/tmp");
    f->fd = mkstemp(f->path);
    assert_true(f->fd >= 0);
    assert_int_equal(ftruncate(f->fd, FILE_BYTES), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    close(f->fd);
    unlink(f->path);
    free(f);
    return 0;
}

static void open_file(struct fixture *f, struct xvd_blk_file *bf, bool ro,
                      bool discard, const char *serial)
{
    struct xvd_blk_file_opts o = { f->path, ro, discard, serial, false };
    char err[256] = "";

    if (xvd_blk_file_open(bf, &o, err, sizeof(err)) < 0)
        fail_msg("open: %s", err);
}

static void fill_pattern(uint8_t *p, size_t len, uint8_t seed)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(seed + i * 31 + i / 4096);
}

static void test_open_describes_file(void **state)
{
    struct fixture *f = *state;
    struct xvd_blk_file bf;

    open_file(f, &bf, false, true, NULL);
    assert_int_equal(bf.storage.capacity, FILE_BYTES);
    assert_int_equal(bf.storage.blk_size, 512);
    assert_false(bf.storage.read_only);
    assert_ptr_equal(bf.storage.ops, &xvd_blk_file_ops);
    assert_ptr_equal(bf.storage.opaque, &bf);
    assert_true(bf.storage.id[0] != '\0');     /* derived from dev/ino */
    xvd_blk_file_close(&bf);

    open_file(f, &bf, false, false, "my-serial");
    assert_ptr_equal(bf.storage.ops, &xvd_blk_file_ops_nodiscard);
    assert_null(bf.storage.ops->discard);
    assert_memory_equal(bf.storage.id, "my-serial", 9);
    assert_int_equal(bf.storage.id[9], 0);
    xvd_blk_file_close(&bf);

    open_file(f, &bf, true, true, "12345678901234567890");
    assert_true(bf.storage.read_only);
    assert_null(bf.storage.ops->flush);
    assert_null(bf.storage.ops->discard);
    assert_memory_equal(bf.storage.id, "12345678901234567890", 20);
    xvd_blk_file_close(&bf);
}

static void test_open_errors(void **state)
{
    struct fixture *f = *state;
    struct xvd_blk_file bf, bf2;
    char err[256];
    struct xvd_blk_file_opts o = { "/nonexistent/xv-disk.img", false, true, NULL,
                                   false };

    assert_int_equal(xvd_blk_file_open(&bf, &o, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "/nonexistent/xv-disk.img"));
    o.path = "/tmp";
    assert_int_equal(xvd_blk_file_open(&bf, &o, err, sizeof(err)), -EINVAL);
    o.path = "/dev/null";
    assert_int_equal(xvd_blk_file_open(&bf, &o, err, sizeof(err)), -EINVAL);
    o.path = f->path;
    o.serial = "123456789012345678901";
    assert_int_equal(xvd_blk_file_open(&bf, &o, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "serial"));

    /* Two writers of one image would corrupt it. */
    open_file(f, &bf, false, true, NULL);
    o.serial = NULL;
    assert_true(xvd_blk_file_open(&bf2, &o, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "in use"));
    xvd_blk_file_close(&bf);
}

static void test_read_write(void **state)
{
    struct fixture *f = *state;
    struct xvd_blk_file bf;
    const struct xv_blk_storage_ops *ops;
    static uint8_t src[8192], dst[8192], check[8192];

    open_file(f, &bf, false, true, NULL);
    ops = bf.storage.ops;
    fill_pattern(src, sizeof(src), 3);
    /* Uneven segments, including an empty one. */
    struct xv_iovec w[] = { { src, 512 }, { src + 512, 0 }, { src + 512, 3000 },
                            { src + 3512, 4680 } };
    assert_int_equal(ops->write(&bf, 4096, w, 4), 0);
    assert_int_equal(pread(f->fd, check, sizeof(check), 4096), (ssize_t)sizeof(check));
    assert_memory_equal(check, src, sizeof(src));

    struct xv_iovec r[] = { { dst, 100 }, { dst + 100, 8000 }, { dst + 8100, 92 } };
    assert_int_equal(ops->read(&bf, 4096, r, 3), 0);
    assert_memory_equal(dst, src, sizeof(src));

    /* Many more segments than one preadv takes. */
    static struct xv_iovec many[3000];
    static uint8_t big[3000 * 8];
    for (unsigned i = 0; i < 3000; i++)
        many[i] = (struct xv_iovec){ big + 8 * i, 8 };
    fill_pattern(big, sizeof(big), 9);
    assert_int_equal(ops->write(&bf, 65536, many, 3000), 0);
    memset(big, 0, sizeof(big));
    assert_int_equal(ops->read(&bf, 65536, many, 3000), 0);
    fill_pattern(check, sizeof(check), 9);
    assert_memory_equal(big, check, sizeof(check));

    /* Past the end of the file: an error, not a hang or short success. */
    struct xv_iovec tail = { dst, 512 };
    assert_int_equal(ops->read(&bf, FILE_BYTES, &tail, 1), -EIO);
    assert_int_equal(ops->flush(&bf), 0);
    xvd_blk_file_close(&bf);
}

static bool all_zero(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i])
            return false;
    }
    return true;
}

static void test_discard_and_write_zeroes(void **state)
{
    struct fixture *f = *state;
    struct xvd_blk_file bf;
    static uint8_t buf[262144];
    const struct xv_blk_storage_ops *ops;

    open_file(f, &bf, false, true, NULL);
    ops = bf.storage.ops;
    fill_pattern(buf, sizeof(buf), 1);
    assert_int_equal(pwrite(f->fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));

    assert_int_equal(ops->discard(&bf, 65536, 65536), 0);
    assert_int_equal(pread(f->fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
    if (bf.punch_hole_ok)
        assert_true(all_zero(buf + 65536, 65536));
    else
        print_message("punch hole unsupported here: discard was a no-op\n");
    assert_false(all_zero(buf, 65536));
    assert_false(all_zero(buf + 131072, 512));

    /* Write zeroes must zero, whatever the filesystem supports. */
    assert_int_equal(ops->write_zeroes(&bf, 131072, 4096, false), 0);
    assert_int_equal(ops->write_zeroes(&bf, 200704, 1024, true), 0);
    assert_int_equal(pread(f->fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
    assert_true(all_zero(buf + 131072, 4096));
    assert_true(all_zero(buf + 200704, 1024));
    assert_false(all_zero(buf + 135168, 512));
    assert_false(all_zero(buf + 201728, 512));
    /* The size never changes. */
    struct stat st;
    assert_int_equal(fstat(f->fd, &st), 0);
    assert_int_equal(st.st_size, FILE_BYTES);
    xvd_blk_file_close(&bf);
}

/*
 * The device type.
 */
static void conf_init(struct xvd_device_conf *c, const char *const *kv)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "xvda");
    snprintf(c->type, sizeof(c->type), "block");
    c->domid = -1;
    for (; kv[0]; kv += 2, c->nr_opts++) {
        snprintf(c->opts[c->nr_opts].key, sizeof(c->opts[0].key), "%s", kv[0]);
        snprintf(c->opts[c->nr_opts].value, sizeof(c->opts[0].value), "%s", kv[1]);
    }
}

static void expect_create_error(struct test_platform *tp, const char *const *kv,
                                const char *needle)
{
    struct xvd_device_conf c;
    char err[256] = "";

    conf_init(&c, kv);
    assert_null(xvd_block_type.create(&c, &tp->platform, NULL, err, sizeof(err)));
    if (!strstr(err, needle))
        fail_msg("error '%s' does not mention '%s'", err, needle);
}

static void test_create_errors(void **state)
{
    struct fixture *f = *state;
    struct test_platform tp;

    assert_int_equal(tp_init(&tp, 0), 0);
    expect_create_error(&tp, (const char *const[]){ "readonly", "no", NULL },
                        "'path'");
    expect_create_error(&tp, (const char *const[]){ "path", f->path,
                        "queue-size", "100", NULL }, "queue-size");
    expect_create_error(&tp, (const char *const[]){ "path", f->path,
                        "queue-size", "65536", NULL }, "queue-size");
    expect_create_error(&tp, (const char *const[]){ "path", f->path,
                        "seg-max", "0", NULL }, "seg-max");
    expect_create_error(&tp, (const char *const[]){ "path", f->path,
                        "readonly", "maybe", NULL }, "readonly");
    expect_create_error(&tp, (const char *const[]){ "path", f->path,
                        "read-only", "yes", NULL }, "read-only");
    expect_create_error(&tp, (const char *const[]){ "path", "/nonexistent/x",
                        NULL }, "/nonexistent/x");
    tp_fini(&tp);
}

static void w32(struct xv_device *dev, uint32_t off, uint32_t val)
{
    assert_int_equal(xv_mmio_write(dev, off, 4, val), 0);
}

static uint32_t r32(struct xv_device *dev, uint32_t off)
{
    uint32_t v = 0;

    assert_int_equal(xv_mmio_read(dev, off, 4, &v), 0);
    return v;
}

/* Run a queue and wait until the storage completed all it took. */
static void process(struct xvd_dev *dev, unsigned queue)
{
    xv_device_process_queue(&dev->xv, queue);
    while (xvd_block_type.in_flight(dev))
        xvd_blk_uring_poll(xvd_block_file(dev), true);
}

/* Write a sector through the device, read it back through the device,
 * and find it in the file. */
static void test_device_end_to_end(void **state)
{
    struct fixture *f = *state;
    struct test_platform tp;
    struct xvd_device_conf c;
    struct xvd_dev *dev;
    struct drv_vq q;
    char err[256] = "";
    uint8_t check[1024];

    assert_int_equal(tp_init(&tp, 0), 0);
    conf_init(&c, (const char *const[]){ "path", f->path, "queue-size", "16",
              "seg-max", "4", "serial", "e2e", NULL });
    dev = xvd_block_type.create(&c, &tp.platform, NULL, err, sizeof(err));
    if (!dev)
        fail_msg("create: %s", err);
    assert_ptr_equal(dev->type, &xvd_block_type);
    assert_int_equal(r32(&dev->xv, XV_MMIO_DEVICE_ID), XV_ID_BLOCK);
    w32(&dev->xv, XV_MMIO_QUEUE_SEL, 0);
    assert_int_equal(r32(&dev->xv, XV_MMIO_QUEUE_NUM_MAX), 16);
    assert_int_equal(xvd_block_type.in_flight(dev), 0);

    w32(&dev->xv, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER);
    w32(&dev->xv, XV_MMIO_DRIVER_FEATURES_SEL, 1);
    w32(&dev->xv, XV_MMIO_DRIVER_FEATURES, 1);      /* VERSION_1 */
    w32(&dev->xv, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER |
        XV_STATUS_FEATURES_OK);
    drv_vq_layout(&q, &tp, TP_RAM_GPA, 16);
    w32(&dev->xv, XV_MMIO_QUEUE_NUM, 16);
    w32(&dev->xv, XV_MMIO_QUEUE_DESC_LOW, (uint32_t)q.desc_gpa);
    w32(&dev->xv, XV_MMIO_QUEUE_DRIVER_LOW, (uint32_t)q.avail_gpa);
    w32(&dev->xv, XV_MMIO_QUEUE_DEVICE_LOW, (uint32_t)q.used_gpa);
    w32(&dev->xv, XV_MMIO_QUEUE_READY, 1);
    w32(&dev->xv, XV_MMIO_STATUS, XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER |
        XV_STATUS_FEATURES_OK | XV_STATUS_DRIVER_OK);

    uint64_t base = (q.end_gpa + 0xfff) & ~0xfffull;
    uint8_t *h = tp_ram_ptr(&tp, base, 16);
    uint8_t *data = tp_ram_ptr(&tp, base + 512, 1024);
    uint8_t *st = tp_ram_ptr(&tp, base + 2048, 1);
    memset(h, 0, 16);
    h[0] = VIRTIO_BLK_T_OUT;
    h[8] = 7;                                        /* sector 7 */
    fill_pattern(data, 1024, 42);
    drv_desc(&q, 0, base, 16, XV_VRING_DESC_F_NEXT, 1);
    drv_desc(&q, 1, base + 512, 1024, XV_VRING_DESC_F_NEXT, 2);
    drv_desc(&q, 2, base + 2048, 1, XV_VRING_DESC_F_WRITE, 0);
    drv_avail_add(&q, 0);
    w32(&dev->xv, XV_MMIO_QUEUE_NOTIFY, 0);
    process(dev, 0);
    assert_int_equal(drv_used_idx(&q), 1);
    assert_int_equal(*st, VIRTIO_BLK_S_OK);
    assert_int_equal(pread(f->fd, check, 1024, 7 * 512), 1024);
    assert_memory_equal(check, data, 1024);

    h[0] = VIRTIO_BLK_T_IN;
    memset(data, 0, 1024);
    drv_desc(&q, 1, base + 512, 1024, XV_VRING_DESC_F_NEXT | XV_VRING_DESC_F_WRITE, 2);
    drv_avail_add(&q, 0);
    w32(&dev->xv, XV_MMIO_QUEUE_NOTIFY, 0);
    process(dev, 0);
    assert_int_equal(drv_used_idx(&q), 2);
    assert_int_equal(drv_used_elem(&q, 1).len, 1025);
    assert_memory_equal(check, data, 1024);

    h[0] = VIRTIO_BLK_T_GET_ID;
    drv_desc(&q, 1, base + 512, 20, XV_VRING_DESC_F_NEXT | XV_VRING_DESC_F_WRITE, 2);
    drv_avail_add(&q, 0);
    w32(&dev->xv, XV_MMIO_QUEUE_NOTIFY, 0);
    process(dev, 0);
    assert_int_equal(drv_used_idx(&q), 3);
    assert_string_equal((char *)data, "e2e");

    xv_device_reset(&dev->xv);
    assert_int_equal(xvd_block_type.in_flight(dev), 0);
    xvd_block_type.destroy(dev);
    assert_int_equal(tp_outstanding(&tp), 0);
    tp_fini(&tp);
}

/*
 * io_uring: a rig that builds a "block" device from options, negotiates,
 * and lays out request slots of 3 descriptors (header, data, status).
 */
#define RIG_QSIZE       128u
#define RIG_MAX_QUEUES  2u
#define RIG_STRIDE      8192u   /* per request: header, 4 KiB data, status */
#define RIG_DATA_OFF    512u
#define RIG_STATUS_OFF  (RIG_DATA_OFF + 4096u + 64u)
#define RIG_RAM         (4u << 20)

struct rig {
    struct test_platform tp;
    struct xvd_dev *dev;
    struct drv_vq q[RIG_MAX_QUEUES];
    uint64_t area[RIG_MAX_QUEUES];
    unsigned nq;
    unsigned notify_seen;
};

static void w8(struct xv_device *dev, uint32_t off, uint8_t val)
{
    assert_int_equal(xv_mmio_write(dev, off, 1, val), 0);
}

static uint8_t r8(struct xv_device *dev, uint32_t off)
{
    uint32_t v = 0;

    assert_int_equal(xv_mmio_read(dev, off, 1, &v), 0);
    return (uint8_t)v;
}

static struct xvd_dev *rig_create(struct rig *r, const char *const *kv)
{
    struct xvd_device_conf c;
    char err[256] = "";
    struct xvd_dev *dev;

    conf_init(&c, kv);
    dev = xvd_block_type.create(&c, &r->tp.platform, NULL, err, sizeof(err));
    if (!dev)
        fail_msg("create: %s", err);
    return dev;
}

/* Bring the device up with 'nq' queues and the driver features 'want'
 * (device bits; VERSION_1 added). */
static void rig_up(struct rig *r, unsigned nq, uint64_t want)
{
    struct xv_device *dev = &r->dev->xv;
    uint32_t s = XV_STATUS_ACKNOWLEDGE | XV_STATUS_DRIVER;
    uint64_t gpa = TP_RAM_GPA;

    r->nq = nq;
    w32(dev, XV_MMIO_STATUS, s);
    w32(dev, XV_MMIO_DEVICE_FEATURES_SEL, 0);
    want &= r32(dev, XV_MMIO_DEVICE_FEATURES);
    w32(dev, XV_MMIO_DRIVER_FEATURES_SEL, 0);
    w32(dev, XV_MMIO_DRIVER_FEATURES, (uint32_t)want);
    w32(dev, XV_MMIO_DRIVER_FEATURES_SEL, 1);
    w32(dev, XV_MMIO_DRIVER_FEATURES, 1);      /* VERSION_1 */
    s |= XV_STATUS_FEATURES_OK;
    w32(dev, XV_MMIO_STATUS, s);
    assert_true(r32(dev, XV_MMIO_STATUS) & XV_STATUS_FEATURES_OK);
    for (unsigned i = 0; i < nq; i++) {
        struct drv_vq *q = &r->q[i];

        drv_vq_layout(q, &r->tp, gpa, RIG_QSIZE);
        w32(dev, XV_MMIO_QUEUE_SEL, i);
        w32(dev, XV_MMIO_QUEUE_NUM, RIG_QSIZE);
        w32(dev, XV_MMIO_QUEUE_DESC_LOW, (uint32_t)q->desc_gpa);
        w32(dev, XV_MMIO_QUEUE_DRIVER_LOW, (uint32_t)q->avail_gpa);
        w32(dev, XV_MMIO_QUEUE_DEVICE_LOW, (uint32_t)q->used_gpa);
        w32(dev, XV_MMIO_QUEUE_READY, 1);
        r->area[i] = (q->end_gpa + 0xfff) & ~0xfffull;
        gpa = r->area[i] + (RIG_QSIZE / 3) * RIG_STRIDE;
    }
    w32(dev, XV_MMIO_STATUS, s | XV_STATUS_DRIVER_OK);
}

static void rig_init(struct rig *r, struct fixture *f, const char *const *opts,
                     unsigned nq, uint64_t want)
{
    const char *kv[24] = { "path", f->path, "queue-size", "128", "seg-max", "4" };
    unsigned n = 6;

    memset(r, 0, sizeof(*r));
    assert_int_equal(tp_init(&r->tp, RIG_RAM), 0);
    for (unsigned i = 0; opts && opts[i]; i++)
        kv[n++] = opts[i];
    kv[n] = NULL;
    r->dev = rig_create(r, kv);
    rig_up(r, nq, want);
}

static void rig_fini(struct rig *r)
{
    xv_device_reset(&r->dev->xv);
    assert_int_equal(xvd_block_type.in_flight(r->dev), 0);
    xvd_block_type.destroy(r->dev);
    assert_int_equal(tp_outstanding(&r->tp), 0);
    assert_true(tp_guards_intact(&r->tp));
    tp_fini(&r->tp);
}

static uint8_t *rig_data(struct rig *r, unsigned q, unsigned k, uint32_t len)
{
    return tp_ram_ptr(&r->tp, r->area[q] + k * RIG_STRIDE + RIG_DATA_OFF, len);
}

static uint8_t *rig_status(struct rig *r, unsigned q, unsigned k)
{
    return tp_ram_ptr(&r->tp, r->area[q] + k * RIG_STRIDE + RIG_STATUS_OFF, 1);
}

/* Queue request k (descriptors 3k..3k+2) on queue q; data_off moves the
 * data buffer within its slot (alignment tests). */
static void rig_req_at(struct rig *r, unsigned q, unsigned k, uint32_t type,
                       uint64_t sector, uint32_t len, uint32_t data_off)
{
    struct drv_vq *vq = &r->q[q];
    uint64_t base = r->area[q] + k * RIG_STRIDE;
    uint8_t *h = tp_ram_ptr(&r->tp, base, 16);
    uint16_t d = (uint16_t)(3 * k);
    uint16_t wr = type == VIRTIO_BLK_T_IN ? XV_VRING_DESC_F_WRITE : 0;

    assert_true(k < RIG_QSIZE / 3);
    memset(h, 0, 16);
    h[0] = (uint8_t)type;
    for (unsigned i = 0; i < 8; i++)
        h[8 + i] = (uint8_t)(sector >> (8 * i));
    if (len) {
        drv_desc(vq, d, base, 16, XV_VRING_DESC_F_NEXT, (uint16_t)(d + 1));
        drv_desc(vq, (uint16_t)(d + 1), base + RIG_DATA_OFF + data_off, len,
                 XV_VRING_DESC_F_NEXT | wr, (uint16_t)(d + 2));
    } else {
        drv_desc(vq, d, base, 16, XV_VRING_DESC_F_NEXT, (uint16_t)(d + 2));
    }
    drv_desc(vq, (uint16_t)(d + 2), base + RIG_STATUS_OFF, 1,
             XV_VRING_DESC_F_WRITE, 0);
    *rig_status(r, q, k) = 0xee;
    drv_avail_add(vq, d);
}

static void rig_req(struct rig *r, unsigned q, unsigned k, uint32_t type,
                    uint64_t sector, uint32_t len)
{
    rig_req_at(r, q, k, type, sector, len, 0);
}

/* Collect every completion; run the queues again when the device asked
 * (queue_notify: slots freed after it ran out). */
static void rig_settle(struct rig *r)
{
    for (;;) {
        while (xvd_block_type.in_flight(r->dev))
            xvd_blk_uring_poll(xvd_block_file(r->dev), true);
        if (r->tp.queue_notify_calls == r->notify_seen)
            break;
        r->notify_seen = r->tp.queue_notify_calls;
        for (unsigned i = 0; i < r->nq; i++)
            xv_device_process_queue(&r->dev->xv, i);
    }
}

static void rig_run(struct rig *r, unsigned q)
{
    r->notify_seen = r->tp.queue_notify_calls;
    xv_device_process_queue(&r->dev->xv, q);
    rig_settle(r);
}

#define F_FLUSH     XV_FEATURE(VIRTIO_BLK_F_FLUSH)
#define F_WCE       XV_FEATURE(VIRTIO_BLK_F_CONFIG_WCE)
#define F_MQ        XV_FEATURE(VIRTIO_BLK_F_MQ)

/* 32 writes in flight at once, sent to the kernel in one submission, then
 * read back: every byte where it belongs. */
static void test_uring_many_in_flight(void **state)
{
    struct fixture *f = *state;
    struct xvd_blk_file *bf;
    struct rig r;
    uint8_t expect[4096], got[4096];

    rig_init(&r, f, NULL, 1, F_FLUSH);
    bf = xvd_block_file(r.dev);
    assert_non_null(bf->uring);
    for (unsigned k = 0; k < 32; k++) {
        fill_pattern(rig_data(&r, 0, k, 4096), 4096, (uint8_t)(k + 1));
        rig_req(&r, 0, k, VIRTIO_BLK_T_OUT, (uint64_t)(31 - k) * 8, 4096);
    }
    xv_device_process_queue(&r.dev->xv, 0);
    assert_int_equal(xvd_block_type.in_flight(r.dev), 32);
    assert_int_equal(xvd_blk_uring_submit_calls(bf), 1);
    rig_settle(&r);
    assert_int_equal(drv_used_idx(&r.q[0]), 32);
    for (unsigned k = 0; k < 32; k++) {
        assert_int_equal(*rig_status(&r, 0, k), VIRTIO_BLK_S_OK);
        fill_pattern(expect, 4096, (uint8_t)(k + 1));
        assert_int_equal(pread(f->fd, got, 4096, (off_t)(31 - k) * 4096), 4096);
        assert_memory_equal(got, expect, 4096);
    }
    for (unsigned k = 0; k < 32; k++) {
        memset(rig_data(&r, 0, k, 4096), 0, 4096);
        rig_req(&r, 0, k, VIRTIO_BLK_T_IN, (uint64_t)k * 8, 4096);
    }
    rig_run(&r, 0);
    assert_int_equal(drv_used_idx(&r.q[0]), 64);
    assert_int_equal(xvd_blk_uring_submit_calls(bf), 2);
    for (unsigned k = 0; k < 32; k++) {
        assert_int_equal(*rig_status(&r, 0, k), VIRTIO_BLK_S_OK);
        fill_pattern(expect, 4096, (uint8_t)(32 - k));
        assert_memory_equal(rig_data(&r, 0, k, 4096), expect, 4096);
    }
    assert_int_equal(drv_used_elem(&r.q[0], 40).len, 4097);
    rig_fini(&r);
}

/* FLUSH is a data sync through the ring; in writeback mode plain writes
 * are not synced. */
/* io_uring_submit fails (a full completion ring): the SQEs stay queued and
 * the next turn of the loop submits them; the queue never hangs even when
 * no new guest kick comes. */
static void test_uring_submit_failure(void **state)
{
    struct fixture *f = *state;
    struct xvd_blk_file *bf;
    uint64_t calls;
    struct rig r;

    rig_init(&r, f, NULL, 1, 0);
    bf = xvd_block_file(r.dev);
    fill_pattern(rig_data(&r, 0, 0, 4096), 4096, 3);
    rig_req(&r, 0, 0, VIRTIO_BLK_T_OUT, 24, 4096);
    rig_req(&r, 0, 1, VIRTIO_BLK_T_IN, 24, 4096);
    calls = xvd_blk_uring_submit_calls(bf);
    xvd_blk_uring_fail_submits = 2;
    xv_device_process_queue(&r.dev->xv, 0);
    assert_int_equal(xvd_blk_uring_in_flight(bf), 2);
    assert_int_equal(drv_used_idx(&r.q[0]), 0);
    /* What the loop does on the eventfd the failed submit wrote. */
    xvd_blk_uring_poll(bf, false);
    assert_int_equal(drv_used_idx(&r.q[0]), 0);
    assert_int_equal(xvd_blk_uring_fail_submits, 0);
    rig_settle(&r);
    assert_int_equal(drv_used_idx(&r.q[0]), 2);
    assert_int_equal(xvd_blk_uring_submit_calls(bf) - calls, 3);
    assert_int_equal(*rig_status(&r, 0, 0), VIRTIO_BLK_S_OK);
    assert_int_equal(*rig_status(&r, 0, 1), VIRTIO_BLK_S_OK);
    rig_fini(&r);
}

static void test_uring_flush(void **state)
{
    struct fixture *f = *state;
    struct xvd_blk_file *bf;
    struct rig r;

    rig_init(&r, f, NULL, 1, F_FLUSH | F_WCE);
    bf = xvd_block_file(r.dev);
    assert_int_equal(r8(&r.dev->xv, XV_MMIO_CONFIG + VIRTIO_BLK_CFG_WRITEBACK), 1);
    fill_pattern(rig_data(&r, 0, 0, 4096), 4096, 9);
    rig_req(&r, 0, 0, VIRTIO_BLK_T_OUT, 16, 4096);
    rig_run(&r, 0);
    assert_int_equal(bf->syncs, 0);
    rig_req(&r, 0, 1, VIRTIO_BLK_T_FLUSH, 0, 0);
    rig_run(&r, 0);
    assert_int_equal(*rig_status(&r, 0, 1), VIRTIO_BLK_S_OK);
    assert_int_equal(bf->syncs, 1);
    assert_int_equal(drv_used_idx(&r.q[0]), 2);
    rig_fini(&r);
}

/* CONFIG_WCE: the driver switches to write-through, every write is then
 * synced; a reset restores the configured mode. */
static void test_uring_write_cache_modes(void **state)
{
    struct fixture *f = *state;
    struct xvd_blk_file *bf;
    struct rig r;

    rig_init(&r, f, NULL, 1, F_FLUSH | F_WCE);
    bf = xvd_block_file(r.dev);
    w8(&r.dev->xv, XV_MMIO_CONFIG + VIRTIO_BLK_CFG_WRITEBACK, 0);
    assert_int_equal(r8(&r.dev->xv, XV_MMIO_CONFIG + VIRTIO_BLK_CFG_WRITEBACK), 0);
    for (unsigned k = 0; k < 3; k++)
        rig_req(&r, 0, k, VIRTIO_BLK_T_OUT, k * 8, 4096);
    rig_run(&r, 0);
    assert_int_equal(bf->syncs, 3);
    rig_req(&r, 0, 3, VIRTIO_BLK_T_IN, 0, 4096);
    rig_run(&r, 0);
    assert_int_equal(bf->syncs, 3);     /* reads are never synced */
    w8(&r.dev->xv, XV_MMIO_CONFIG + VIRTIO_BLK_CFG_WRITEBACK, 1);
    rig_req(&r, 0, 4, VIRTIO_BLK_T_OUT, 0, 4096);
    rig_run(&r, 0);
    assert_int_equal(bf->syncs, 3);
    /* A reset brings back the configured mode. */
    w8(&r.dev->xv, XV_MMIO_CONFIG + VIRTIO_BLK_CFG_WRITEBACK, 0);
    xv_device_reset(&r.dev->xv);
    assert_int_equal(r8(&r.dev->xv, XV_MMIO_CONFIG + VIRTIO_BLK_CFG_WRITEBACK), 1);
    rig_up(&r, 1, F_FLUSH | F_WCE);
    rig_req(&r, 0, 0, VIRTIO_BLK_T_OUT, 0, 4096);
    rig_run(&r, 0);
    assert_int_equal(bf->syncs, 3);
    rig_fini(&r);

    /* cache = writethrough: the field starts at 0. */
    rig_init(&r, f, (const char *const[]){ "cache", "writethrough", NULL }, 1,
             F_FLUSH | F_WCE);
    bf = xvd_block_file(r.dev);
    assert_int_equal(r8(&r.dev->xv, XV_MMIO_CONFIG + VIRTIO_BLK_CFG_WRITEBACK), 0);
    rig_req(&r, 0, 0, VIRTIO_BLK_T_OUT, 0, 4096);
    rig_run(&r, 0);
    assert_int_equal(bf->syncs, 1);
    rig_fini(&r);

    /* Without FLUSH the driver cannot flush, so every write is synced, and
     * the field says so; without CONFIG_WCE it is read-only. */
    rig_init(&r, f, NULL, 1, 0);
    bf = xvd_block_file(r.dev);
    assert_int_equal(r8(&r.dev->xv, XV_MMIO_CONFIG + VIRTIO_BLK_CFG_WRITEBACK), 0);
    w8(&r.dev->xv, XV_MMIO_CONFIG + VIRTIO_BLK_CFG_WRITEBACK, 1);
    assert_int_equal(r8(&r.dev->xv, XV_MMIO_CONFIG + VIRTIO_BLK_CFG_WRITEBACK), 0);
    rig_req(&r, 0, 0, VIRTIO_BLK_T_OUT, 0, 4096);
    rig_run(&r, 0);
    assert_int_equal(bf->syncs, 1);
    rig_fini(&r);
}

/* Two queues, each with its own slots: written on one, read on the other. */
static void test_uring_mq(void **state)
{
    struct fixture *f = *state;
    struct rig r;
    uint8_t expect[4096];

    rig_init(&r, f, (const char *const[]){ "queues", "2", NULL }, 2,
             F_FLUSH | F_MQ);
    assert_true(xv_device_has_feature(&r.dev->xv, VIRTIO_BLK_F_MQ));
    assert_int_equal(r8(&r.dev->xv, XV_MMIO_CONFIG + VIRTIO_BLK_CFG_NUM_QUEUES), 2);
    for (unsigned q = 0; q < 2; q++) {
        for (unsigned k = 0; k < 16; k++) {
            fill_pattern(rig_data(&r, q, k, 4096), 4096, (uint8_t)(q * 16 + k));
            rig_req(&r, q, k, VIRTIO_BLK_T_OUT, (uint64_t)(q * 16 + k) * 8, 4096);
        }
    }
    xv_device_process_queue(&r.dev->xv, 0);
    xv_device_process_queue(&r.dev->xv, 1);
    assert_int_equal(xvd_block_type.in_flight(r.dev), 32);
    rig_settle(&r);
    for (unsigned q = 0; q < 2; q++) {
        assert_int_equal(drv_used_idx(&r.q[q]), 16);
        for (unsigned k = 0; k < 16; k++) {
            memset(rig_data(&r, q, k, 4096), 0, 4096);
            rig_req(&r, q, k, VIRTIO_BLK_T_IN, (uint64_t)((1 - q) * 16 + k) * 8,
                    4096);
        }
    }
    rig_run(&r, 1);
    rig_run(&r, 0);
    for (unsigned q = 0; q < 2; q++) {
        assert_int_equal(drv_used_idx(&r.q[q]), 32);
        for (unsigned k = 0; k < 16; k++) {
            assert_int_equal(*rig_status(&r, q, k), VIRTIO_BLK_S_OK);
            fill_pattern(expect, 4096, (uint8_t)((1 - q) * 16 + k));
            assert_memory_equal(rig_data(&r, q, k, 4096), expect, 4096);
        }
    }
    rig_fini(&r);
}

/* queue-depth 4: the fifth request waits for a free slot; completions ask
 * for the queue to be run again, and everything completes. */
static void test_uring_queue_depth(void **state)
{
    struct fixture *f = *state;
    struct rig r;

    rig_init(&r, f, (const char *const[]){ "queue-depth", "4", NULL }, 1, F_FLUSH);
    for (unsigned k = 0; k < 10; k++)
        rig_req(&r, 0, k, VIRTIO_BLK_T_OUT, k * 8, 4096);
    r.notify_seen = r.tp.queue_notify_calls;
    xv_device_process_queue(&r.dev->xv, 0);
    assert_int_equal(xvd_block_type.in_flight(r.dev), 4);
    while (xvd_block_type.in_flight(r.dev))
        xvd_blk_uring_poll(xvd_block_file(r.dev), true);
    assert_int_equal(drv_used_idx(&r.q[0]), 4);
    assert_true(r.tp.queue_notify_calls > r.notify_seen);   /* re-armed */
    rig_settle(&r);
    assert_int_equal(drv_used_idx(&r.q[0]), 10);
    for (unsigned k = 0; k < 10; k++)
        assert_int_equal(*rig_status(&r, 0, k), VIRTIO_BLK_S_OK);
    rig_fini(&r);
}

/* Reset (driver writes status 0) and destroy with I/O in flight: the
 * device waits for the kernel before any buffer is released. */
static void test_uring_reset_in_flight(void **state)
{
    struct fixture *f = *state;
    struct rig r;

    rig_init(&r, f, NULL, 1, F_FLUSH);
    for (unsigned k = 0; k < 32; k++)
        rig_req(&r, 0, k, k % 2 ? VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT, k * 8, 4096);
    rig_req(&r, 0, 32, VIRTIO_BLK_T_FLUSH, 0, 0);
    xv_device_process_queue(&r.dev->xv, 0);
    assert_int_equal(xvd_block_type.in_flight(r.dev), 33);
    assert_true(tp_outstanding(&r.tp) > 0);
    w32(&r.dev->xv, XV_MMIO_STATUS, 0);
    assert_int_equal(xvd_block_type.in_flight(r.dev), 0);
    assert_int_equal(xvd_blk_uring_in_flight(xvd_block_file(r.dev)), 0);
    assert_int_equal(drv_used_idx(&r.q[0]), 0);     /* nobody waits now */
    /* Only the (released) rings were mapped besides the requests. */
    assert_int_equal(tp_outstanding(&r.tp), 0);
    /* The device works again after the reset. */
    rig_up(&r, 1, F_FLUSH);
    fill_pattern(rig_data(&r, 0, 0, 4096), 4096, 77);
    rig_req(&r, 0, 0, VIRTIO_BLK_T_OUT, 0, 4096);
    rig_run(&r, 0);
    assert_int_equal(*rig_status(&r, 0, 0), VIRTIO_BLK_S_OK);
    rig_fini(&r);

    /* Destroy without a reset first: destroy itself waits. */
    rig_init(&r, f, NULL, 1, F_FLUSH);
    for (unsigned k = 0; k < 16; k++)
        rig_req(&r, 0, k, VIRTIO_BLK_T_OUT, k * 8, 4096);
    xv_device_process_queue(&r.dev->xv, 0);
    assert_int_equal(xvd_block_type.in_flight(r.dev), 16);
    xvd_block_type.destroy(r.dev);
    assert_int_equal(tp_outstanding(&r.tp) - 3, 0);    /* the rings only */
    tp_fini(&r.tp);
}

/* No io_uring (old kernel, seccomp): synchronous I/O, same answers. */
static void test_uring_fallback(void **state)
{
    struct fixture *f = *state;
    struct rig r;

    xvd_blk_uring_fail_init = ENOSYS;
    rig_init(&r, f, NULL, 1, F_FLUSH | F_WCE);
    xvd_blk_uring_fail_init = 0;
    assert_null(xvd_block_file(r.dev)->uring);
    fill_pattern(rig_data(&r, 0, 0, 4096), 4096, 5);
    rig_req(&r, 0, 0, VIRTIO_BLK_T_OUT, 8, 4096);
    rig_req(&r, 0, 1, VIRTIO_BLK_T_FLUSH, 0, 0);
    xv_device_process_queue(&r.dev->xv, 0);
    assert_int_equal(drv_used_idx(&r.q[0]), 2);      /* done at once */
    assert_int_equal(xvd_block_file(r.dev)->syncs, 1);
    w8(&r.dev->xv, XV_MMIO_CONFIG + VIRTIO_BLK_CFG_WRITEBACK, 0);
    rig_req(&r, 0, 2, VIRTIO_BLK_T_OUT, 16, 4096);
    rig_req(&r, 0, 3, VIRTIO_BLK_T_IN, 8, 4096);
    xv_device_process_queue(&r.dev->xv, 0);
    assert_int_equal(drv_used_idx(&r.q[0]), 4);
    assert_int_equal(xvd_block_file(r.dev)->syncs, 2);   /* write-through */
    assert_memory_equal(rig_data(&r, 0, 3, 4096), rig_data(&r, 0, 0, 4096), 4096);
    rig_fini(&r);
}

/* The file shrank under us: the kernel's short read is finished by hand
 * and reported as an I/O error. */
static void test_uring_short_read(void **state)
{
    struct fixture *f = *state;
    struct rig r;

    rig_init(&r, f, NULL, 1, F_FLUSH);
    assert_int_equal(ftruncate(f->fd, 4096 + 1024), 0);
    rig_req(&r, 0, 0, VIRTIO_BLK_T_IN, 8, 4096);
    rig_req(&r, 0, 1, VIRTIO_BLK_T_IN, 0, 4096);
    rig_run(&r, 0);
    assert_int_equal(*rig_status(&r, 0, 0), VIRTIO_BLK_S_IOERR);
    assert_int_equal(*rig_status(&r, 0, 1), VIRTIO_BLK_S_OK);
    rig_fini(&r);
}

/* direct = yes: aligned requests and unaligned ones (through the buffered
 * descriptor) both land in the file. */
static void test_uring_direct(void **state)
{
    struct fixture *f = *state;
    struct rig r;
    uint8_t expect[4096], got[4096];
    struct xvd_device_conf c;
    char err[256] = "";
    struct xvd_dev *probe;

    assert_int_equal(tp_init(&r.tp, RIG_RAM), 0);
    conf_init(&c, (const char *const[]){ "path", f->path, "direct", "yes", NULL });
    probe = xvd_block_type.create(&c, &r.tp.platform, NULL, err, sizeof(err));
    tp_fini(&r.tp);
    if (!probe) {
        /* Some filesystems (older tmpfs) refuse O_DIRECT. */
        assert_non_null(strstr(err, "O_DIRECT"));
        skip();
    }
    xvd_block_type.destroy(probe);
    rig_init(&r, f, (const char *const[]){ "direct", "yes", NULL }, 1, F_FLUSH);
    assert_true(xvd_block_file(r.dev)->direct_fd >= 0);
    fill_pattern(rig_data(&r, 0, 0, 4096), 4096, 11);
    rig_req(&r, 0, 0, VIRTIO_BLK_T_OUT, 8, 4096);
    fill_pattern(rig_data(&r, 0, 1, 4096 + 8) + 8, 4096, 12);
    rig_req_at(&r, 0, 1, VIRTIO_BLK_T_OUT, 16, 4096, 8);
    rig_run(&r, 0);
    assert_int_equal(*rig_status(&r, 0, 0), VIRTIO_BLK_S_OK);
    assert_int_equal(*rig_status(&r, 0, 1), VIRTIO_BLK_S_OK);
    for (unsigned i = 0; i < 2; i++) {
        fill_pattern(expect, 4096, (uint8_t)(11 + i));
        assert_int_equal(pread(f->fd, got, 4096, (off_t)(i + 1) * 4096), 4096);
        assert_memory_equal(got, expect, 4096);
    }
    rig_req_at(&r, 0, 2, VIRTIO_BLK_T_IN, 16, 4096, 8);
    rig_req(&r, 0, 3, VIRTIO_BLK_T_IN, 8, 4096);
    rig_run(&r, 0);
    assert_memory_equal(rig_data(&r, 0, 2, 4096 + 8) + 8, expect, 4096);
    fill_pattern(expect, 4096, 11);
    assert_memory_equal(rig_data(&r, 0, 3, 4096), expect, 4096);
    rig_fini(&r);
}

/* A medium that cannot zero a range itself (tmpfs: no ZERO_RANGE) gets
 * small WRITE_ZEROES limits: the fallback writes zeroes on the loop. */
static uint32_t write_zeroes_limit(const char *path, uint32_t *segs)
{
    struct test_platform tp;
    struct xvd_device_conf c;
    struct xvd_dev *dev;
    char err[256] = "";
    uint32_t sectors;

    assert_int_equal(tp_init(&tp, 0), 0);
    conf_init(&c, (const char *const[]){ "path", path, NULL });
    dev = xvd_block_type.create(&c, &tp.platform, NULL, err, sizeof(err));
    if (!dev)
        fail_msg("create: %s", err);
    sectors = r32(&dev->xv, XV_MMIO_CONFIG + VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS);
    *segs = r32(&dev->xv, XV_MMIO_CONFIG + VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG);
    xvd_block_type.destroy(dev);
    tp_fini(&tp);
    return sectors;
}

static void test_slow_zeroing_limits(void **state)
{
    struct fixture *f = *state;
    char shm[] = "/dev/shm/xv-blk-zero-XXXXXX";
    struct stat st;
    uint32_t segs;
    int fd;

    if (fstat(f->fd, &st) == 0 &&
        fallocate(f->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, st.st_size + 8192, 4096) == 0) {
        assert_int_equal(write_zeroes_limit(f->path, &segs), 1u << 22);
        assert_int_equal(segs, 32);
        assert_int_equal(fstat(f->fd, &st), 0);
    }
    fd = mkstemp(shm);
    if (fd < 0)
        skip();
    assert_int_equal(ftruncate(fd, 1 << 20), 0);
    assert_int_equal(write_zeroes_limit(shm, &segs), SLOW_ZEROES_SECTORS);
    assert_int_equal(segs, 1);
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_size, 1 << 20);      /* the probe changed nothing */
    close(fd);
    unlink(shm);
}

static void test_create_new_keys(void **state)
{
    struct fixture *f = *state;
    struct test_platform tp;

    assert_int_equal(tp_init(&tp, 0), 0);
    expect_create_error(&tp, (const char *const[]){ "path", f->path,
                        "queues", "9", NULL }, "queues");
    expect_create_error(&tp, (const char *const[]){ "path", f->path,
                        "queues", "0", NULL }, "queues");
    expect_create_error(&tp, (const char *const[]){ "path", f->path,
                        "queue-depth", "0", NULL }, "queue-depth");
    expect_create_error(&tp, (const char *const[]){ "path", f->path,
                        "cache", "none", NULL }, "cache");
    expect_create_error(&tp, (const char *const[]){ "path", f->path,
                        "direct", "sometimes", NULL }, "direct");
    tp_fini(&tp);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_describes_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_discard_and_write_zeroes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_create_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_end_to_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uring_many_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uring_submit_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uring_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uring_write_cache_modes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_uring_mq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uring_queue_depth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uring_reset_in_flight, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_uring_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uring_short_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uring_direct, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_zeroing_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_new_keys, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
