/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's SCMI platform: the resources declared in the config file
 * ([scmi-clock NAME], ...) as a struct xv_scmi_platform, and the backend
 * that acts on them. The built-in backend is simulated (it keeps state and
 * logs every physical change) except for sensors, which may read Linux
 * hwmon files. A board's real clock/reset/power drivers go behind the
 * same struct xv_scmi_platform_ops: see devices/scmi/README.md.
 */
#ifndef XVD_SCMI_PLATFORM_H
#define XVD_SCMI_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "scmi.h"

struct xvd_scmi_platform {
    struct xv_scmi_platform plat;
    struct xv_scmi_clock_desc clocks[XV_SCMI_MAX_RESOURCES];
    struct xv_scmi_reset_desc resets[XV_SCMI_MAX_RESOURCES];
    struct xv_scmi_power_desc power[XV_SCMI_MAX_RESOURCES];
    struct xv_scmi_perf_desc perf[XV_SCMI_MAX_RESOURCES];
    struct xv_scmi_voltage_desc voltage[XV_SCMI_MAX_RESOURCES];
    struct xv_scmi_sensor_desc sensors[XV_SCMI_MAX_RESOURCES];
    /* Sensor sources: a fixed value, or a hwmon file. A hwmon file is read
     * at most once per the sensor's update-interval (hwmon_min_ns when it
     * has none): the read runs on the event loop, and a slow sensor (an
     * I2C one) read for every command of a flooding guest would stall every
     * other device. */
    long long sensor_value[XV_SCMI_MAX_RESOURCES];
    char sensor_hwmon[XV_SCMI_MAX_RESOURCES][XVD_VALUE_MAX];
    struct xvd_hwmon_reading {
        int64_t value;
        int err;
        uint64_t at_ns;             /* CLOCK_MONOTONIC; 0: never read */
    } hwmon_last[XV_SCMI_MAX_RESOURCES];
    uint64_t hwmon_min_ns;
    char socket_path[XVD_VALUE_MAX];    /* [scmi] socket, or "" */
    const struct xv_scmi_server *server;    /* for the caller's name in logs */
};

/* Build from the config's [scmi...] sections. Returns 0, or -EINVAL with
 * a message naming file, line, section, key and value in err. */
int xvd_scmi_platform_load(struct xvd_scmi_platform *p,
                           const struct xvd_config *cfg, char *err, size_t errlen);
/* Platform index of a resource by name, or -1. */
int xvd_scmi_platform_find(const struct xvd_scmi_platform *p,
                           enum xv_scmi_kind kind, const char *name);
/* The config sections: [scmi-clock NAME] ... per kind, then [scmi]. */
#define XVD_SCMI_SECTION XV_SCMI_KIND_COUNT
#define XVD_SCMI_NR_SECTIONS (XV_SCMI_KIND_COUNT + 1)
extern const struct xvd_section_kind xvd_scmi_sections[XVD_SCMI_NR_SECTIONS];

#endif
