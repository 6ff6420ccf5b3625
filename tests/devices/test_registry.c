/* SPDX-License-Identifier: Apache-2.0 */
/* The registry finds every device type by config name and by virtio ID. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "blk_dev.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
