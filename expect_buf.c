/* A string that grows by doubling, from a pool. */
#include <string.h>

#include "expect_buf.h"

/* What the first add allocates when nothing was asked for. */
#define FIRST_SIZE 64

void ex_buf_init(ex_buf *b, apr_pool_t *p, apr_size_t size)
{
    b->pool = p;
    b->len = 0;
    b->size = size;
    b->data = NULL;
    if (size > 0) {
        b->data = apr_palloc(p, size);
        b->data[0] = '\0';
    }
}

void ex_buf_add(ex_buf *b, const char *s, apr_size_t n)
{
    if (n == 0) {
        return;
    }
    if (b->len + n + 1 > b->size) {
        apr_size_t size = b->size ? b->size * 2 : FIRST_SIZE;
        char *data;

        while (size < b->len + n + 1) {
            size *= 2;
        }
        data = apr_palloc(b->pool, size);
        if (b->len > 0) {
            memcpy(data, b->data, b->len);
        }
        b->data = data;
        b->size = size;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void ex_buf_puts(ex_buf *b, const char *s)
{
    ex_buf_add(b, s, strlen(s));
}
