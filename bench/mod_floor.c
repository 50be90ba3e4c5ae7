/* mod_floor: the least a module that takes over the reading of a header
 * block can cost in httpd 2.4.  Built and loaded by the benchmark only,
 * never installed.
 *
 * httpd 2.4 runs no hook between reading a request's header block and
 * judging its Expect field (ap_check_request_header), so a module that
 * must act on a header line before core sees it has to be a protocol
 * input filter on the request, called once for each line core reads.
 * This one does nothing but what any such filter must: it is added in
 * pre_read_request, passes each read on, knows where lines start and end
 * (the rule of ap_rgetline_core: a line ends with the first read whose
 * last byte is LF), looks at each line's first byte for the empty line
 * that ends the block, and leaves the chain there.  Its state is a word
 * in the filter's context: it allocates nothing.
 *
 * bench/run.pl sets mod_expect's cost beside this one's: what mod_expect
 * spends over it is what finding and judging Expect costs.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "util_filter.h"

module AP_MODULE_DECLARE_DATA floor_module;

#define FLOOR_HEADERS ((apr_uintptr_t)2)  /* past the request line */
#define FLOOR_MIDLINE ((apr_uintptr_t)4)  /* a line has begun, not ended */

static ap_filter_rec_t *floor_in_handle;

static apr_status_t floor_in_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                    ap_input_mode_t mode,
                                    apr_read_type_e block,
                                    apr_off_t readbytes)
{
    apr_uintptr_t word = (apr_uintptr_t)f->ctx;
    apr_bucket *e, *last;
    const char *data, *end;
    apr_size_t len, end_len;
    apr_status_t rv;

    rv = ap_get_brigade(f->next, bb, mode, block, readbytes);
    if (rv != APR_SUCCESS || mode != AP_MODE_GETLINE
        || APR_BRIGADE_EMPTY(bb)) {
        return rv;
    }
    /* The read's first bytes, and its last one. */
    for (e = APR_BRIGADE_FIRST(bb); ; e = APR_BUCKET_NEXT(e)) {
        if (e == APR_BRIGADE_SENTINEL(bb)) {
            return APR_SUCCESS;
        }
        if (APR_BUCKET_IS_METADATA(e)) {
            continue;
        }
        rv = apr_bucket_read(e, &data, &len, block);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (len > 0) {
            break;
        }
    }
    end = data;
    end_len = len;
    for (last = APR_BRIGADE_LAST(bb); last != e;
         last = APR_BUCKET_PREV(last)) {
        if (APR_BUCKET_IS_METADATA(last)) {
            continue;
        }
        rv = apr_bucket_read(last, &end, &end_len, block);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (end_len > 0) {
            break;
        }
        end = data;
        end_len = len;
    }
    if (!(word & FLOOR_MIDLINE) && (word & FLOOR_HEADERS)
        && (data[0] == '\n'
            || (data[0] == '\r' && len == 2 && data[1] == '\n'))) {
        ap_remove_input_filter(f);      /* the empty line: the block ends */
        return APR_SUCCESS;
    }
    if (end[end_len - 1] == '\n') {
        word = (word & ~FLOOR_MIDLINE) | FLOOR_HEADERS;
    }
    else {
        word |= FLOOR_MIDLINE;
    }
    f->ctx = (void *)word;
    return APR_SUCCESS;
}

static void floor_pre_read_request(request_rec *r, conn_rec *c)
{
    /* HTTP/1.x only: mod_http2 fills the headers without reading a block. */
    if (c->master == NULL) {
        ap_add_input_filter_handle(floor_in_handle, (void *)1, r, c);
    }
}

static void register_hooks(apr_pool_t *p)
{
    (void)p;
    floor_in_handle = ap_register_input_filter("FLOOR_IN", floor_in_filter,
                                               NULL, AP_FTYPE_PROTOCOL);
    ap_hook_pre_read_request(floor_pre_read_request, NULL, NULL,
                             APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(floor) = {
    STANDARD20_MODULE_STUFF,
    NULL,                       /* create per-dir config */
    NULL,                       /* merge per-dir config */
    NULL,                       /* create per-server config */
    NULL,                       /* merge per-server config */
    NULL,                       /* command table */
    register_hooks,             /* register hooks */
    AP_MODULE_FLAG_NONE         /* flags */
};
