/* The allocations of pool_shim.h: this file calls APR's own. */
#include <stdlib.h>
#include <string.h>

#include "pool_shim.h"

#undef apr_palloc
#undef apr_array_make
#undef apr_array_push

static apr_status_t free_block(void *block)
{
    free(block);
    return APR_SUCCESS;
}

static apr_status_t free_elts(void *arrv)
{
    apr_array_header_t *arr = arrv;

    free(arr->elts);
    arr->elts = NULL;
    return APR_SUCCESS;
}

static void *must(void *block)
{
    if (block == NULL) {
        abort();
    }
    return block;
}

void *fz_palloc(apr_pool_t *p, apr_size_t size)
{
    /* malloc(0) gives a block of no usable byte: reading it is caught. */
    void *block = must(malloc(size));

    apr_pool_cleanup_register(p, block, free_block, apr_pool_cleanup_null);
    return block;
}

apr_array_header_t *fz_array_make(apr_pool_t *p, int nelts, int elt_size)
{
    apr_array_header_t *arr = fz_palloc(p, sizeof(*arr));

    (void)nelts;                /* the capacity follows nelts exactly */
    arr->pool = p;
    arr->elt_size = elt_size;
    arr->nelts = 0;
    arr->nalloc = 0;
    arr->elts = must(malloc(0));
    apr_pool_cleanup_register(p, arr, free_elts, apr_pool_cleanup_null);
    return arr;
}

void *fz_array_push(apr_array_header_t *arr)
{
    apr_size_t size = (apr_size_t)arr->elt_size;
    char *elts = must(malloc(size * (apr_size_t)(arr->nelts + 1)));

    memcpy(elts, arr->elts, size * (apr_size_t)arr->nelts);
    memset(elts + size * (apr_size_t)arr->nelts, 0, size);
    free(arr->elts);
    arr->elts = elts;
    arr->nalloc = ++arr->nelts;
    return elts + size * (apr_size_t)(arr->nelts - 1);
}
