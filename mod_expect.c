/* mod_expect: per-directory control of the Expect request header
 * (RFC 9110 section 10.1.1) for Apache httpd 2.4.
 *
 * httpd's core judges Expect in ap_check_request_header(), before any
 * module hook and with server-level configuration only: any value but
 * exactly "100-continue" gets 417, after the body has been read.  This
 * module hides the field from core while the request is read, gives it
 * back in post_read_request (before 2.4.49, where core checks later, in
 * quick_handler), and judges it in header_parser, the first hook where
 * <Directory>, <Location>, <If> and .htaccess are merged.
 * docs/how-it-works.md tells the whole story.
 *
 * The parser, the policy, the header line scanner, the counters and their
 * exposition are in expect_*.c, which know nothing of httpd; mod_status's
 * lines and the expect-metrics handler are in mod_expect_status.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* RTLD_DEFAULT */
#endif
#include <dlfcn.h>

#include <poll.h>
#include <sys/socket.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"
#include "mod_core.h"

#include "apr_atomic.h"
#include "apr_lib.h"
#include "apr_shm.h"
#include "apr_strings.h"

#include "expect.h"
#include "mod_expect_status.h"

module AP_MODULE_DECLARE_DATA expect_module;

/* Each field has a _set bit, so that a scope that does not mention a
 * directive inherits its parent's. */
typedef struct {
    apr_array_header_t *allow;  /* lower-case names; empty: none */
    ex_policy policy;
    unsigned int allow_set:1;
    unsigned int policy_set:1;
} expect_dir_conf;

/* What one request carries from pre_read_request to header_parser. */
typedef struct {
    ex_scan_t scan;             /* its state */
    const char *value;          /* the Expect field given back, or NULL */
    const char *parsed;         /* the value field was parsed from */
    ex_field field;
    unsigned int held:1;        /* value not given back yet: core checks
                                 * Expect after post_read_request */
    unsigned int h2_late:1;     /* mod_http2 filled headers_in after
                                 * pre_read_request: core judged first */
    unsigned int judged:1;      /* header_parser saw the request */
    unsigned int decided:1;     /* a scope decided on a field: counted */
    const char *judged_value;   /* the field the first scope judged, which
                                 * every later one judges too */
    ex_chain chain;             /* what the scopes decided together */
    const expect_dir_conf *conf; /* the scope judged last */
    unsigned int watched:1;     /* a met 100-continue: continue_filter
                                 * observes it (watch_continue), as
                                 * EXPECT_IN kept or EXPECT_CONTINUE */
    ap_filter_t *observer;      /* HTTP/1.x: EXPECT_IN, kept after the
                                 * block for the observer's part, until
                                 * it is known whether one is needed */
    unsigned int cont:3;        /* ex_cont_outcome, once decided */
    unsigned int looked:1;      /* the connection was looked at after a
                                 * final status began: no body bytes */
    apr_time_t head_end;        /* post_read_request: the head is read */
    apr_time_t continue_at;     /* EX_CONT_SENT: the 100 went out */
} expect_req;

static ap_filter_rec_t *expect_in_handle;
static ap_filter_rec_t *expect_continue_handle;

/* Set when core checks Expect after the post_read_request hooks, as
 * before 2.4.49: the field stays hidden until the quick_handler phase. */
static int core_checks_late;

/* Set on httpd before 2.4.55, whose mod_http2 is 1.x: it may start a
 * stream's request before it puts the DATA read with the HEADERS in the
 * stream's input (h2_session_in_flush() schedules streams first, then
 * flushes their input), so finding no DATA there proves nothing. */
static int h2_input_late;

/* ExpectAllow's default: what core meets. */
static apr_array_header_t *default_allow;

/* Server-wide counters, in shared memory; NULL if it could not be had. */
static ex_counters *counters;

/* The most words httpd passes to a TAKE_ARGV directive. */
#define MAX_ARGC 64

static void *create_dir_config(apr_pool_t *p, char *dir)
{
    expect_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    (void)dir;
    conf->allow = default_allow;
    conf->policy = EX_POLICY_STRICT;
    return conf;
}

static void *merge_dir_config(apr_pool_t *p, void *basev, void *addv)
{
    expect_dir_conf *base = basev, *add = addv;
    expect_dir_conf *new;

    /* A scope that sets nothing (most <Directory> and <Location> blocks,
     * .htaccess files without these directives) is its parent's: the
     * configurations are never written once read. */
    if (!add->allow_set && !add->policy_set) {
        return base;
    }
    new = apr_palloc(p, sizeof(*new));

    new->allow = add->allow_set ? add->allow : base->allow;
    new->allow_set = add->allow_set || base->allow_set;
    new->policy = add->policy_set ? add->policy : base->policy;
    new->policy_set = add->policy_set || base->policy_set;
    return new;
}

/* The names ExpectAllow lists in the server configuration, read since
 * pre_config, for post_config to give them counters.  .htaccess files are
 * read per request, from the request's pool, and add nothing: a client's
 * or a customer's names never take a counter. */
static apr_array_header_t *config_names;

static const char *set_allow(cmd_parms *cmd, void *dconf, int argc,
                             char *const argv[])
{
    expect_dir_conf *conf = dconf;
    int i;

    if (argc == 0) {
        return apr_psprintf(cmd->pool, "%s takes 'none' or one or more "
                            "expectation names", cmd->cmd->name);
    }
    if (argc == MAX_ARGC && cmd->directive) {
        /* httpd hands a TAKE_ARGV directive its first 64 words and drops
         * the rest without a word (AP_MAX_ARGC in server/config.c): a
         * longer list would silently meet less than it says. */
        const char *args = cmd->directive->args;

        for (i = 0; i < MAX_ARGC; i++) {
            ap_getword_conf(cmd->temp_pool, &args);
        }
        while (apr_isspace(*args)) {
            args++;
        }
        if (*args != '\0') {
            return apr_psprintf(cmd->pool, "%s takes at most %d names",
                                cmd->cmd->name, MAX_ARGC);
        }
    }
    conf->allow = apr_array_make(cmd->pool, argc, sizeof(const char *));
    conf->allow_set = 1;
    for (i = 0; i < argc; i++) {
        char *name;

        if (strcasecmp(argv[i], "none") == 0) {
            if (argc > 1) {
                return apr_psprintf(cmd->pool, "%s: 'none' cannot be "
                                    "combined with expectation names",
                                    cmd->cmd->name);
            }
            break;
        }
        if (!ex_is_token(argv[i], strlen(argv[i]))) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a valid "
                                "expectation name (an RFC 9110 token)",
                                cmd->cmd->name, argv[i]);
        }
        name = apr_pstrdup(cmd->pool, argv[i]);
        ap_str_tolower(name);
        *(char **)apr_array_push(conf->allow) = name;
        if (config_names && cmd->pool == cmd->server->process->pconf) {
            *(const char **)apr_array_push(config_names) = name;
        }
    }
    return NULL;
}

