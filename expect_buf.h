/* expect_buf.c: a string that grows by doubling, from a pool: the one
 * growable buffer of the pure units (the scanner's line and merged
 * value, the metrics' exposition). */
#ifndef EXPECT_BUF_H
#define EXPECT_BUF_H

#include <apr_pools.h>

typedef struct {
    apr_pool_t *pool;
    char *data;              /* NUL-terminated once anything was added */
    apr_size_t len;
    apr_size_t size;         /* room in data; 0 when data is not the
                              * buffer's own (NULL, or a constant lent to
                              * it), so that the next add copies it */
} ex_buf;

/** Start b empty, from p, with room for size bytes (0: none yet). */
void ex_buf_init(ex_buf *b, apr_pool_t *p, apr_size_t size);

/** Append n bytes of s (none: nothing changes), keeping the data
 * NUL-terminated. */
void ex_buf_add(ex_buf *b, const char *s, apr_size_t n);

/** Append the string s. */
void ex_buf_puts(ex_buf *b, const char *s);

#endif /* EXPECT_BUF_H */
