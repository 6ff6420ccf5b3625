/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of xensim-hv and the drop-in libraries, end to end:
 *
 *   hv_test CASE XENSIM_HV IOREQ_ECHO LIB_DIR
 *
 * Each case starts its own xensim-hv in a fresh temporary directory, plays
 * the guest through the guest API and the backend through the real Xen
 * library API (resolved to the drop-ins by LD_LIBRARY_PATH) or the
 * ioreq_echo process, and cleans everything up, also on failure.
 */
#define __XEN_TOOLS__ 1
#include <errno.h>
#include <link.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xendevicemodel.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>
#include <xen/grant_table.h>

#include "xensim_guest.h"

#define MMIO_BASE 0x2000000ull
#define MMIO_SIZE 0x200ull

static const char *hv_path;
static const char *echo_path;
static const char *lib_dir;
static char tmpdir[256];
static pid_t hv_pid = -1;
static pid_t echo_pid = -1;
static FILE *echo_out;
static int failures;

static void cleanup(void)
{
    pid_t pids[2] = { echo_pid, hv_pid };
    for (int i = 0; i < 2; i++) {
        if (pids[i] > 0) {
            kill(pids[i], SIGKILL);
            waitpid(pids[i], NULL, 0);
        }
    }
    echo_pid = hv_pid = -1;
    if (tmpdir[0]) {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) {
            fprintf(stderr, "could not remove %s\n", tmpdir);
        }
        tmpdir[0] = '\0';
    }
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("FATAL: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    cleanup();
    exit(1);
}

#define CHECK(cond) check((cond), #cond, __FILE__, __LINE__)
static bool check(bool ok, const char *what, const char *file, int line)
{
    if (!ok) {
        fprintf(stderr, "FAIL %s:%d: %s (errno %d %s)\n", file, line, what, errno,
                strerror(errno));
        failures++;
    }
    return ok;
}

static void on_alarm(int sig)
{
    static const char msg[] = "FATAL: test timed out\n";
    if (write(2, msg, sizeof(msg) - 1) < 0) {
        /* nothing more to do */
    }
    cleanup();
    _exit(1);
}

static void start_hv(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/xensim-hv-test-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        die("mkdtemp: %s", strerror(errno));
    }
    setenv("XENSIM_DIR", tmpdir, 1);
    setenv("XENSIM_DOMID", "0", 1);
    hv_pid = fork();
    if (hv_pid == 0) {
        execl(hv_path, "xensim-hv", "--dir", tmpdir, (char *)NULL);
        _exit(127);
    }
    char sock[300];
    snprintf(sock, sizeof(sock), "%s/hv.sock", tmpdir);
    for (int i = 0; i < 500; i++) {
        if (access(sock, F_OK) == 0) {
            return;
        }
        usleep(10000);
    }
    die("xensim-hv did not start");
}

/* Run a xensim-hv client command; returns its first output line. */
static char *ctl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *ctl(const char *fmt, ...)
{
    char args[256], cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof(cmd), "'%s' --dir '%s' %s", hv_path, tmpdir, args);
    FILE *p = popen(cmd, "r");
    static char out[8192];
    size_t n = p ? fread(out, 1, sizeof(out) - 1, p) : 0;
    out[n] = '\0';
    int status = p ? pclose(p) : -1;
    if (status != 0) {
        die("'%s' failed", cmd);
    }
    return out;
}

static unsigned create_domain(const char *name, unsigned vcpus)
{
    return (unsigned)strtoul(ctl("create %s --vcpus %u --ram-mib 16", name, vcpus), NULL, 0);
}

/* The status line of a domain, or NULL if it is gone. */
static const char *status_of(unsigned domid)
{
    static char line[256];
    char *text = ctl("status");
    for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
        unsigned id;
        if (sscanf(l, "%u", &id) == 1 && id == domid) {
            snprintf(line, sizeof(line), "%s", l);
            return line;
        }
    }
    return NULL;
}

/* Mapping counters of a domain from the status table; false if gone. */
static bool counts_of(unsigned domid, unsigned long long *foreign, unsigned long long *grants,
                      unsigned long long *resources)
{
    const char *st = status_of(domid);
    return st && sscanf(st, "%*u %*s %*s %*u %*u %*u %llu %llu %llu", foreign, grants,
                        resources) == 3;
}

