/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xensim-guest: the simulated guest OS. It attaches to a domain made by
 * `xensim create` (or `xensim-hv create`), reads the device tree the
 * toolstack wrote, and drives the devices with vdrv, the Linux-like
 * virtio-mmio driver, printing what the guest sees. Commands, output and
 * exit codes are documented in README.md ("xensim-guest").
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_prog.h"

struct guest_command {
    const char *name;
    int (*run)(struct guest_ctx *ctx, int argc, char **argv);
    const char *synopsis;
};

static const struct guest_command commands[] = {
    { "probe", guest_cmd_probe, "probe" },
    { "wait-ready", guest_cmd_wait_ready, "wait-ready [--timeout MS]" },
    { "blk-rw", guest_cmd_blk_rw,
      "blk-rw [--dev N] [--bytes B] [--requests R] [--sector S] [--seed X]" },
    { "blk-read-file", guest_cmd_blk_read_file, "blk-read-file [--dev N] OFFSET LEN" },
    { "blk-check", guest_cmd_blk_check,
      "blk-check [--dev N] [--seed X] [--serial S] [--ro] [--no-discard]" },
    { "misbehave", guest_cmd_misbehave, "misbehave CASE [--dev N] | misbehave list" },
    { "i2c-eeprom", guest_cmd_i2c_eeprom, "i2c-eeprom [--dev N] [--addr A]" },
    { "i2c-sensor", guest_cmd_i2c_sensor, "i2c-sensor [--dev N] [--addr A]" },
    { "i2c-probe-addr", guest_cmd_i2c_probe_addr, "i2c-probe-addr ADDR [--dev N]" },
    { "i2c-failnext", guest_cmd_i2c_failnext, "i2c-failnext [--dev N] [--addr A]" },
    { "scmi-boot", guest_cmd_scmi_boot, "scmi-boot [--protocols 0x14,0x15,...]" },
    { "scmi-shell", guest_cmd_scmi_shell, "scmi-shell [--protocols ...] (commands on stdin)" },
    { "scmi-flood", guest_cmd_scmi_flood, "scmi-flood N" },
    { "hammer", guest_cmd_hammer, "hammer [--seconds S]" },
    { "race", guest_cmd_race, "race [--seconds S]" },
    { "die", guest_cmd_die, "die [--dev N]" },
    { "bench-mmio", guest_cmd_bench_mmio, "bench-mmio N" },
    { "bench-notify", guest_cmd_bench_notify, "bench-notify N" },
    { "blk-bench", guest_cmd_blk_bench, "blk-bench [--pattern P] [--bs B] [--qd N] "
      "[--requests N | --millis MS]" },
};
#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
    fprintf(out,
        "Usage: xensim-guest --domid N [--devices FILE] [--quiet] [--verbose]\n"
        "                    [--timeout MS] COMMAND [ARGS]\n"
        "Commands:\n");
    for (size_t i = 0; i < NR_COMMANDS; i++)
        fprintf(out, "  %s\n", commands[i].synopsis);
    fprintf(out,
        "--devices defaults to $XENSIM_DIR/dom<N>.devices (written by xensim create).\n"
        "--timeout bounds the wait for one request (default %d ms).\n"
        "Exit: 0 ok, 1 check failed, 2 usage, 3 environment (hypervisor, domain,\n"
        "device tree, no such device). Environment: XENSIM_DIR.\n",
        GUEST_DEFAULT_TIMEOUT_MS);
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        { "domid", required_argument, NULL, 'd' },
        { "devices", required_argument, NULL, 'f' },
        { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },
        { "timeout", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static struct guest_ctx ctx;
    const struct guest_command *cmd = NULL;
    const char *devices = NULL;
    char default_devices[512];
    uint64_t domid = UINT64_MAX, timeout = GUEST_DEFAULT_TIMEOUT_MS;
    int c, rc;

    /* '+': options end at the command, whose own options follow it. */
    while ((c = getopt_long(argc, argv, "+qvh", options, NULL)) != -1) {
        switch (c) {
        case 'd':
            if (!guest_parse_u64(optarg, &domid) || domid == 0 || domid > 0x7fef) {
                guest_error("bad --domid '%s' (a guest domain: 1..32751)", optarg);
                return GUEST_EXIT_USAGE;
            }
            break;
        case 'f':
            devices = optarg;
            break;
        case 'q':
            ctx.quiet = true;
            break;
        case 'v':
            ctx.verbose = true;
            break;
        case 't':
            if (!guest_parse_u64(optarg, &timeout) || timeout == 0 || timeout > 600000) {
                guest_error("bad --timeout '%s' (1..600000 ms)", optarg);
                return GUEST_EXIT_USAGE;
            }
            break;
        case 'h':
            usage(stdout);
            return GUEST_EXIT_OK;
        default:
            usage(stderr);
            return GUEST_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return GUEST_EXIT_USAGE;
    }
    for (size_t i = 0; i < NR_COMMANDS; i++) {
        if (strcmp(argv[optind], commands[i].name) == 0)
            cmd = &commands[i];
    }
    if (!cmd) {
        guest_error("unknown command '%s'", argv[optind]);
        usage(stderr);
        return GUEST_EXIT_USAGE;
    }
    if (cmd->run == guest_cmd_misbehave && argc - optind == 2 &&
        strcmp(argv[optind + 1], "list") == 0) {
        guest_misbehave_list();
        return GUEST_EXIT_OK;
    }
    if (domid == UINT64_MAX) {
        guest_error("--domid is required");
        return GUEST_EXIT_USAGE;
    }
    ctx.timeout_ms = (int)timeout;
    if (ctx.quiet)
        ctx.verbose = false;

    if (!devices) {
        const char *dir = getenv("XENSIM_DIR");

        if (!dir) {
            guest_error("XENSIM_DIR is not set");
            return GUEST_EXIT_ENV;
        }
        snprintf(default_devices, sizeof(default_devices), "%s/dom%u.devices", dir,
                 (unsigned)domid);
        devices = default_devices;
    }
    ctx.guest = xensim_guest_attach((uint32_t)domid);
    if (!ctx.guest) {
        guest_error("cannot attach to domain %u: %s", (unsigned)domid,
                    errno == ESRCH ? "no such live domain"
                    : errno == ENOENT ? "no hypervisor at $XENSIM_DIR" : strerror(errno));
        return GUEST_EXIT_ENV;
    }
    /* After attaching: a missing domain is the better diagnosis. */
    if (guest_devtree_load(&ctx, devices) < 0 ||
        vdrv_xensim_bus_init(&ctx.bus, ctx.guest) != 0) {
        xensim_guest_detach(ctx.guest);
        return GUEST_EXIT_ENV;
    }
    guest_debug(&ctx, NULL, "attached to dom%u: %u vCPUs, %llu MiB RAM, %u devices",
                (unsigned)domid, xensim_guest_vcpus(ctx.guest),
                (unsigned long long)(xensim_guest_ram_size(ctx.guest) >> 20), ctx.nr_nodes);

    rc = cmd->run(&ctx, argc - optind, argv + optind);

    vdrv_xensim_bus_destroy(&ctx.bus);
    xensim_guest_detach(ctx.guest);
    return rc;
}
