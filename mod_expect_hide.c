/* Hiding the Expect field from httpd's core, and giving it back.
 *
 * Core judges Expect in ap_check_request_header(), before any hook that
 * sees per-directory configuration: anything but exactly "100-continue"
 * gets its 417.  So the field never reaches core: over HTTP/1.x EXPECT_IN
 * takes the Expect lines out of the head as core reads it; over HTTP/2
 * pre_read_request takes the field out of headers_in, which mod_http2 has
 * filled.  post_read_request gives it back, as core would have had it,
 * before any other module looks (before 2.4.49, where core checks after
 * post_read_request, quick_handler does).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* RTLD_DEFAULT */
#endif
#include <dlfcn.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#include "apr_strings.h"

#include "mod_expect_private.h"

/* Its lines carry the module's name, and LogLevel expect:... applies. */
APLOG_USE_MODULE(expect);

static ap_filter_rec_t *expect_in_handle;

/* Set when core checks Expect after the post_read_request hooks, as before
 * 2.4.49: the field stays hidden until quick_handler. */
static int core_checks_after_post_read;


/* ---- EXPECT_IN ----------------------------------------------------------
 *
 * A request-level protocol input filter, added in pre_read_request, which
 * core reads the head through a line at a time (AP_MODE_GETLINE).  It
 * takes the Expect lines out of the head and leaves the chain at the
 * empty line that ends it.
 *
 * Its context starts as a word of state, not a pointer (ex_quick_start()):
 * ex_quick() passes the common line from its first bytes, and a head
 * without Expect allocates nothing.  The first line the word cannot pass
 * starts the scanner (start_scan), and the context becomes the request's
 * state, whose scanner reads the rest of the head.  A read the scanner
 * takes whole (an Expect line) is followed by another one: core must get
 * a line. */

/* The scanner, started where ex_quick() left off, with core's own limits
 * so that an Expect line is held to what any other line is
 * (ap_get_mime_headers_core() reads lines of at most
 * LimitRequestFieldSize + 2 bytes). */
static expect_req *start_scan(ap_filter_t *f, apr_uintptr_t word)
{
    request_rec *r = f->r;
    core_server_config *core =
        ap_get_core_module_config(r->server->module_config);
    expect_req *er = apr_pcalloc(r->pool, sizeof(*er));
    ex_scan_t *sc = &er->hidden.scan;

    sc->line_max = (apr_size_t)r->server->limit_req_fieldsize + 2;
    sc->field_max = (apr_size_t)r->server->limit_req_fieldsize;
    sc->fields_max = r->server->limit_req_fields > 0
                     ? r->server->limit_req_fields : INT_MAX;
    sc->strict = core->http_conformance != AP_HTTP_CONFORMANCE_UNSAFE;
    ex_scan_resume(sc, r->pool, word);
    f->ctx = er;
    ap_set_module_config(r->request_config, &expect_module, er);
    return er;
}

/* What core answers a head the scanner refused: 400, with a note. */
static apr_status_t refuse_head(ap_filter_t *f, const ex_scan_t *sc)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, f->r, "bad request header: %s",
                  sc->error);
    /* For APR_ENOSPC core says that a field exceeds the server's limit;
     * otherwise the note (static text: core prints it unescaped) says why,
     * for too many fields in the words core uses when it counts them. */
    if (sc->status == EX_SCAN_TOO_LONG) {
        return APR_ENOSPC;
    }
    apr_table_setn(f->r->notes, "error-notes",
                   sc->status == EX_SCAN_TOO_MANY
                   ? "The number of request header fields exceeds this "
                     "server's limit."
                   : apr_pstrcat(f->r->pool, "Bad request header: ",
                                 sc->error, ".", NULL));
    return APR_EINVAL;
}

/* The scanner over one read: what it takes is dropped from bb, what it
 * passes stays. */