static const char *set_policy(cmd_parms *cmd, void *dconf, const char *arg)
{
    expect_dir_conf *conf = dconf;

    if (strcasecmp(arg, "strict") == 0) {
        conf->policy = EX_POLICY_STRICT;
    }
    else if (strcasecmp(arg, "lenient") == 0) {
        conf->policy = EX_POLICY_LENIENT;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is neither 'strict' nor "
                            "'lenient'", cmd->cmd->name, arg);
    }
    conf->policy_set = 1;
    return NULL;
}

/* EXPECT_IN: takes the Expect lines out of an HTTP/1.x header block as
 * core reads it, so that ap_check_request_header() never sees them, and
 * leaves the chain when the block ends, unless the block had an Expect
 * field: then it stays, handing every read on, as the place of the
 * observer of a met 100-continue (watch_continue() keeps it or takes it
 * out).  Core reads the block through r->proto_input_filters a line at a
 * time (AP_MODE_GETLINE).
 *
 * Its context starts as a word of state (ex_quick_start()): ex_quick()
 * passes the common line from its first bytes.  The first line it hands
 * on gets the scanner (start_scan), which reads the rest of the block; a
 * read the scanner takes whole, an Expect line, is followed by another
 * one, because core must get a line. */

/* The scanner, made where ex_quick() left off, with core's own limits so
 * that an Expect line is held to what any other line is
 * (ap_get_mime_headers_core reads lines of at most LimitRequestFieldSize
 * + 2 bytes). */
static expect_req *start_scan(ap_filter_t *f, apr_uintptr_t word)
{
    request_rec *r = f->r;
    core_server_config *core =
        ap_get_core_module_config(r->server->module_config);
    expect_req *er = apr_pcalloc(r->pool, sizeof(*er));

    er->scan.line_max = (apr_size_t)r->server->limit_req_fieldsize + 2;
    er->scan.field_max = (apr_size_t)r->server->limit_req_fieldsize;
    er->scan.fields_max = r->server->limit_req_fields > 0
                          ? r->server->limit_req_fields : INT_MAX;
    er->scan.strict = core->http_conformance != AP_HTTP_CONFORMANCE_UNSAFE;
    ex_scan_resume(&er->scan, r->pool, word);
    f->ctx = er;
    ap_set_module_config(r->request_config, &expect_module, er);
    return er;
}

/* apr_bucket_read() for the line core hands on, without its indirect call
 * where the bucket is a heap bucket (core's reads from the socket are):
 * its bytes are the heap's from the bucket's start (apr_buckets.h). */
static APR_INLINE apr_status_t line_read(apr_bucket *e, const char **data,
                                         apr_size_t *len,
                                         apr_read_type_e block)
{
    if (APR_BUCKET_IS_HEAP(e)) {
        const apr_bucket_heap *h = e->data;

        *data = h->base + e->start;
        *len = e->length;
        return APR_SUCCESS;
    }
    return apr_bucket_read(e, data, len, block);
}

/* The scanner over one read: what it takes is dropped from bb, what it
 * passes stays. */
static apr_status_t scan_read(ap_filter_t *f, expect_req *er,
                              apr_bucket_brigade *bb, apr_read_type_e block)
{
    ex_scan_t *sc = &er->scan;
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
        rv = line_read(e, &data, &len, block);
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
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, f->r,
                          "bad request header: %s", sc->error);
            apr_brigade_cleanup(bb);
            /* Core answers 400 to all.  For APR_ENOSPC it says that a
             * field exceeds the server's limit; otherwise the note (static
             * text: core prints it unescaped) tells why: for too many
             * fields in the words core uses when it counts them. */
            if (sc->status == EX_SCAN_TOO_LONG) {
                return APR_ENOSPC;
            }
            apr_table_setn(f->r->notes, "error-notes",
                           sc->status == EX_SCAN_TOO_MANY
                           ? "The number of request header fields exceeds "
                             "this server's limit."
                           : apr_pstrcat(f->r->pool, "Bad request header: ",
                                         sc->error, ".", NULL));
            return APR_EINVAL;
        }
    }
    if (sc->done) {
        /* A block with an Expect field keeps its filter where it is, at
         * the head of the request's protocol filters: core puts HTTP_IN
         * after it, so it is already where the observer of a met
         * 100-continue must be (watch_continue), and until then, or if
         * none is needed, it hands every read on (continue_filter). */
        if (sc->fields > 0) {
            er->observer = f;
        }
        else {
            ap_remove_input_filter(f);
        }
    }
    return APR_SUCCESS;
}

/* The filter once the scanner has the block: it reads until a read leaves
 * something for core. */
static apr_status_t scan_filter(ap_filter_t *f, expect_req *er,
                                apr_bucket_brigade *bb, ap_input_mode_t mode,
                                apr_read_type_e block, apr_off_t readbytes)
{
    apr_status_t rv;

    for (;;) {
        rv = scan_read(f, er, bb, block);
        if (rv != APR_SUCCESS || !APR_BRIGADE_EMPTY(bb)) {
            return rv;
        }
        rv = ap_get_brigade(f->next, bb, mode, block, readbytes);
        if (rv != APR_SUCCESS || APR_BRIGADE_EMPTY(bb)) {
            return rv;
        }
    }
}

static apr_status_t continue_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                    ap_input_mode_t mode,
                                    apr_read_type_e block,
                                    apr_off_t readbytes);

