/* SPDX-License-Identifier: Apache-2.0 */
/* The registry finds every device type by config name and by virtio ID. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "blk_dev.h"
#include "config.h"
#include "device_type.h"
#include "i2c_dev.h"
#include "scmi_dev.h"

static void test_find(void **state)
{
    (void)state;
    assert_ptr_equal(xvd_device_type_find("block"), &xvd_block_type);
    assert_ptr_equal(xvd_device_type_find("i2c"), &xvd_i2c_type);
    assert_ptr_equal(xvd_device_type_find("scmi"), &xvd_scmi_type);
    assert_ptr_equal(xvd_device_type_by_id(XV_ID_BLOCK), &xvd_block_type);
    assert_ptr_equal(xvd_device_type_by_id(XV_ID_I2C), &xvd_i2c_type);
    assert_ptr_equal(xvd_device_type_by_id(XV_ID_SCMI), &xvd_scmi_type);
    assert_null(xvd_device_type_find("blk"));
    assert_null(xvd_device_type_find(NULL));
    assert_null(xvd_device_type_by_id(1));
    assert_int_equal(xvd_block_type.virtio_id, XV_ID_BLOCK);
}

static bool power_of_two(uint64_t n)
{
    return n && !(n & (n - 1));
}

static void check_key_table(const char *owner, const struct xvd_key *keys, unsigned nr)
{
    assert_non_null(keys);
    for (unsigned i = 0; i < nr; i++) {
        const struct xvd_key *k = &keys[i];

        assert_non_null(k->name);
        if (!k->doc || !k->doc[0])
            fail_msg("%s key %s: no doc", owner, k->name);
        for (unsigned j = 0; j < i; j++)
            if (strcmp(keys[j].name, k->name) == 0)
                fail_msg("%s key %s: listed twice", owner, k->name);
        if (k->kind == XVD_KEY_U64 || k->kind == XVD_KEY_POW2)
            if (k->def < k->min || k->def > k->max)
                fail_msg("%s key %s: default outside its bounds", owner, k->name);
        if (k->kind == XVD_KEY_POW2 && !power_of_two(k->def))
            fail_msg("%s key %s: default not a power of two", owner, k->name);
        if (k->kind == XVD_KEY_CHOICE && !xvd_key_choice(k, (unsigned)k->def)[0])
            fail_msg("%s key %s: default not one of its choices", owner, k->name);
    }
}

/* Every type's key tables, its own and its sections', are ones the checker
 * and the man page test can trust: unique names, a line of doc, defaults
 * inside their bounds. */
static void test_key_tables(void **state)
{
    (void)state;
    for (unsigned t = 0; t < xvd_device_types.nr; t++) {
        const struct xvd_device_type *type = xvd_device_types.types[t];

        check_key_table(type->name, type->keys, type->nr_keys);
        for (unsigned s = 0; s < type->nr_sections; s++)
            check_key_table(type->sections[s].kind, type->sections[s].keys,
                            type->sections[s].nr_keys);
    }
}

/* A section kind belongs to one type. */
static void test_sections_unique(void **state)
{
    (void)state;
    for (unsigned t = 0; t < xvd_device_types.nr; t++)
        for (unsigned i = 0; i < xvd_device_types.types[t]->nr_sections; i++)
            for (unsigned u = 0; u <= t; u++)
                for (unsigned j = 0; j < (u == t ? i : xvd_device_types.types[u]->nr_sections); j++)
                    if (strcmp(xvd_device_types.types[t]->sections[i].kind,
                               xvd_device_types.types[u]->sections[j].kind) == 0)
                        fail_msg("section [%s] twice",
                                 xvd_device_types.types[t]->sections[i].kind);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_key_tables),
        cmocka_unit_test(test_sections_unique),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