static apr_status_t scan_read(ap_filter_t *f, ex_scan_t *sc,
                              apr_bucket_brigade *bb, apr_read_type_e block)
{
    apr_bucket *e, *next;
    apr_status_t rv;

    for (e = APR_BRIGADE_FIRST(bb); e != APR_BRIGADE_SENTINEL(bb); e = next) {
        const char *data;
        apr_size_t len, n;
        ex_scan_act act;

        next = APR_BUCKET_NEXT(e);
        if (APR_BUCKET_IS_METADATA(e)) {
            continue;
        }
        rv = apr_bucket_read(e, &data, &len, block);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (len == 0) {
            continue;
        }
        n = ex_scan(sc, data, len, &act);
        if (n < len) {
            apr_bucket_split(e, n);
            next = APR_BUCKET_NEXT(e);
        }
        if (sc->release) {
            APR_BUCKET_INSERT_BEFORE(e,
                apr_bucket_heap_create(sc->hold, sc->release, NULL,
                                       f->c->bucket_alloc));
        }
        if (act == EX_SCAN_DROP) {
            apr_bucket_delete(e);
        }
        else if (act == EX_SCAN_ERROR) {
            apr_brigade_cleanup(bb);
            return refuse_head(f, sc);
        }
    }
    if (sc->done) {
        ap_remove_input_filter(f);
    }
    return APR_SUCCESS;
}

/* The filter once the scanner has the head: it reads until a read leaves
 * something for core. */
static apr_status_t scan_filter(ap_filter_t *f, ex_scan_t *sc,
                                apr_bucket_brigade *bb, ap_input_mode_t mode,
                                apr_read_type_e block, apr_off_t readbytes)
{
    apr_status_t rv;

    for (;;) {
        rv = scan_read(f, sc, bb, block);
        if (rv != APR_SUCCESS || !APR_BRIGADE_EMPTY(bb)) {
            return rv;
        }
        rv = ap_get_brigade(f->next, bb, mode, block, readbytes);
        if (rv != APR_SUCCESS || APR_BRIGADE_EMPTY(bb)) {
            return rv;
        }
    }
}

/* The first bytes of a read (*data, *len: 0 when it has no data at all)
 * and whether its last byte is LF. */
static apr_status_t read_ends(apr_bucket_brigade *bb, apr_read_type_e block,
                              const char **data, apr_size_t *len,
                              int *ends_line)
{
    apr_bucket *e, *last;
    const char *end;
    apr_size_t end_len;
    apr_status_t rv;

    for (e = APR_BRIGADE_FIRST(bb); ; e = APR_BUCKET_NEXT(e)) {
        if (e == APR_BRIGADE_SENTINEL(bb)) {
            *len = 0;
            return APR_SUCCESS;
        }
        if (APR_BUCKET_IS_METADATA(e)) {
            continue;
        }
        rv = apr_bucket_read(e, data, len, block);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (*len > 0) {
            break;
        }
    }
    end = *data;
    end_len = *len;
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
        end = *data;
        end_len = *len;
    }
    *ends_line = end[end_len - 1] == '\n';
    return APR_SUCCESS;
}

static apr_status_t expect_in_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                     ap_input_mode_t mode,
                                     apr_read_type_e block,
                                     apr_off_t readbytes)
{
    apr_uintptr_t word = (apr_uintptr_t)f->ctx;
    const char *data;
    apr_size_t len;
    int ends_line;
    apr_status_t rv;

    rv = ap_get_brigade(f->next, bb, mode, block, readbytes);
    if (rv != APR_SUCCESS || mode != AP_MODE_GETLINE
        || APR_BRIGADE_EMPTY(bb)) {
        return rv;
    }
    if (!(word & EX_QUICK_TAG)) {
        ex_scan_t *sc = &((expect_req *)f->ctx)->hidden.scan;

        if (sc->done) {
            /* A read through a chain pointer taken before the filter left
             * at the end of the head: nothing of the head is left. */
            return APR_SUCCESS;
        }
        return scan_filter(f, sc, bb, mode, block, readbytes);
    }
    rv = read_ends(bb, block, &data, &len, &ends_line);
    if (rv != APR_SUCCESS || len == 0) {
        return rv;
    }
    switch (ex_quick(&word, data, len, ends_line)) {
    case EX_QUICK_PASS:
        f->ctx = (void *)word;
        return APR_SUCCESS;
    case EX_QUICK_END:
        ap_remove_input_filter(f);
        return APR_SUCCESS;
    default:
        break;
    }
    /* Only the scanner ever takes bytes: the quick path passes them all.
     * HTTP/0.9 has no head, so whatever reads lines after its request line
     * is not reading one. */
    if (f->r->assbackwards) {
        ap_remove_input_filter(f);
        return APR_SUCCESS;
    }
    return scan_filter(f, &start_scan(f, word)->hidden.scan, bb, mode, block,
                       readbytes);
}