static apr_status_t expect_in_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                     ap_input_mode_t mode,
                                     apr_read_type_e block,
                                     apr_off_t readbytes)
{
    apr_uintptr_t word = (apr_uintptr_t)f->ctx;
    apr_bucket *e, *last;
    const char *data, *end;
    apr_size_t len, end_len;
    apr_status_t rv;

    if (!(word & EX_QUICK_TAG)) {
        expect_req *er = f->ctx;

        if (er->observer) {
            return continue_filter(f, bb, mode, block, readbytes);
        }
        rv = ap_get_brigade(f->next, bb, mode, block, readbytes);
        if (rv != APR_SUCCESS || mode != AP_MODE_GETLINE
            || APR_BRIGADE_EMPTY(bb) || er->scan.done) {
            /* After the block (a read through a chain pointer from before
             * the filter left it): nothing to scan. */
            return rv;
        }
        return scan_filter(f, er, bb, mode, block, readbytes);
    }
    rv = ap_get_brigade(f->next, bb, mode, block, readbytes);
    if (rv != APR_SUCCESS || mode != AP_MODE_GETLINE
        || APR_BRIGADE_EMPTY(bb)) {
        return rv;
    }
    /* The read's first bytes, and its last one. */
    for (e = APR_BRIGADE_FIRST(bb); ; e = APR_BUCKET_NEXT(e)) {
        if (e == APR_BRIGADE_SENTINEL(bb)) {
            return APR_SUCCESS;         /* no data: nothing to tell */
        }
        if (APR_BUCKET_IS_METADATA(e)) {
            continue;
        }
        rv = line_read(e, &data, &len, block);
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
        rv = line_read(last, &end, &end_len, block);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (end_len > 0) {
            break;
        }
        end = data;
        end_len = len;
    }
    switch (ex_quick(&word, data, len, end[end_len - 1] == '\n')) {
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
     * HTTP/0.9 has no header block, so whatever reads lines after its
     * request line is not reading one. */
    if (f->r->assbackwards) {
        ap_remove_input_filter(f);
        return APR_SUCCESS;
    }
    return scan_filter(f, start_scan(f, word), bb, mode, block, readbytes);
}

static expect_req *get_req(request_rec *r)
{
    return ap_get_module_config(r->request_config, &expect_module);
}

/* A request whose Expect field httpd's core judged, not this module: it
 * had a field that header_parser never saw, and it is counted when the
 * request ends (as ExpectUnjudged), the first one in the server's life
 * logged with its likely cause.  Two are known:
 * - HTTP/2 with mod_http2 before 2.0 on httpd 2.4.49 to 2.4.54, which
 *   fills the request's headers after pre_read_request (h2_late);
 * - a core that checks Expect after the post_read_request hooks, as before
 *   2.4.49, where the module took it for one that checks before: a vendor
 *   build that has ap_check_request_header() but kept the old order would
 *   do that.  Core's 417 then comes before header_parser, so a request
 *   that ends with 417 without being judged is one core refused. */
static apr_status_t count_unjudged(void *data)
{
    request_rec *r = data;
    expect_req *er = get_req(r);

    if (er->judged || counters == NULL) {
        return APR_SUCCESS;
    }
    if (er->h2_late) {
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
    ex_count_unjudged(counters);
    if (!ex_counters_first_unjudged(counters)) {
        return APR_SUCCESS;
    }
    if (er->h2_late) {
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

static void expect_pre_read_request(request_rec *r, conn_rec *c)
{
    expect_req *er;
    const char *value;

    /* HTTP/1.x: the header block is read through the filters.  EXPECT_IN
     * starts with a word of state: a request without Expect allocates
     * nothing (see ex_quick() in expect.h). */
    if (c->master == NULL && apr_table_elts(r->headers_in)->nelts == 0) {
        int fields_max = r->server->limit_req_fields;

        ap_add_input_filter_handle(expect_in_handle,
                                   (void *)ex_quick_start(fields_max > 0
                                                          ? fields_max
                                                          : INT_MAX),
                                   r, c);
        return;
    }
    /* mod_http2 builds the request from HEADERS frames: no header block
     * is read through the filters.  Its 2.x (httpd 2.4.55 and later), and
     * 1.x on httpd before 2.4.49, fill r->headers_in before this hook runs,
     * and the field can be taken.  1.x on 2.4.49 to 2.4.54 fills it only
     * after, then has core judge it at once: nothing a module can do
     * comes in between.  Those requests are left to core, and said so. */
    if (apr_is_empty_table(r->headers_in)) {
        er = apr_pcalloc(r->pool, sizeof(*er));
        ap_set_module_config(r->request_config, &expect_module, er);
        er->h2_late = 1;
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
    er->value = value;
    apr_table_unset(r->headers_in, "Expect");
}

/* Parse the value if it is not the one parsed already: a module may have
 * replaced it since (RequestHeader ... early). */
static const ex_field *parse_value(request_rec *r, expect_req *er,
                                   const char *value)
{
    if (er->parsed != value) {
        ex_parse(r->pool, value, strlen(value), &er->field);
        er->parsed = value;
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "Expect: %s parsed into %d member(s)%s%s",
                      ap_escape_logitem(r->pool, value),
                      er->field.members->nelts,
                      er->field.error ? ", malformed: " : "",
                      er->field.error ? er->field.error : "");
    }
    return &er->field;
}

/* The observing filter f (EXPECT_IN kept after the block, or
 * EXPECT_CONTINUE) leaves the chain: its part is over, or there is none. */
static void unwatch(expect_req *er, ap_filter_t *f)
{
    if (f) {
        ap_remove_input_filter(f);
    }
    er->observer = NULL;
}

/* Give the field back to the request, as core would have had it. */
static void give_back(request_rec *r, expect_req *er)
{
    const ex_field *field;

    er->held = 0;
    apr_table_setn(r->headers_in, "Expect", er->value);
    field = parse_value(r, er, er->value);

    /* What core sets: the handler's first read of the body sends
     * "100 Continue" when this is set.  It stays set whatever the scope
     * decides but a refusal: RFC 9110 section 10.1.1 wants an immediate
     * 100 or an immediate final status for a request that asked. */
    r->expecting_100 = r->proto_num >= HTTP_VERSION(1, 1)
                       && ex_asks_continue(field);
    if (!r->expecting_100) {
        unwatch(er, er->observer);  /* nothing to wait for */
    }
}

/* Give the field back before any other module looks at the headers, or,
 * where core has yet to check Expect, keep it until quick_handler. */
static int expect_post_read_request(request_rec *r)
{
    expect_req *er = get_req(r);

    if (er == NULL) {
        return DECLINED;
    }
    if (er->h2_late) {
        /* Core let it through, so it is exactly "100-continue" (and core
         * set expecting_100): header_parser can still judge that. */
        er->value = apr_table_getm(r->pool, r->headers_in, "Expect");
        er->head_end = apr_time_now();
        return DECLINED;
    }
    if (er->value == NULL) {
        er->value = ex_scan_value(&er->scan);
    }
    if (er->value == NULL) {
        return DECLINED;
    }
    /* Should core judge it after all, the request is counted. */
    apr_pool_cleanup_register(r->pool, r, count_unjudged,
                              apr_pool_cleanup_null);
    er->head_end = apr_time_now();
    if (core_checks_late) {
        er->held = 1;
        return DECLINED;
    }
    give_back(r, er);
    return DECLINED;
}

/* Before 2.4.49 only: the first hook after core's check of Expect.  It runs
 * before mod_cache's quick handler and before translate_name. */
static int expect_quick_handler(request_rec *r, int lookup)
{
    expect_req *er = get_req(r);

    (void)lookup;
    if (er && er->held) {
        give_back(r, er);
    }
    return DECLINED;
}

/* Does the request announce a body (RFC 9112 section 6.3)?  Not
 * ap_request_has_body(): it says no for HEAD, but a HEAD request's body is
 * framed like any other, and bytes left unread on the connection are what
 * must not happen.  Core has already refused an invalid Content-Length.
 * A length of 0 is, as ap_parse_strict_length() reads it, one or more
 * zeros and nothing else: digits only, and no run of zeros overflows
 * (cheaper than strtol, which this costs on every watched upload). */
static int has_body(request_rec *r)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length"), *p;

    if (cl) {
        for (p = cl; *p == '0'; p++) {
        }
        if (p == cl || *p != '\0') {
            return 1;           /* what a body usually has: no other look */
        }
    }
    return apr_table_get(r->headers_in, "Transfer-Encoding") != NULL;
}

static void log_refused(request_rec *r, const ex_field *field,
                        const ex_decision *d, const char *what)
{
    const ex_member *members = (const ex_member *)field->members->elts;
    const int *refused = (const int *)d->refused->elts;
    int i;

    if (d->malformed) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "%s malformed Expect field for %s (%s at offset %"
                      APR_SIZE_T_FMT "): %s", what,
                      ap_escape_logitem(r->pool, r->uri), field->error,
                      field->error_at,
                      ap_escape_logitem(r->pool,
                                        apr_table_get(r->headers_in,
                                                      "Expect")));
        return;
    }
    for (i = 0; i < d->refused->nelts; i++) {
        const ex_member *m = &members[refused[i]];

        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "%s expectation \"%s\" for %s", what,
                      ap_escape_logitem(r->pool,
                                        apr_pstrmemdup(r->pool, m->text,
                                                       m->text_len)),
                      ap_escape_logitem(r->pool, r->uri));
    }
}