static void start_echo(unsigned domid, const char *extra)
{
    int pipefd[2];
    if (pipe(pipefd) < 0) {
        die("pipe");
    }
    echo_pid = fork();
    if (echo_pid == 0) {
        char dom[16], base[32], size[32];
        snprintf(dom, sizeof(dom), "%u", domid);
        snprintf(base, sizeof(base), "%#llx", MMIO_BASE);
        snprintf(size, sizeof(size), "%#llx", MMIO_SIZE);
        dup2(pipefd[1], 1);
        close(pipefd[0]);
        char *argv[8] = { "ioreq_echo", dom, base, size, NULL, NULL, NULL };
        char extra_copy[64];
        if (extra) {
            snprintf(extra_copy, sizeof(extra_copy), "%s", extra);
            argv[4] = strtok(extra_copy, " ");
            argv[5] = strtok(NULL, " ");
        }
        execv(echo_path, argv);
        _exit(127);
    }
    close(pipefd[1]);
    echo_out = fdopen(pipefd[0], "r");
}

/* Next line from ioreq_echo (the alarm bounds the wait). */
static char *echo_line(void)
{
    static char line[512];
    if (!fgets(line, sizeof(line), echo_out)) {
        die("ioreq_echo ended early");
    }
    line[strcspn(line, "\n")] = '\0';
    return line;
}

static void wait_echo_ready(void)
{
    for (;;) {
        char *l = echo_line();
        if (strcmp(l, "ready") == 0) {
            return;
        }
        if (strncmp(l, "lib ", 4) == 0) {
            /* Every Xen library the backend loaded must be ours. */
            if (!CHECK(strncmp(l + 4, lib_dir, strlen(lib_dir)) == 0)) {
                fprintf(stderr, "  loaded: %s\n", l + 4);
            }
        }
    }
}

