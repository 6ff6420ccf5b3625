/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Linux storage backend of virtio-blk over a temporary file, and the
 * daemon's "block" device type built from config options and driven
 * through the core once end to end.
 */
#include <errno.h>
#include <fcntl.h>
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

#include "blk_file.h"
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
    struct xvd_blk_file_opts o = { f->path, ro, discard, serial };
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
    struct xvd_blk_file_opts o = { "/nonexistent/xv-disk.img", false, true, NULL };

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

static void test_registry(void **state)
{
    (void)state;
    assert_ptr_equal(xvd_device_type_find("block"), &xvd_block_type);
    assert_ptr_equal(xvd_device_type_by_id(2), &xvd_block_type);
    assert_null(xvd_device_type_find("blk"));
    assert_null(xvd_device_type_find(NULL));
    assert_null(xvd_device_type_by_id(1));
    assert_int_equal(xvd_block_type.virtio_id, XV_ID_BLOCK);
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
    xv_device_process_queue(&dev->xv, 0);
    assert_int_equal(drv_used_idx(&q), 1);
    assert_int_equal(*st, VIRTIO_BLK_S_OK);
    assert_int_equal(pread(f->fd, check, 1024, 7 * 512), 1024);
    assert_memory_equal(check, data, 1024);

    h[0] = VIRTIO_BLK_T_IN;
    memset(data, 0, 1024);
    drv_desc(&q, 1, base + 512, 1024, XV_VRING_DESC_F_NEXT | XV_VRING_DESC_F_WRITE, 2);
    drv_avail_add(&q, 0);
    w32(&dev->xv, XV_MMIO_QUEUE_NOTIFY, 0);
    xv_device_process_queue(&dev->xv, 0);
    assert_int_equal(drv_used_idx(&q), 2);
    assert_int_equal(drv_used_elem(&q, 1).len, 1025);
    assert_memory_equal(check, data, 1024);

    h[0] = VIRTIO_BLK_T_GET_ID;
    drv_desc(&q, 1, base + 512, 20, XV_VRING_DESC_F_NEXT | XV_VRING_DESC_F_WRITE, 2);
    drv_avail_add(&q, 0);
    w32(&dev->xv, XV_MMIO_QUEUE_NOTIFY, 0);
    xv_device_process_queue(&dev->xv, 0);
    assert_int_equal(drv_used_idx(&q), 3);
    assert_string_equal((char *)data, "e2e");

    xv_device_reset(&dev->xv);
    assert_int_equal(xvd_block_type.in_flight(dev), 0);
    xvd_block_type.destroy(dev);
    assert_int_equal(tp_outstanding(&tp), 0);
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
        cmocka_unit_test(test_registry),
        cmocka_unit_test_setup_teardown(test_create_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_end_to_end, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