/* The note core's 417 page and an ErrorDocument (ERROR_NOTES) show. */
static const char *refusal_note(request_rec *r, const ex_field *field,
                                const ex_decision *d)
{
    const ex_member *m;

    if (d->malformed) {
        return apr_pstrcat(r->pool, "The Expect field is malformed: ",
                           ap_escape_html(r->pool, field->error), ".", NULL);
    }
    m = &((const ex_member *)field->members->elts)[
            ((const int *)d->refused->elts)[0]];
    return apr_pstrcat(r->pool, "The expectation \"",
                       ap_escape_html(r->pool,
                                      apr_pstrmemdup(r->pool, m->name,
                                                     m->name_len)),
                       "\" cannot be met for this resource.", NULL);
}

/* EXPECT_DROPPED: what the lenient scopes dropped, each member once, in
 * the field's order (the whole field if it does not parse), escaped as log
 * items are, since a quoted-string may hold any byte but CR, LF and NUL. */
static const char *dropped_members(request_rec *r, const char *value,
                                   const ex_field *field,
                                   const ex_chain *chain)
{
    if (chain->dropped_whole) {
        return ap_escape_logitem(r->pool, value);
    }
    return ap_escape_logitem(r->pool,
                             ex_join(r->pool, field, ~chain->dropped));
}

/* Core's own 417 page ends "Only the 100-continue expectation is
 * supported.", which is false wherever ExpectAllow says otherwise.  Where
 * no ErrorDocument applies, the page says what this scope meets. */
static void set_default_page(request_rec *r, const expect_dir_conf *conf,
                             const char *note)
{
    const char **names = (const char **)conf->allow->elts;
    const char *meets;
    int i;

    if (ap_response_code_string(r,
            ap_index_of_response(HTTP_EXPECTATION_FAILED)) != NULL) {
        return;
    }
    if (conf->allow->nelts == 0) {
        meets = "This resource meets no expectation.";
    }
    else {
        meets = "This resource can meet: ";
        for (i = 0; i < conf->allow->nelts; i++) {
            meets = apr_pstrcat(r->pool, meets, i ? ", " : "",
                                ap_escape_html(r->pool, names[i]), NULL);
        }
        meets = apr_pstrcat(r->pool, meets, ".", NULL);
    }
    ap_custom_response(r, HTTP_EXPECTATION_FAILED,
        apr_pstrcat(r->pool,
                    "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n"
                    "<html><head>\n"
                    "<title>417 Expectation Failed</title>\n"
                    "</head><body>\n"
                    "<h1>Expectation Failed</h1>\n"
                    "<p>", note, "</p>\n"
                    "<p>", meets, "</p>\n",
                    ap_psignature("<hr>\n", r),
                    "</body></html>\n", NULL));
}

/* Refuse: 417 through ap_die, so that the ErrorDocument of the request's
 * own scope answers. */
static int refuse(request_rec *r, const expect_dir_conf *conf,
                  const ex_field *field, const ex_decision *d)
{
    const char *note = refusal_note(r, field, d);

    log_refused(r, field, d, "refused");
    apr_table_setn(r->notes, "error-notes", note);
    set_default_page(r, conf, note);
    if (!has_body(r)) {
        /* Nothing to read: the connection can stay. */
        r->expecting_100 = 0;
        return HTTP_EXPECTATION_FAILED;
    }
    /* The body is not read.  With expecting_100 set and a status that is
     * not 2xx, core's HTTP_IN filter gives whoever reads now (an
     * ErrorDocument script too) the end of the body at once, and sends no
     * 100; HTTP/1.0 has no such guard, so only closing protects it.  The
     * unread body must never be taken for the next request (RFC 9112
     * section 9.3): answer at once and close, as RFC 9110 section 10.1.1
     * asks a server that answers before reading the content to say. */
    r->expecting_100 = 1;
    if (r->connection->master == NULL) {
        r->connection->keepalive = AP_CONN_CLOSE;
    }
    return HTTP_EXPECTATION_FAILED;
}

static const char *const status_names[] = { "met", "ignored", "rejected" };

/* apr_table_getm(r->headers_in, "Expect") for the common case of one
 * line, without its callback walk: the table's own value then, as getm
 * gives it. */
static const char *expect_field(request_rec *r)
{
    const apr_array_header_t *a = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)a->elts;
    const char *found = NULL;
    int i;

    for (i = 0; i < a->nelts; i++) {
        if ((e[i].key[0] == 'E' || e[i].key[0] == 'e')
            && strcasecmp(e[i].key, "Expect") == 0) {
            if (found) {
                return apr_table_getm(r->pool, r->headers_in, "Expect");
            }
            found = e[i].val;
        }
    }
    return found;
}

/* Judge the field against the scope r is in.  A request that an earlier
 * scope judged already (it was redirected internally) must be met by this
 * scope too, as access control must grant it in each: this scope judges the
 * same field the first one did, all its members, whatever an earlier
 * lenient scope dropped; the strictest answer wins, and the request is
 * counted once. */