static int stop_echo(void)
{
    kill(echo_pid, SIGTERM);
    int status;
    waitpid(echo_pid, &status, 0);
    echo_pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static struct xensim_guest *attach(unsigned domid)
{
    struct xensim_guest *g = xensim_guest_attach(domid);
    if (!g) {
        die("attach d%u: %s", domid, strerror(errno));
    }
    return g;
}

static int check_own_libs(struct dl_phdr_info *info, size_t size, void *count)
{
    if (strstr(info->dlpi_name, "libxen")) {
        (*(int *)count)++;
        if (!CHECK(strncmp(info->dlpi_name, lib_dir, strlen(lib_dir)) == 0)) {
            fprintf(stderr, "  loaded: %s\n", info->dlpi_name);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- */

static void test_echo(void)
{
    int nlibs = 0;
    dl_iterate_phdr(check_own_libs, &nlibs);
    CHECK(nlibs >= 3);

    unsigned d = create_domain("echo", 1);
    CHECK(d == 1);
    start_echo(d, NULL);
    wait_echo_ready();
    struct xensim_guest *g = attach(d);
    uint64_t val = 0;
    CHECK(xensim_mmio_write(g, 0, MMIO_BASE + 0x10, 4, 0x12345678) == 0);
    CHECK(xensim_mmio_read(g, 0, MMIO_BASE + 0x10, 4, &val) == 0 && val == 0x12345678);
    CHECK(xensim_mmio_read(g, 0, MMIO_BASE + 0x12, 2, &val) == 0 && val == 0x1234);
    CHECK(xensim_mmio_write(g, 0, MMIO_BASE + 0x20, 8, 0x1122334455667788ull) == 0);
    CHECK(xensim_mmio_read(g, 0, MMIO_BASE + 0x20, 8, &val) == 0 &&
          val == 0x1122334455667788ull);
    /* 4.17: a byte store forwards the whole register... */
    CHECK(xensim_mmio_write(g, 0, MMIO_BASE + 0x30, 1, 0xaabbccddeeff0042ull) == 0);
    CHECK(xensim_mmio_read(g, 0, MMIO_BASE + MMIO_SIZE - 8, 8, &val) == 0 &&
          val == 0xaabbccddeeff0042ull);
    CHECK(xensim_mmio_read(g, 0, MMIO_BASE + 0x30, 1, &val) == 0 && val == 0x42);
    /* ...and a read result comes back unmasked. */
    CHECK(xensim_mmio_read(g, 0, MMIO_BASE + MMIO_SIZE - 16, 4, &val) == 0 &&
          val == 0xdeadbeef00001234ull);
    xensim_guest_detach(g);
    CHECK(stop_echo() == 0);
    /* The backend cleaned up: no server, no mapping left. */
    const char *st = status_of(d);
    CHECK(st && strstr(st, "running") != NULL);
    unsigned servers = 99;
    if (st) {
        sscanf(st, "%*u %*s %*s %*u %*u %u", &servers);
    }
    unsigned long long fp = 9, gm = 9, rm = 9;
    CHECK(servers == 0 && counts_of(d, &fp, &gm, &rm) && fp == 0 && gm == 0 && rm == 0);
}

static void test_invalidate(void)
{
    unsigned d = create_domain("inval", 1);
    start_echo(d, NULL);
    wait_echo_ready();
    struct xensim_guest *g = attach(d);
    uint64_t val;
    CHECK(xensim_mmio_read(g, 0, MMIO_BASE + 4, 4, &val) == 0);
    char first[512];
    snprintf(first, sizeof(first), "%s", echo_line());
    char *second = echo_line();
    CHECK(strcmp(first, "req vcpu=0 type=8 addr=0xffffffffffffffff size=4 dir=0 "
                        "data=0xffffffffffffffff") == 0);
    CHECK(strstr(second, "type=1 addr=0x2000004 size=4 dir=1") != NULL);
    /* Only once per enable. */
    CHECK(xensim_mmio_read(g, 0, MMIO_BASE + 8, 4, &val) == 0);
    CHECK(strstr(echo_line(), "type=1 addr=0x2000008") != NULL);
    xensim_guest_detach(g);
    CHECK(stop_echo() == 0);
}

struct hammer {
    struct xensim_guest *g;
    unsigned vcpu;
    unsigned errors;
};

static void *hammer_vcpu(void *arg)
{
    struct hammer *h = arg;
    uint64_t reg = MMIO_BASE + 0x40 + h->vcpu * 8;
    for (uint32_t i = 0; i < 2000; i++) {
        uint64_t want = ((uint64_t)h->vcpu << 56) | i, got = 0;
        if (xensim_mmio_write(h->g, h->vcpu, reg, 8, want) != 0 ||
            xensim_mmio_read(h->g, h->vcpu, reg, 8, &got) != 0 || got != want) {
            h->errors++;
        }
    }
    return NULL;
}

struct log_check {
    unsigned inval;
    unsigned bad;
};

/* Every request shows up on the vCPU that made it, in program order. */
static void *check_vcpu_log(void *arg)
{
    struct log_check *lc = arg;
    uint32_t next[4] = { 0 };
    unsigned seen = 0;
    while (seen < 4 * 4000) {
        char *l = echo_line();
        unsigned v, type, dir;
        unsigned long long addr, data;
        if (sscanf(l, "req vcpu=%u type=%u addr=%llx size=%*u dir=%u data=%llx", &v, &type,
                   &addr, &dir, &data) != 5) {
            continue;
        }
        if (type == 8) {
            lc->inval++;
            continue;
        }
        seen++;
        if (v >= 4 || addr != MMIO_BASE + 0x40 + v * 8) {
            lc->bad++;
            continue;
        }
        if (dir == 0) {
            lc->bad += data != (((uint64_t)v << 56) | next[v]);
            next[v]++;
        }
    }
    return NULL;
}

static void test_vcpus(void)
{
    unsigned d = create_domain("smp", 4);
    start_echo(d, NULL);
    wait_echo_ready();
    struct xensim_guest *g = attach(d);
    CHECK(xensim_guest_vcpus(g) == 4);
    /* ioreq_echo logs every request: drain it meanwhile, or its pipe fills. */
    pthread_t reader;
    struct log_check lc = { 0 };
    pthread_create(&reader, NULL, check_vcpu_log, &lc);
    pthread_t threads[4];
    struct hammer h[4];
    for (unsigned v = 0; v < 4; v++) {
        h[v] = (struct hammer){ g, v, 0 };
        pthread_create(&threads[v], NULL, hammer_vcpu, &h[v]);
    }
    for (unsigned v = 0; v < 4; v++) {
        pthread_join(threads[v], NULL);
        CHECK(h[v].errors == 0);
    }
    pthread_join(reader, NULL);
    CHECK(lc.bad == 0);
    CHECK(lc.inval == 1);
    xensim_guest_detach(g);
    CHECK(stop_echo() == 0);
}

static void test_fault(void)
{
    unsigned d = create_domain("fault", 1);
    struct xensim_guest *g = attach(d);
    uint64_t val;
    /* No server at all: a data abort at once, no hang. */
    CHECK(xensim_mmio_read(g, 0, MMIO_BASE, 4, &val) == -EFAULT);
    start_echo(d, NULL);
    wait_echo_ready();
    CHECK(xensim_mmio_read(g, 0, MMIO_BASE, 4, &val) == 0);
    CHECK(xensim_mmio_read(g, 0, MMIO_BASE + MMIO_SIZE, 4, &val) == -EFAULT);
    /* Straddling the end of the range is not "within" it. */
    CHECK(xensim_mmio_read(g, 0, MMIO_BASE + MMIO_SIZE - 2, 4, &val) == -EFAULT);
    CHECK(xensim_mmio_write(g, 0, 0x1000, 4, 1) == -EFAULT);
    CHECK(xensim_mmio_read(g, 0, MMIO_BASE, 3, &val) == -EINVAL);
    CHECK(xensim_mmio_read(g, 1, MMIO_BASE, 4, &val) == -EINVAL);
    xensim_guest_detach(g);
    CHECK(stop_echo() == 0);
}

static void test_grants(void)
{
    unsigned d = create_domain("grants", 1);
    struct xensim_guest *g = attach(d);
    uint64_t gpa = xensim_alloc_pages(g, 2);
    CHECK(gpa >= XENSIM_GUEST_RAM_BASE);
    uint8_t *p = xensim_gpa_to_ptr(g, gpa, 2 * XENSIM_PAGE_SIZE);
    memcpy(p, "read-only page", 15);
    uint64_t gfn = gpa >> XENSIM_PAGE_SHIFT;
    int ro = xensim_grant_access(g, 0, gfn, true);
    int rw = xensim_grant_access(g, 0, gfn + 1, false);
    int other = xensim_grant_access(g, 5, gfn, false);
    CHECK(ro >= 8 && rw >= 8 && other >= 8);

    xengnttab_handle *xgt = xengnttab_open(NULL, 0);
    CHECK(xgt != NULL);
    if (!xgt) {
        return;
    }
    errno = 0;
    CHECK(xengnttab_map_grant_ref(xgt, d, (uint32_t)ro, PROT_READ | PROT_WRITE) == NULL &&
          errno == EINVAL);
    uint8_t *m = xengnttab_map_grant_ref(xgt, d, (uint32_t)ro, PROT_READ);
    CHECK(m && memcmp(m, "read-only page", 15) == 0);
    CHECK(xensim_grant_flags(g, (uint32_t)ro) & GTF_reading);
    CHECK(!(xensim_grant_flags(g, (uint32_t)ro) & GTF_writing));
    CHECK(xensim_end_access(g, (uint32_t)ro) == -EBUSY);
    errno = 0;
    CHECK(xengnttab_unmap(xgt, m, 2) == -1 && errno == EINVAL);
    CHECK(xengnttab_unmap(xgt, m, 1) == 0);
    CHECK(!(xensim_grant_flags(g, (uint32_t)ro) & GTF_reading));
    CHECK(xensim_end_access(g, (uint32_t)ro) == 0);
    /* Revoked, never granted, granted to someone else: all refused. */
    CHECK(xengnttab_map_grant_ref(xgt, d, (uint32_t)ro, PROT_READ) == NULL);
    CHECK(xengnttab_map_grant_ref(xgt, d, 1000, PROT_READ) == NULL);
    CHECK(xengnttab_map_grant_ref(xgt, d, (uint32_t)other, PROT_READ) == NULL);
    CHECK(xengnttab_map_grant_ref(xgt, d, 1u << 30, PROT_READ) == NULL);

    /* A writable grant: both sides see the same page. */
    uint32_t refs[2] = { (uint32_t)rw, (uint32_t)rw };
    uint8_t *w = xengnttab_map_domain_grant_refs(xgt, 2, d, refs, PROT_READ | PROT_WRITE);
    CHECK(w != NULL);
    if (w) {
        memcpy(w + XENSIM_PAGE_SIZE + 8, "from backend", 13);
        CHECK(memcmp(p + XENSIM_PAGE_SIZE + 8, "from backend", 13) == 0);
        CHECK((xensim_grant_flags(g, (uint32_t)rw) & (GTF_reading | GTF_writing)) ==
              (GTF_reading | GTF_writing));
        unsigned long long fp = 9, gm = 0, rm = 9;
        CHECK(counts_of(d, &fp, &gm, &rm) && fp == 0 && gm == 2 && rm == 0);
        CHECK(xengnttab_unmap(xgt, w, 2) == 0);
    }
    CHECK(xensim_end_access(g, (uint32_t)rw) == 0);

    /* grant_copy goes through the same checks. */
    int cref = xensim_grant_access(g, 0, gfn, true);
    char buf[16] = { 0 };
    xengnttab_grant_copy_segment_t seg = {
        .source.foreign = { .ref = (uint32_t)cref, .offset = 0, .domid = (uint16_t)d },
        .dest.virt = buf, .len = 15, .flags = GNTCOPY_source_gref,
    };
    CHECK(xengnttab_grant_copy(xgt, 1, &seg) == 0 && seg.status == GNTST_okay &&
          strcmp(buf, "read-only page") == 0);
    CHECK(xensim_end_access(g, (uint32_t)cref) == 0);
    CHECK(xensim_end_access(g, (uint32_t)other) == 0);
    CHECK(xensim_end_access(g, (uint32_t)other) == -EINVAL);
    xengnttab_close(xgt);
    xensim_guest_detach(g);
}

static void test_foreign(void)
{
    unsigned d = create_domain("guest", 1);
    unsigned drv = create_domain("driver", 1);
    struct xensim_guest *g = attach(d);
    uint8_t *ram0 = xensim_gpa_to_ptr(g, XENSIM_GUEST_RAM_BASE, 16);
    memcpy(ram0, "kernel image", 13);

    xenforeignmemory_handle *xfm = xenforeignmemory_open(NULL, 0);
    xen_pfn_t pfns[2] = { XENSIM_GUEST_RAM_BASE >> 12, 0x10 };
    int err[2] = { 1, 1 };
    uint8_t *m = xenforeignmemory_map(xfm, d, PROT_READ | PROT_WRITE, 1, pfns, NULL);
    CHECK(m && memcmp(m, "kernel image", 13) == 0);
    if (m) {
        m[100] = 0x5a;
        CHECK(ram0[100] == 0x5a);
        CHECK(xenforeignmemory_unmap(xfm, m, 1) == 0);
    }
    errno = 0;
    CHECK(xenforeignmemory_map(xfm, d, PROT_READ, 2, pfns, NULL) == NULL && errno == EINVAL);
    m = xenforeignmemory_map(xfm, d, PROT_READ, 2, pfns, err);
    CHECK(m && err[0] == 0 && err[1] == -EINVAL);
    if (m) {
        CHECK(xenforeignmemory_unmap(xfm, m, 2) == 0);
    }
    xenforeignmemory_close(xfm);

    /* A domain that is neither dom0 nor the guest's device model. */
    char id[16];
    snprintf(id, sizeof(id), "%u", drv);
    setenv("XENSIM_DOMID", id, 1);
    xfm = xenforeignmemory_open(NULL, 0);
    xendevicemodel_handle *xdm = xendevicemodel_open(NULL, 0);
    CHECK(xfm && xdm);
    errno = 0;
    CHECK(xenforeignmemory_map(xfm, d, PROT_READ, 1, pfns, NULL) == NULL && errno == EPERM);
    ioservid_t sid;
    errno = 0;
    CHECK(xendevicemodel_create_ioreq_server(xdm, d, 0, &sid) == -1 && errno == EPERM);
    errno = 0;
    CHECK(xendevicemodel_set_irq_level(xdm, d, 33, 1) == -1 && errno == EPERM);
    xendevicemodel_close(xdm);
    xenforeignmemory_close(xfm);
    setenv("XENSIM_DOMID", "0", 1);
    xensim_guest_detach(g);
}

static void test_irq(void)
{
    unsigned d = create_domain("irq", 1);
    xendevicemodel_handle *xdm = xendevicemodel_open(NULL, 0);
    /* An edge raised before the guest attaches waits for it. */
    CHECK(xendevicemodel_set_irq_level(xdm, d, 40, 1) == 0);
    struct xensim_guest *g = attach(d);
    unsigned irq = 0;
    CHECK(xensim_wait_irq(g, 2000, &irq) == 0 && irq == 40);
    CHECK(xendevicemodel_set_irq_level(xdm, d, 33, 1) == 0);
    CHECK(xensim_wait_irq(g, 2000, &irq) == 0 && irq == 33);
    CHECK(xendevicemodel_set_irq_level(xdm, d, 33, 0) == 0);
    CHECK(xensim_wait_irq(g, 100, &irq) == -ETIMEDOUT);
    errno = 0;
    CHECK(xendevicemodel_set_irq_level(xdm, d, 31, 1) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(xendevicemodel_set_irq_level(xdm, d, 32 + 64, 1) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(xendevicemodel_set_irq_level(xdm, d, 33, 2) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(xendevicemodel_set_irq_level(xdm, 77, 33, 1) == -1 && errno == ESRCH);
    unsigned n = 0;
    CHECK(xendevicemodel_nr_vcpus(xdm, d, &n) == 0 && n == 1);
    xendevicemodel_close(xdm);
    /* Destroy: the interrupt line goes away. */
    ctl("destroy %u", d);
    CHECK(xensim_wait_irq(g, 2000, &irq) == -ESRCH);
    xensim_guest_detach(g);
}

struct blocked {
    struct xensim_guest *g;
    int result;
    uint64_t val;
};

static void *blocked_read(void *arg)
{
    struct blocked *b = arg;
    b->result = xensim_mmio_read(b->g, 0, MMIO_BASE + 0x50, 4, &b->val);
    return NULL;
}

static void test_destroy(void)
{
    unsigned d = create_domain("doomed", 1);
    start_echo(d, "--stall 0x50");
    wait_echo_ready();
    struct xensim_guest *g = attach(d);
    struct blocked b = { g, 1, 0 };
    pthread_t t;
    pthread_create(&t, NULL, blocked_read, &b);
    /* INVALIDATE, then the stalled read. */
    CHECK(strstr(echo_line(), "type=8") != NULL);
    CHECK(strstr(echo_line(), "addr=0x2000050") != NULL);
    usleep(50000);
    CHECK(b.result == 1);   /* still blocked, like a vCPU in wait_for_io */
    ctl("destroy %u", d);
    pthread_join(t, NULL);
    CHECK(b.result == -ESRCH);
    /* The backend still maps the ioreq page: a zombie. */
    const char *st = status_of(d);
    CHECK(st && strstr(st, "zombie") != NULL);
    CHECK(stop_echo() == 0);
    char *l = echo_line();
    /* Unbinding and unmapping work; the server died with the domain. */
    CHECK(strcmp(l, "cleanup unbind=0 disable=3 unmap=0 destroy=3") == 0);
    CHECK(status_of(d) == NULL);
    uint64_t val;
    CHECK(xensim_mmio_read(g, 0, MMIO_BASE, 4, &val) == -ESRCH);
    xensim_guest_detach(g);
}

static void test_zombie(void)
{
    unsigned d = create_domain("zombie", 1);
    struct xensim_guest *g = attach(d);
    uint64_t gpa = xensim_alloc_pages(g, 1);
    int ref = xensim_grant_access(g, 0, gpa >> 12, false);
    xenforeignmemory_handle *xfm = xenforeignmemory_open(NULL, 0);
    xengnttab_handle *xgt = xengnttab_open(NULL, 0);
    xen_pfn_t pfns[3] = { 0x40000, 0x40001, 0x40002 };
    void *fm = xenforeignmemory_map(xfm, d, PROT_READ, 3, pfns, NULL);
    void *gm = xengnttab_map_grant_ref(xgt, d, (uint32_t)ref, PROT_READ | PROT_WRITE);
    CHECK(fm && gm);
    xensim_guest_detach(g);
    ctl("destroy %u", d);
    const char *st = status_of(d);
    unsigned long long fp = 0, gmaps = 0, rm = 9;
    CHECK(st && strstr(st, "zombie"));
    CHECK(counts_of(d, &fp, &gmaps, &rm) && fp == 3 && gmaps == 1 && rm == 0);
    /* Partial unmaps count down page by page. */
    CHECK(xenforeignmemory_unmap(xfm, fm, 1) == 0);
    CHECK(xenforeignmemory_unmap(xfm, (uint8_t *)fm + 4096, 2) == 0);
    CHECK(counts_of(d, &fp, &gmaps, &rm) && fp == 0 && gmaps == 1);
    CHECK(xengnttab_unmap(xgt, gm, 1) == 0);
    CHECK(status_of(d) == NULL);
    xengnttab_close(xgt);
    xenforeignmemory_close(xfm);

    /* A leak: the process holding the mapping dies, the mapping goes. */
    d = create_domain("leak", 1);
    pid_t child = fork();
    if (child == 0) {
        xenforeignmemory_handle *h = xenforeignmemory_open(NULL, 0);
        void *leak = h ? xenforeignmemory_map(h, d, PROT_READ, 1, pfns, NULL) : NULL;
        printf("%s\n", leak ? "mapped" : "failed");
        fflush(stdout);
        pause();
        _exit(0);
    }
    for (int i = 0; i < 200; i++) {
        if (counts_of(d, &fp, &gmaps, &rm) && fp == 1) {
            break;
        }
        usleep(10000);
    }
    ctl("destroy %u", d);
    st = status_of(d);
    CHECK(st && strstr(st, "zombie"));
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    for (int i = 0; i < 200 && status_of(d); i++) {
        usleep(10000);
    }
    CHECK(status_of(d) == NULL);
}

static void test_backwards(void)
{
    unsigned d = create_domain("weird", 1);
    start_echo(d, "--backwards 0x60");
    wait_echo_ready();
    struct xensim_guest *g = attach(d);
    uint64_t val;
    CHECK(xensim_mmio_read(g, 0, MMIO_BASE, 4, &val) == 0);
    /* INPROCESS -> READY is backwards: Xen crashes the guest. */
    CHECK(xensim_mmio_read(g, 0, MMIO_BASE + 0x60, 4, &val) == -ESHUTDOWN);
    const char *st = status_of(d);
    CHECK(st && strstr(st, "crashed") != NULL);
    CHECK(xensim_mmio_read(g, 0, MMIO_BASE, 4, &val) == -ESHUTDOWN);
    xensim_guest_detach(g);
    CHECK(stop_echo() == 0);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: hv_test CASE XENSIM_HV IOREQ_ECHO LIB_DIR\n");
        return 2;
    }
    hv_path = argv[2];
    echo_path = argv[3];
    lib_dir = argv[4];
    signal(SIGALRM, on_alarm);
    signal(SIGPIPE, SIG_IGN);
    alarm(60);
    start_hv();

    static const struct {
        const char *name;
        void (*run)(void);
    } cases[] = {
        { "echo", test_echo }, { "invalidate", test_invalidate }, { "vcpus", test_vcpus },
        { "fault", test_fault }, { "grants", test_grants }, { "foreign", test_foreign },
        { "irq", test_irq }, { "destroy", test_destroy }, { "zombie", test_zombie },
        { "backwards", test_backwards },
    };
    bool found = false;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (strcmp(argv[1], cases[i].name) == 0) {
            found = true;
            cases[i].run();
        }
    }
    cleanup();
    if (!found) {
        fprintf(stderr, "unknown case %s\n", argv[1]);
        return 2;
    }
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