/* ---- a field core judged after all -------------------------------------
 *
 * A request with a field that header_parser never judged is counted when
 * it ends (ExpectUnjudged), and the first one in the server's life logged
 * with its likely cause.  Two are known:
 * - HTTP/2 with mod_http2 before 2.0 on httpd 2.4.49 to 2.4.54, which
 *   fills the request's headers after pre_read_request (left_to_core);
 * - a core that checks Expect after the post_read_request hooks, as before
 *   2.4.49, where the module took it for one that checks before: a vendor
 *   build that has ap_check_request_header() but kept the old order would
 *   do that.  Core's 417 then comes before header_parser, so a request
 *   that ends with 417 without being judged is one core refused. */
static apr_status_t count_unjudged(void *data)
{
    request_rec *r = data;
    expect_req *er = expect_req_of(r);

    if (er->judgement.judged || expect_counters == NULL) {
        return APR_SUCCESS;
    }
    if (er->hidden.left_to_core) {
        /* Core lets an empty field and an exact "100-continue" through:
         * those were not judged only because httpd answered before
         * header_parser (a Redirect, say), as over HTTP/1.1. */
        const char *value = apr_table_get(r->headers_in, "Expect");

        if (value == NULL || *value == '\0'
            || ap_cstr_casecmp(value, "100-continue") == 0) {
            return APR_SUCCESS;
        }
    }
    else if (r->status != HTTP_EXPECTATION_FAILED) {
        return APR_SUCCESS;     /* answered early (a Redirect, a TRACE) */
    }
    ex_count_unjudged(expect_counters);
    if (!ex_counters_first_unjudged(expect_counters)) {
        return APR_SUCCESS;
    }
    if (er->hidden.left_to_core) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, r->server,
                     "an HTTP/2 request's Expect field was judged by httpd's "
                     "core, not by mod_expect: this mod_http2 (before 2.0, "
                     "as in httpd 2.4.49 to 2.4.54) fills the request's "
                     "headers too late.  Over HTTP/2, anything but exactly "
                     "\"100-continue\" gets core's 417 whatever ExpectAllow "
                     "and ExpectPolicy say; mod_status counts these requests "
                     "as ExpectUnjudged");
    }
    else {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, r->server,
                     "a request's Expect field was refused by httpd's core "
                     "(417) before mod_expect could judge it: this httpd "
                     "has ap_check_request_header() but seems to check "
                     "Expect after the post_read_request hooks, as httpd "
                     "before 2.4.49 does (a vendor build with part of a "
                     "backport?).  Anything but exactly \"100-continue\" "
                     "gets core's 417 whatever ExpectAllow and ExpectPolicy "
                     "say; mod_status counts these requests as "
                     "ExpectUnjudged");
    }
    return APR_SUCCESS;
}


/* ---- the hooks ------------------------------------------------------ */

static void expect_pre_read_request(request_rec *r, conn_rec *c)
{
    expect_req *er;
    const char *value;

    /* HTTP/1.x: the head is read through the filters.  EXPECT_IN starts
     * with a word of state (ex_quick_start()). */
    if (c->master == NULL && apr_is_empty_table(r->headers_in)) {
        int fields_max = r->server->limit_req_fields;

        ap_add_input_filter_handle(expect_in_handle,
                                   (void *)ex_quick_start(fields_max > 0
                                                          ? fields_max
                                                          : INT_MAX),
                                   r, c);
        return;
    }
    /* mod_http2 builds the request from HEADERS frames: no head is read
     * through the filters.  Its 2.x (httpd 2.4.55 and later), and 1.x on
     * httpd before 2.4.49, fill r->headers_in before this hook runs, and
     * the field can be taken.  1.x on 2.4.49 to 2.4.54 fills it only
     * after, then has core judge it at once: nothing a module can do comes
     * in between.  Those requests are left to core, and said so. */
    if (apr_is_empty_table(r->headers_in)) {
        er = apr_pcalloc(r->pool, sizeof(*er));
        ap_set_module_config(r->request_config, &expect_module, er);
        er->hidden.left_to_core = 1;
        apr_pool_cleanup_register(r->pool, r, count_unjudged,
                                  apr_pool_cleanup_null);
        return;
    }
    value = apr_table_getm(r->pool, r->headers_in, "Expect");
    if (value == NULL) {
        return;
    }
    er = apr_pcalloc(r->pool, sizeof(*er));
    ap_set_module_config(r->request_config, &expect_module, er);
    er->hidden.value = value;
    apr_table_unset(r->headers_in, "Expect");
}