static int judge(request_rec *r, expect_req *er)
{
    const expect_dir_conf *conf;
    const char *value;
    const ex_field *field;
    ex_decision d;
    ex_outcome was = er->chain.outcome;
    int again = er->decided, fresh;

    /* The first scope judges the field as it is now: a module may have
     * removed or changed it since post_read_request (RequestHeader ...
     * early).  expecting_100 stays as the client's field set it: the
     * client waits all the same. */
    if (er->held) {             /* no quick_handler ran: a lookup */
        give_back(r, er);
    }
    if (!er->judged) {
        er->judged = 1;
        er->judged_value = expect_field(r);
    }
    conf = ap_get_module_config(r->per_dir_config, &expect_module);
    er->conf = conf;
    value = er->judged_value;
    if (value == NULL) {
        return DECLINED;
    }
    field = parse_value(r, er, value);
    ex_decide(r->pool, field, conf->allow, conf->policy,
              r->proto_num >= HTTP_VERSION(1, 1), &d);
    er->decided = 1;
    fresh = ex_chain_add(&er->chain, &d);
    if (counters) {
        if (!again) {
            ex_count(counters, field, &d);
        }
        else {
            ex_count_again(counters, was, er->chain.outcome,
                           (apr_uint64_t)fresh);
        }
    }
    apr_table_setn(r->subprocess_env, "EXPECT_STATUS",
                   status_names[er->chain.outcome]);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "Expect for %s: %s (%d refused%s)%s",
                  ap_escape_logitem(r->pool, r->uri), status_names[d.outcome],
                  d.refused->nelts, d.malformed ? ", malformed" : "",
                  again ? ", judged again after an internal redirect" : "");

    if (d.outcome == EX_REJECTED) {
        /* Refused means not watched: no 100 will go out for it.  One that
         * went out already (the body was read before the redirect) stays
         * what happened. */
        if (er->watched && er->cont == EX_CONT_NONE) {
            er->watched = 0;
        }
        return refuse(r, conf, field, &d);
    }
    if (d.outcome == EX_IGNORED) {
        /* A dropped 100-continue is still answered when the body is read
         * (RFC 9110 section 10.1.1: an immediate 100 or final status, never
         * the client's timer); the application just does not see it.  A
         * malformed field asked for nothing: dropped whole, it is as if it
         * were absent, and expecting_100 stays as give_back() left it
         * (unset), so no 100 answers it.  "y 100-continue" is such a
         * field, and a front that reads it as 100-continue (Go, Node)
         * while this server sends 100 is how 2025's Expect-based desyncs
         * began (docs/proxies.md, "Expect and request smuggling"). */
        log_refused(r, field, &d, "dropped");
    }
    if (fresh) {
        apr_table_setn(r->subprocess_env, "EXPECT_DROPPED",
                       dropped_members(r, value, field, &er->chain));
    }
    /* The application sees what no scope dropped: a later scope gives back
     * nothing an earlier one took away. */
    if (er->chain.dropped_whole) {
        apr_table_unset(r->headers_in, "Expect");
    }
    else if (er->chain.dropped) {
        const char *kept = ex_join(r->pool, field, er->chain.dropped);

        if (kept) {
            apr_table_setn(r->headers_in, "Expect", kept);
        }
        else {
            apr_table_unset(r->headers_in, "Expect");
        }
    }
    return DECLINED;
}

/* Judge the expectations where the request's whole configuration is known.
 * Runs first among header_parser hooks so the later ones see the outcome.
 * httpd runs header_parser for main requests only: an internal redirect
 * gets here, a subrequest does not. */
static int expect_header_parser(request_rec *r)
{
    expect_req *er;

    if (r->main) {
        return DECLINED;        /* subrequests share the main request's */
    }
    if (r->prev) {
        /* An internal redirect (mod_rewrite in a directory, Action)
         * carries the same headers and a request config of its own.  It
         * tells what happened before, and is judged in its own scope, but
         * for the ErrorDocument of an error (ap_die redirects with the
         * error as status): that answers a request already judged, a
         * refused one among them. */
        request_rec *first = r->prev;
        static const char *const carried[] = { "EXPECT_STATUS",
                                               "EXPECT_DROPPED" };
        int i;

        for (i = 0; i < 2; i++) {
            const char *v = apr_table_get(r->prev->subprocess_env,
                                          carried[i]);

            if (v) {
                apr_table_setn(r->subprocess_env, carried[i], v);
            }
        }
        if (ap_is_HTTP_ERROR(r->status)) {
            return DECLINED;
        }
        while (first->prev) {
            first = first->prev;
        }
        er = get_req(first);
        if (er == NULL || er->value == NULL) {
            return DECLINED;
        }
        ap_set_module_config(r->request_config, &expect_module, er);
        return judge(r, er);
    }
    er = get_req(r);
    if (er == NULL || er->value == NULL) {
        return DECLINED;
    }
    return judge(r, er);
}

/* A fast redirect (mod_dir's DirectoryIndex, mod_negotiation's MultiViews)
 * puts a subrequest's configuration into the request after header_parser:
 * the scope that serves it is judged here, once, at the end of fixups. */
static int expect_fixups(request_rec *r)
{
    expect_req *er = get_req(r);

    if (er == NULL || !er->judged || r->main
        || ap_get_module_config(r->per_dir_config, &expect_module)
           == er->conf) {
        return DECLINED;
    }
    return judge(r, er);
}

/* ---- what became of a met 100-continue ------------------------------
 *
 * Only a request whose 100-continue was met and that has a body to wait
 * for gets an observer: an input filter above core's HTTP_IN
 * (continue_filter: over HTTP/1.x the EXPECT_IN that read the head, kept
 * where it is; over HTTP/2 EXPECT_CONTINUE, added), and the
 * log_transaction hook below.  Every other request pays one NULL check
 * there, nothing else.
 *
 * Core sends the 100 from HTTP_IN, on the handler's first read of the body
 * (ap_http_filter: a blocking read since 2.4.41, any read before), over
 * HTTP/2 too: mod_http2 turns the interim response of the secondary
 * connection into a HEADERS frame.  It sends none when the status is no
 * longer 2xx or a response has begun (HTTP_IN then gives the end of the
 * body), and since 2.4.41 none when a non-blocking read has already
 * returned body bytes (RFC 9110 section 10.1.1 allows it).  So the filter
 * looks at the connection just before that first read: bytes of the body
 * already there are early-body (core may still send its 100: the client
 * did not wait for it), the end of the connection is abandoned; otherwise
 * it times the read, and core having cleared expecting_100 means the 100
 * went out (handed_over()).  A body never read is judged when the request
 * is logged (never_read()).  Where the order that decides cannot be seen,
 * the outcome is unknown: docs/status.md lists those cases, by protocol
 * and mod_http2 release. */

