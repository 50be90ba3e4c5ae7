/* Forced into every file of a fuzz target (-include): the pure code's pool
 * allocations each get a malloc'ed block of their own, freed when the pool
 * is cleared or destroyed.
 *
 * Why: an APR pool carves its allocations out of blocks of 8 KB or more,
 * so a write past the end of one allocation lands in the next one and
 * AddressSanitizer sees nothing.  With one block per allocation, every
 * byte past the end is in a redzone.  Arrays grow one element at a time
 * for the same reason: elts holds exactly nelts elements, so reading
 * element nelts is caught too.  (After a push, earlier element pointers are
 * stale; with APR they would still point at the old copy.)
 */
#ifndef POOL_SHIM_H
#define POOL_SHIM_H

#include <apr_pools.h>
#include <apr_tables.h>

void *fz_palloc(apr_pool_t *p, apr_size_t size);
apr_array_header_t *fz_array_make(apr_pool_t *p, int nelts, int elt_size);
void *fz_array_push(apr_array_header_t *arr);

#define apr_palloc     fz_palloc
#define apr_array_make fz_array_make
#define apr_array_push fz_array_push

#endif /* POOL_SHIM_H */
