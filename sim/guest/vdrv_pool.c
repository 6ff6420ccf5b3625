/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A first-fit page allocator over one flat region of guest RAM. Guests
 * allocate rings and bounce buffers from it; a byte per page keeps it
 * trivially correct, and tests read pages_in_use to find leaks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vdrv.h"

static size_t pages_for(size_t size)
{
    return (size + VDRV_PAGE_SIZE - 1) / VDRV_PAGE_SIZE;
}

int vdrv_pool_init(struct vdrv_pool *pool, void *host, uint64_t gpa,
                   size_t size)
{
    memset(pool, 0, sizeof(*pool));
    if (!host || (gpa & (VDRV_PAGE_SIZE - 1)) ||
        ((uintptr_t)host & (VDRV_PAGE_SIZE - 1)))
        return -EINVAL;
    pool->pages = size / VDRV_PAGE_SIZE;
    pool->used = calloc(pool->pages ? pool->pages : 1, 1);
    if (!pool->used)
        return -ENOMEM;
    pool->host = host;
    pool->gpa = gpa;
    return 0;
}

void vdrv_pool_destroy(struct vdrv_pool *pool)
{
    free(pool->used);
    memset(pool, 0, sizeof(*pool));
}

void *vdrv_pool_alloc(struct vdrv_pool *pool, size_t size, uint64_t *gpa)
{
    size_t want = pages_for(size ? size : 1);
    size_t run = 0;

    for (size_t page = 0; page < pool->pages; page++) {
        run = pool->used[page] ? 0 : run + 1;
        if (run == want) {
            size_t first = page + 1 - want;
            uint8_t *host = pool->host + first * VDRV_PAGE_SIZE;

            memset(pool->used + first, 1, want);
            memset(host, 0, want * VDRV_PAGE_SIZE);
            *gpa = pool->gpa + first * VDRV_PAGE_SIZE;
            return host;
        }
    }
    return NULL;
}

void vdrv_pool_free(struct vdrv_pool *pool, void *host, size_t size)
{
    size_t first;

    if (!host)
        return;
    first = (size_t)((uint8_t *)host - pool->host) / VDRV_PAGE_SIZE;
    memset(pool->used + first, 0, pages_for(size ? size : 1));
}

void *vdrv_pool_ptr(const struct vdrv_pool *pool, uint64_t gpa, size_t len)
{
    uint64_t bytes = (uint64_t)pool->pages * VDRV_PAGE_SIZE;

    if (gpa < pool->gpa || gpa - pool->gpa > bytes ||
        len > bytes - (gpa - pool->gpa))
        return NULL;
    return pool->host + (gpa - pool->gpa);
}

size_t vdrv_pool_pages_in_use(const struct vdrv_pool *pool)
{
    size_t n = 0;

    for (size_t page = 0; page < pool->pages; page++)
        n += pool->used[page];
    return n;
}