/* Over HTTP/1.x, after a look that found nothing: has the client's socket
 * anything for the next one, bytes or its end?  A socket at its end stays
 * readable, so an end that core's read took (it answers it with an empty
 * read) is still seen here; one that is not readable saves the second
 * read through the filters.  Unsure (no socket, poll failed): yes. */
static int socket_readable(conn_rec *c)
{
    apr_socket_t *sock = ap_get_conn_socket(c);
    apr_os_sock_t fd;
    struct pollfd pfd;

    if (sock == NULL || apr_os_sock_get(&fd, sock) != APR_SUCCESS) {
        return 1;
    }
    pfd.fd = fd;
    pfd.events = POLLIN | POLLPRI;
    pfd.revents = 0;
    return poll(&pfd, 1, 0) != 0;
}

/* What the connection holds for this request right now, without waiting
 * and without taking it, in bb (empty, and left empty): EX_CONT_EARLY for
 * body bytes, EX_CONT_ABANDONED for its end or a reset (over HTTP/2: the
 * stream's), EX_CONT_NONE for nothing yet. */
static ex_cont_outcome peek_body(request_rec *r, apr_bucket_brigade *bb,
                                  int *eof)
{
    conn_rec *c = r->connection;
    ex_cont_outcome out = EX_CONT_NONE;
    int tries;

    if (bb == NULL) {
        bb = apr_brigade_create(r->pool, c->bucket_alloc);
    }
    /* Core's input filter turns the end of the socket into an empty read
     * first, APR_EOF only on the next one; nothing yet is APR_EAGAIN.
     * mod_http2 answers APR_ECONNABORTED for a stream that was reset. */
    for (tries = 0; tries < 2; tries++) {
        apr_status_t rv = ap_get_brigade(c->input_filters, bb,
                                         AP_MODE_SPECULATIVE,
                                         APR_NONBLOCK_READ, 1);

        if (APR_STATUS_IS_EOF(rv) || APR_STATUS_IS_ECONNRESET(rv)
            || APR_STATUS_IS_ECONNABORTED(rv)) {
            *eof = APR_STATUS_IS_EOF(rv);
            out = EX_CONT_ABANDONED;
            break;
        }
        if (rv != APR_SUCCESS) {
            break;
        }
        if (!APR_BRIGADE_EMPTY(bb)) {
            apr_off_t len = 0;

            apr_brigade_length(bb, 0, &len);
            apr_brigade_cleanup(bb);
            if (len > 0) {
                out = EX_CONT_EARLY;
                break;
            }
        }
        if (tries == 0 && c->master == NULL && !socket_readable(c)) {
            break;      /* no end to tell: nothing was there */
        }
    }
    return out;
}

static int has_bytes(apr_bucket_brigade *bb)
{
    apr_off_t len = 0;

    return !APR_BRIGADE_EMPTY(bb)
           && apr_brigade_length(bb, 0, &len) == APR_SUCCESS && len > 0;
}

/* Over HTTP/1.x, after the client's end of the connection: was its socket
 * closed when what the server sent last reached it?  Its reset says so
 * (the socket error it left); a client that read everything and closed
 * leaves none.  Reading says only "end" once the end has come. */
static int client_reset(conn_rec *c)
{
    apr_socket_t *sock = ap_get_conn_socket(c);
    apr_os_sock_t fd;
    int err = 0;
    socklen_t len = sizeof(err);

    if (sock == NULL || apr_os_sock_get(&fd, sock) != APR_SUCCESS) {
        return 0;
    }
    return getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err;
}

/* The 100 has left the request (core's HTTP_IN cleared expecting_100):
 * over HTTP/1.x it is on the wire unless writing it found the client gone.
 * Over HTTP/2 it was handed to mod_http2, whose main connection writes it
 * as a HEADERS frame later; a stream found reset from then on may have
 * been reset before that frame went out or after, and nothing a stream's
 * connection can see tells which (docs/status.md). */
static ex_cont_outcome handed_over(request_rec *r)
{
    if (r->connection->master == NULL) {
        return r->connection->aborted ? EX_CONT_ABANDONED : EX_CONT_SENT;
    }
    /* With mod_http2 1.x, DATA may have come before the 100 and still not
     * be in the stream's input (h2_input_late): sent or early-body. */
    return r->connection->aborted || h2_input_late ? EX_CONT_UNKNOWN
                                                   : EX_CONT_SENT;
}

static apr_status_t continue_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                    ap_input_mode_t mode,
                                    apr_read_type_e block,
                                    apr_off_t readbytes)
{
    expect_req *er = f->ctx;
    request_rec *r = f->r;
    apr_time_t before;
    apr_status_t rv;
    int eof;

    if (mode == AP_MODE_INIT || !er->watched) {
        /* EXPECT_IN kept as the observer hands reads on until
         * watch_continue() says there is something to watch. */
        return ap_get_brigade(f->next, bb, mode, block, readbytes);
    }
    if (!r->expecting_100) {
        /* The 100 went out before this read, not from HTTP_IN: mod_proxy_http
         * relays the one its backend sends (ap_send_interim_response clears
         * the flag).  Now is the first moment seen after it. */
        er->cont = handed_over(r);
        er->continue_at = apr_time_now();
        if (er->cont == EX_CONT_SENT && !r->connection->master
            && peek_body(r, bb, &eof) == EX_CONT_ABANDONED
            && (!eof || client_reset(r->connection))) {
            /* Relayed to a client that had closed its connection. */
            er->cont = EX_CONT_ABANDONED;
        }
        unwatch(er, f);
        return ap_get_brigade(f->next, bb, mode, block, readbytes);
    }
    if (!ap_is_HTTP_SUCCESS(r->status) || r->eos_sent || r->bytes_sent
        || r->sent_bodyct) {
        /* A final status is on its way, and core sends no 100 now (it
         * reads nothing either): body bytes already there came without
         * one.  Whatever else is left to never_read(), which looks again
         * once the final status has been written (body bytes then came
         * after it) and sees whether the client's socket answered it with
         * a reset. */
        ex_cont_outcome seen = peek_body(r, bb, &eof);

        if (seen == EX_CONT_EARLY) {
            er->cont = EX_CONT_EARLY;
        }
        er->looked = 1;
        unwatch(er, f);
        return ap_get_brigade(f->next, bb, mode, block, readbytes);
    }
    if (block == APR_NONBLOCK_READ) {
        /* No 100 from such a read (since 2.4.41): its caller (mod_proxy_http
         * prefetching) reads again, blocking, when it wants the body. */
        rv = ap_get_brigade(f->next, bb, mode, block, readbytes);
        if (!r->expecting_100) {
            er->cont = handed_over(r);  /* before 2.4.41 it sends one */
            er->continue_at = apr_time_now();
            unwatch(er, f);
        }
        else if (rv == APR_SUCCESS && has_bytes(bb)) {
            er->cont = EX_CONT_EARLY;
            unwatch(er, f);
        }
        else if (APR_BRIGADE_EMPTY(bb)
                 && peek_body(r, bb, &eof) == EX_CONT_ABANDONED) {
            /* Gone before mod_proxy_http asks its backend, whose 100 it
             * would relay to nobody. */
            er->cont = EX_CONT_ABANDONED;
            unwatch(er, f);
        }
        return rv;
    }
    er->cont = peek_body(r, bb, &eof);
    if (er->cont != EX_CONT_NONE) {
        unwatch(er, f);
        return ap_get_brigade(f->next, bb, mode, block, readbytes);
    }
    before = apr_time_now();
    rv = ap_get_brigade(f->next, bb, mode, block, readbytes);
    if (!r->expecting_100) {
        er->cont = handed_over(r);
        er->continue_at = before;
        unwatch(er, f);
    }
    else if (rv == APR_SUCCESS && has_bytes(bb)) {
        /* Body bytes with expecting_100 still set: core sent no 100 for
         * this read, the client sent its body without one (it came after
         * the look above). */
        er->cont = EX_CONT_EARLY;
        unwatch(er, f);
    }
    return rv;
}