void expect_give_back(request_rec *r, expect_req *er)
{
    const ex_field *field;

    er->hidden.until_quick_handler = 0;
    apr_table_setn(r->headers_in, "Expect", er->hidden.value);
    field = expect_parse(r, er, er->hidden.value);

    /* What core sets: the handler's first read of the body sends
     * "100 Continue" when this is set.  It stays set whatever the scope
     * decides but a refusal: RFC 9110 section 10.1.1 wants an immediate
     * 100 or an immediate final status for a request that asked.  A
     * field that does not parse asks for nothing. */
    r->expecting_100 = r->proto_num >= HTTP_VERSION(1, 1)
                       && ex_asks_continue(field);
}

/* Give the field back before any other module looks at the headers, or,
 * where core has yet to check Expect, keep it until quick_handler. */
static int expect_post_read_request(request_rec *r)
{
    expect_req *er = expect_req_of(r);

    if (er == NULL) {
        return DECLINED;
    }
    if (er->hidden.left_to_core) {
        /* Core let it through, so it is exactly "100-continue" (and core
         * set expecting_100): header_parser can still judge that. */
        er->hidden.value = apr_table_getm(r->pool, r->headers_in, "Expect");
        er->hidden.head_end = apr_time_now();
        return DECLINED;
    }
    if (er->hidden.value == NULL) {
        er->hidden.value = ex_scan_value(&er->hidden.scan);
    }
    if (er->hidden.value == NULL) {
        return DECLINED;
    }
    /* Should core judge it after all, the request is counted. */
    apr_pool_cleanup_register(r->pool, r, count_unjudged,
                              apr_pool_cleanup_null);
    er->hidden.head_end = apr_time_now();
    if (core_checks_after_post_read) {
        er->hidden.until_quick_handler = 1;
        return DECLINED;
    }
    expect_give_back(r, er);
    return DECLINED;
}

/* Before 2.4.49 only: the first hook after core's check of Expect. */
static int expect_quick_handler(request_rec *r, int lookup)
{
    expect_req *er = expect_req_of(r);

    (void)lookup;
    if (er && er->hidden.until_quick_handler) {
        expect_give_back(r, er);
    }
    return DECLINED;
}

void expect_hide_register_hooks(apr_pool_t *p)
{
    /* Every other post_read_request hook must see the field as core
     * would have had it: before mod_log_forensic's, by name, and before
     * any other REALLY_FIRST hook (mod_security2's, say), which httpd lets
     * a module say only by number. */
    static const char *const before_prr[] = { "mod_log_forensic.c", NULL };
    /* mod_cache answers a hit from its quick handler. */
    static const char *const before_qh[] = { "mod_cache.c", NULL };

    (void)p;
    expect_in_handle = ap_register_input_filter("EXPECT_IN", expect_in_filter,
                                                NULL, AP_FTYPE_PROTOCOL);
    ap_hook_pre_read_request(expect_pre_read_request, NULL, NULL,
                             APR_HOOK_MIDDLE);
    ap_hook_post_read_request(expect_post_read_request, NULL, before_prr,
                              APR_HOOK_REALLY_FIRST - 10);
    /* Core has checked Expect before post_read_request since 2.4.49, in
     * ap_check_request_header(), which came then; before, it checks after.
     * Asking the running httpd, not the headers the module was built with,
     * also gets right a vendor's 2.4.37 that took the change in (dlsym:
     * APR looks up symbols only in a library it loaded itself). */
    core_checks_after_post_read =
        dlsym(RTLD_DEFAULT, "ap_check_request_header") == NULL;
    if (core_checks_after_post_read) {
        ap_hook_quick_handler(expect_quick_handler, NULL, before_qh,
                              APR_HOOK_REALLY_FIRST);
    }
}