/* EXPECT_CONTINUE is a protocol filter: a resource one would make
 * r->input_filters differ from r->proto_input_filters, which tells
 * mod_proxy_http that a filter may change the body, and it would then read
 * the whole body (sending the 100) before asking its backend.  Among
 * protocol filters httpd puts a new one after those already there (below
 * HTTP_IN): it is moved to the head of the request's protocol filters,
 * above HTTP_IN, where it sees the handler's reads first. */
static void watch_filter(request_rec *r, ap_filter_t *f)
{
    ap_filter_t *head = r->proto_input_filters, *prev, *up;

    if (f == NULL || f == head) {
        return;
    }
    for (prev = head; prev && prev->next != f; prev = prev->next) {
    }
    if (prev == NULL) {
        return;                 /* not where it was expected: left there */
    }
    prev->next = f->next;
    f->next = head;
    if (r->input_filters == head) {
        r->input_filters = f;
    }
    else {
        for (up = r->input_filters; up && up->next != head; up = up->next) {
        }
        if (up) {
            up->next = f;
        }
    }
    r->proto_input_filters = f;
}

/* After the decision (header_parser runs its hooks until one refuses, so
 * a refused request never gets here): a met 100-continue on a request
 * with a body gets its observer.  Internal redirects and subrequests share
 * the main request's. */
static int watch_continue(request_rec *r)
{
    expect_req *er;

    /* A request without 100-continue stops at the first test. */
    if (!r->expecting_100 || r->main || r->prev) {
        return DECLINED;
    }
    er = get_req(r);
    if (er == NULL || er->watched) {
        return DECLINED;
    }
    if (!er->judged || !has_body(r)) {
        unwatch(er, er->observer);
        return DECLINED;
    }
    er->watched = 1;
    if (er->observer == r->proto_input_filters
        && r->input_filters == r->proto_input_filters) {
        return DECLINED;        /* EXPECT_IN, kept for this, where it must be */
    }
    unwatch(er, er->observer);
    if (r->connection->master) {
        /* Over HTTP/2 the stream's input can be looked at only while the
         * request runs (mod_http2 may tear it down once the response is
         * complete): DATA already there came before any 100. */
        int eof;

        if (peek_body(r, NULL, &eof) == EX_CONT_EARLY) {
            er->cont = EX_CONT_EARLY;
            return DECLINED;
        }
    }
    watch_filter(r, ap_add_input_filter_handle(expect_continue_handle, er, r,
                                               r->connection));
    return DECLINED;
}

/* A watched request ends with its body never read, or read only after a
 * final status began: no 100 went out.  What came from the client, if
 * anything, decides. */
static ex_cont_outcome never_read(request_rec *r, expect_req *er)
{
    conn_rec *c = r->connection;
    int eof = 0;
    ex_cont_outcome seen = EX_CONT_NONE;

    if (c->master) {
        /* mod_http2 marks the stream's connection aborted for a reset from
         * the client, and also when it resets the stream itself after a
         * complete response to an upload it did not read.  A request that
         * is logged has had its final response made, and nothing a stream
         * can see places the reset before or after that response's HEADERS
         * frame.  With mod_http2 1.x, DATA may have come and never reached
         * the stream's input (h2_input_late): skipped or early-body. */
        return c->aborted || h2_input_late ? EX_CONT_UNKNOWN
                                           : EX_CONT_SKIPPED;
    }
    if (c->aborted) {
        return EX_CONT_ABANDONED;   /* writing the final status failed */
    }
    seen = peek_body(r, NULL, &eof);
    if (seen == EX_CONT_EARLY) {
        /* Nothing was there when the final status began (looked): these
         * bytes came after it. */
        return er->looked ? EX_CONT_SKIPPED : EX_CONT_EARLY;
    }
    /* An end of the connection may have come before the final status or
     * after it (a client that read it and closed): a reset says the
     * client's socket was closed when the final status reached it; a
     * plain end says nothing. */
    if (seen == EX_CONT_ABANDONED) {
        return !eof || client_reset(c) ? EX_CONT_ABANDONED : EX_CONT_UNKNOWN;
    }
    return EX_CONT_SKIPPED;
}

/* The end of a watched request: a final status went out first, or the
 * client went away first.  Counted, and told to the access log, before
 * mod_log_config writes it.  r is the request as it was read: the
 * variables go to it and to the internal redirects that followed it. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int log_continue(request_rec *r, expect_req *er)
{
    apr_uint64_t delay = 0;
    const char *name, *us = NULL;
    request_rec *rr;

    er->watched = 0;            /* once per request */
    if (er->cont == EX_CONT_NONE) {
        er->cont = never_read(r, er);
    }
    if (er->cont == EX_CONT_SENT) {
        delay = er->continue_at > er->head_end
                ? (apr_uint64_t)(er->continue_at - er->head_end) : 0;
        us = apr_off_t_toa(r->pool, (apr_off_t)delay);
    }
    name = ex_cont_name(er->cont);
    if (counters) {
        ex_count_continue(counters, r->connection->master != NULL,
                          er->cont, delay);
    }
    for (rr = r; rr; rr = rr->next) {
        apr_table_setn(rr->subprocess_env, "EXPECT_CONTINUE", name);
        if (us) {
            apr_table_setn(rr->subprocess_env, "EXPECT_CONTINUE_US", us);
        }
    }
    return DECLINED;
}

/* Every request passes here: one that was not watched costs a lookup. */
static int expect_log_transaction(request_rec *r)
{
    expect_req *er = get_req(r);

    if (er == NULL || !er->watched) {
        return DECLINED;
    }
    return log_continue(r, er);
}

/* Before the configuration is read: start the list of names that get a
 * counter.  100-continue always has one. */
static int expect_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    config_names = apr_array_make(pconf, 8, sizeof(const char *));
    *(const char **)apr_array_push(config_names) = "100-continue";
    return OK;
}

/* Give the names the configuration lists their counters, and say which
 * ones count as other. */
static void assign_names(server_rec *s, apr_pool_t *ptemp)
{
    apr_array_header_t *left = ex_counters_assign(counters, ptemp,
                                                  config_names);
    const char *const *names = (const char *const *)left->elts;
    const char *too_long = NULL, *no_room = NULL;
    int i;

    /* httpd reads its configuration twice at startup: say it once. */
    if (left->nelts == 0
        || ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return;
    }
    for (i = 0; i < left->nelts; i++) {
        const char **list = strlen(names[i]) >= EX_NAME_SIZE ? &too_long
                                                             : &no_room;

        *list = *list ? apr_pstrcat(ptemp, *list, ", ", names[i], NULL)
                      : names[i];
    }
    if (too_long) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "ExpectAllow names longer than %d bytes have no "
                     "counter of their own: mod_status counts them as "
                     "ExpectNameOther: %s", EX_NAME_SIZE - 1, too_long);
    }
    if (no_room) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "ExpectAllow lists more names than the %d counters "
                     "mod_expect has: mod_status counts these as "
                     "ExpectNameOther: %s", EX_NAMES_MAX, no_room);
    }
}

/* The counters are made once per parent process and kept in its pool, so
 * that they survive restarts (graceful or not): the new generation of
 * children inherits the same segment.  A restart may load another build of
 * the module: the key carries the layout's version (bump it whenever
 * ex_counters changes) and the size is checked too, so that a build with
 * another layout gets a segment of its own.  Only the parent runs this, so
 * only it gives names their slots; children only look them up. */
static int expect_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    static const char key[] = "mod_expect counters v6";
    apr_pool_t *process = s->process->pool;
    apr_shm_t *shm;
    apr_status_t rv;
    void *data;

    (void)pconf;
    (void)plog;
    apr_pool_userdata_get(&data, key, process);
    if (data && apr_shm_size_get(data) == sizeof(ex_counters)) {
        counters = apr_shm_baseaddr_get(data);
    }
    else {
        rv = apr_shm_create(&shm, sizeof(ex_counters), NULL, process);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s,
                         "cannot create shared memory for the Expect "
                         "counters: mod_status and expect-metrics will not "
                         "show them");
            counters = NULL;
        }
        else {
            counters = apr_shm_baseaddr_get(shm);
            ex_counters_init(counters);
            apr_pool_userdata_set(shm, key, apr_pool_cleanup_null, process);
        }
    }
    if (counters && config_names) {
        assign_names(s, ptemp);
    }
    /* From here on, nothing adds to the list. */
    config_names = NULL;
    return OK;
}

static const command_rec expect_cmds[] = {
    AP_INIT_TAKE_ARGV("ExpectAllow", set_allow, NULL, OR_FILEINFO,
                      "Set the expectations this scope can meet: 'none' or "
                      "one or more expectation names."),
    AP_INIT_TAKE1("ExpectPolicy", set_policy, NULL, OR_FILEINFO,
                  "Set what happens to expectations this scope cannot "
                  "meet: 'strict' answers 417, 'lenient' drops them."),
    { NULL }
};

static void register_hooks(apr_pool_t *p)
{
    default_allow = apr_array_make(p, 1, sizeof(const char *));
    *(const char **)apr_array_push(default_allow) = "100-continue";

    expect_in_handle = ap_register_input_filter("EXPECT_IN", expect_in_filter,
                                                NULL, AP_FTYPE_PROTOCOL);
    ap_hook_pre_read_request(expect_pre_read_request, NULL, NULL,
                             APR_HOOK_MIDDLE);
    /* Before everything else, even other REALLY_FIRST hooks (such as
     * mod_log_forensic's), which must see the field given back. */
    ap_hook_post_read_request(expect_post_read_request, NULL, NULL,
                              APR_HOOK_REALLY_FIRST - 10);
    ap_hook_header_parser(expect_header_parser, NULL, NULL,
                          APR_HOOK_REALLY_FIRST);
    /* After mod_dir's DirectoryIndex, which runs last. */
    ap_hook_fixups(expect_fixups, NULL, NULL, APR_HOOK_REALLY_LAST);
    ap_hook_header_parser(watch_continue, NULL, NULL,
                          APR_HOOK_REALLY_FIRST + 1);
    /* Moved above HTTP_IN when added (watch_filter). */
    expect_continue_handle = ap_register_input_filter("EXPECT_CONTINUE",
                                                      continue_filter, NULL,
                                                      AP_FTYPE_PROTOCOL);
    /* Before mod_log_config writes the access log. */
    ap_hook_log_transaction(expect_log_transaction, NULL, NULL,
                            APR_HOOK_REALLY_FIRST);
    /* Core has checked Expect before post_read_request since 2.4.49, in
     * ap_check_request_header(), which came then; before, it checks
     * after.  Asking the running httpd, not the headers the module was
     * built with, also gets right a vendor's 2.4.37 that took the change
     * in. */
    core_checks_late = dlsym(RTLD_DEFAULT, "ap_check_request_header") == NULL;
    {
        ap_version_t v;

        ap_get_server_revision(&v);
        h2_input_late = v.major == 2 && v.minor == 4 && v.patch < 55;
    }
    if (core_checks_late) {
        ap_hook_quick_handler(expect_quick_handler, NULL, NULL,
                              APR_HOOK_REALLY_FIRST);
    }
    ap_hook_pre_config(expect_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(expect_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* mod_status's lines and the expect-metrics handler. */
    mod_expect_status_register(&counters);
}

AP_DECLARE_MODULE(expect) = {
    STANDARD20_MODULE_STUFF,
    create_dir_config,          /* create per-dir config */
    merge_dir_config,           /* merge per-dir config */
    NULL,                       /* create per-server config */
    NULL,                       /* merge per-server config */
    expect_cmds,                /* command table */
    register_hooks,             /* register hooks */
    AP_MODULE_FLAG_NONE         /* flags */
};
