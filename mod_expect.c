/* mod_expect: per-directory control of the Expect request header
 * (RFC 9110 section 10.1.1) for Apache httpd 2.4.
 *
 * httpd's core judges Expect in ap_check_request_header(), before any
 * module hook and with server-level configuration only: any value but
 * exactly "100-continue" gets 417, after the body has been read.  This
 * module hides the field from core while the request is read, gives it
 * back in post_read_request, and judges it in header_parser, the first
 * hook where <Directory>, <Location>, <If> and .htaccess are merged.
 * README.md ("How it works") tells the whole story.
 *
 * The parser, the policy, the header line scanner and the counters are in
 * expect_*.c, which know nothing of httpd.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"
#include "mod_status.h"

#include "apr_atomic.h"
#include "apr_optional_hooks.h"
#include "apr_shm.h"
#include "apr_strings.h"

#include "expect.h"

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
    ap_filter_t *filter;        /* EXPECT_IN, while it is in the chain */
    ex_scan_t scan;             /* its state */
    const char *value;          /* the Expect field given back, or NULL */
    const char *parsed;         /* the value field was parsed from */
    ex_field field;
} expect_req;

static ap_filter_rec_t *expect_in_handle;

/* ExpectAllow's default: what core meets. */
static apr_array_header_t *default_allow;

/* Server-wide counters, in shared memory; NULL if it could not be had. */
static ex_counters *counters;

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
    expect_dir_conf *new = apr_palloc(p, sizeof(*new));

    new->allow = add->allow_set ? add->allow : base->allow;
    new->allow_set = add->allow_set || base->allow_set;
    new->policy = add->policy_set ? add->policy : base->policy;
    new->policy_set = add->policy_set || base->policy_set;
    return new;
}

static const char *set_allow(cmd_parms *cmd, void *dconf, int argc,
                             char *const argv[])
{
    expect_dir_conf *conf = dconf;
    int i;

    if (argc == 0) {
        return apr_psprintf(cmd->pool, "%s takes 'none' or one or more "
                            "expectation names", cmd->cmd->name);
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
 * leaves the chain when the block ends.  Core reads the block through
 * r->proto_input_filters a line at a time; a read that returns only an
 * Expect line is followed by another one, because core must get a line. */
static apr_status_t expect_in_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                     ap_input_mode_t mode,
                                     apr_read_type_e block,
                                     apr_off_t readbytes)
{
    expect_req *er = f->ctx;
    ex_scan_t *sc = &er->scan;
    apr_status_t rv;

    if (mode != AP_MODE_GETLINE) {
        return ap_get_brigade(f->next, bb, mode, block, readbytes);
    }
    for (;;) {
        apr_bucket *e, *next;

        rv = ap_get_brigade(f->next, bb, mode, block, readbytes);
        if (rv != APR_SUCCESS || APR_BRIGADE_EMPTY(bb)) {
            return rv;
        }
        for (e = APR_BRIGADE_FIRST(bb); e != APR_BRIGADE_SENTINEL(bb);
             e = next) {
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
                ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, f->r,
                              "bad request header: %s", sc->error);
                apr_brigade_cleanup(bb);
                /* Core answers 400 to both.  For APR_ENOSPC it says that
                 * a field exceeds the server's limit; otherwise the note
                 * (static text: core prints it unescaped) tells why. */
                if (sc->status == EX_SCAN_TOO_LONG) {
                    return APR_ENOSPC;
                }
                apr_table_setn(f->r->notes, "error-notes",
                               apr_pstrcat(f->r->pool, "Bad request header: ",
                                           sc->error, ".", NULL));
                return APR_EINVAL;
            }
        }
        if (sc->done) {
            ap_remove_input_filter(f);
            er->filter = NULL;
        }
        if (!APR_BRIGADE_EMPTY(bb)) {
            return APR_SUCCESS;
        }
    }
}

static void expect_pre_read_request(request_rec *r, conn_rec *c)
{
    core_server_config *core =
        ap_get_core_module_config(r->server->module_config);
    expect_req *er = apr_pcalloc(r->pool, sizeof(*er));

    ap_set_module_config(r->request_config, &expect_module, er);

    /* mod_http2 (2.x, as in httpd 2.4.5x and later) builds the request
     * from HEADERS frames before this hook runs: the field is already in
     * the table, and no header block is read through the filters. */
    if (c->master || !apr_is_empty_table(r->headers_in)) {
        er->value = apr_table_getm(r->pool, r->headers_in, "Expect");
        apr_table_unset(r->headers_in, "Expect");
        return;
    }

    /* HTTP/1.x: read the header block with core's own limits, so that an
     * Expect line is held to what any other line is (ap_get_mime_headers_core
     * reads lines of at most LimitRequestFieldSize + 2 bytes). */
    er->scan.line_max = (apr_size_t)r->server->limit_req_fieldsize + 2;
    er->scan.field_max = (apr_size_t)r->server->limit_req_fieldsize;
    er->scan.fields_max = r->server->limit_req_fields > 0
                          ? r->server->limit_req_fields : INT_MAX;
    er->scan.strict = core->http_conformance != AP_HTTP_CONFORMANCE_UNSAFE;
    ex_scan_init(&er->scan, r->pool);
    er->filter = ap_add_input_filter_handle(expect_in_handle, er, r, c);
}

static expect_req *get_req(request_rec *r)
{
    return ap_get_module_config(r->request_config, &expect_module);
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

/* Give the field back to the request, as core would have had it, before
 * any other module looks at the headers. */
static int expect_post_read_request(request_rec *r)
{
    expect_req *er = get_req(r);
    const ex_field *field;

    if (er == NULL) {
        return DECLINED;
    }
    if (er->filter) {           /* HTTP/0.9, or a block that did not end */
        ap_remove_input_filter(er->filter);
        er->filter = NULL;
    }
    if (er->value == NULL) {
        er->value = ex_scan_value(&er->scan);
    }
    if (er->value == NULL) {
        return DECLINED;
    }
    apr_table_setn(r->headers_in, "Expect", er->value);
    field = parse_value(r, er, er->value);

    /* What core sets: the handler's first read of the body sends
     * "100 Continue" when this is set. */
    r->expecting_100 = r->proto_num >= HTTP_VERSION(1, 1)
                       && ex_asks_continue(field);
    return DECLINED;
}

/* Does the request announce a body (RFC 9112 section 6.3)?  Not
 * ap_request_has_body(): it says no for HEAD, but a HEAD request's body is
 * framed like any other, and bytes left unread on the connection are what
 * must not happen.  Core has already refused an invalid Content-Length. */
static int has_body(request_rec *r)
{
    const char *cl;
    apr_off_t len;

    if (apr_table_get(r->headers_in, "Transfer-Encoding")) {
        return 1;
    }
    cl = apr_table_get(r->headers_in, "Content-Length");
    return cl && !(ap_parse_strict_length(&len, cl) && len == 0);
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

/* Refuse: 417 through ap_die, so that the ErrorDocument of the request's
 * own scope answers. */
static int refuse(request_rec *r, const ex_field *field, const ex_decision *d)
{
    log_refused(r, field, d, "refused");
    apr_table_setn(r->notes, "error-notes", refusal_note(r, field, d));
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

/* Judge the expectations where the request's whole configuration is known.
 * Runs first among header_parser hooks so the later ones see the outcome. */
static int expect_header_parser(request_rec *r)
{
    static const char *const status[] = { "met", "ignored", "rejected" };
    expect_dir_conf *conf;
    expect_req *er;
    const char *value;
    const ex_field *field;
    ex_decision d;

    if (r->main) {
        return DECLINED;        /* subrequests share the main request's */
    }
    if (r->prev) {
        /* An internal redirect, such as the ErrorDocument of a refused
         * request, carries the same headers: it is not judged again, but
         * it tells what happened. */
        const char *st = apr_table_get(r->prev->subprocess_env,
                                       "EXPECT_STATUS");
        if (st) {
            apr_table_setn(r->subprocess_env, "EXPECT_STATUS", st);
        }
        return DECLINED;
    }
    er = get_req(r);
    if (er == NULL || er->value == NULL) {
        return DECLINED;
    }

    /* What is judged is the field as it is now: a module may have removed
     * or changed it since post_read_request (RequestHeader ... early). */
    value = apr_table_getm(r->pool, r->headers_in, "Expect");
    if (value == NULL) {
        r->expecting_100 = 0;
        return DECLINED;
    }
    field = parse_value(r, er, value);
    conf = ap_get_module_config(r->per_dir_config, &expect_module);
    ex_decide(r->pool, field, conf->allow, conf->policy,
              r->proto_num >= HTTP_VERSION(1, 1), &d);
    apr_table_setn(r->subprocess_env, "EXPECT_STATUS", status[d.outcome]);
    if (counters) {
        ex_count(counters, field, &d);
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "Expect for %s: %s (%d refused%s)",
                  ap_escape_logitem(r->pool, r->uri), status[d.outcome],
                  d.refused->nelts, d.malformed ? ", malformed" : "");

    switch (d.outcome) {
    case EX_IGNORED:
        log_refused(r, field, &d, "dropped");
        if (d.kept) {
            apr_table_setn(r->headers_in, "Expect", d.kept);
        }
        else {
            apr_table_unset(r->headers_in, "Expect");
        }
        /* fall through */
    case EX_MET:
        r->expecting_100 = d.expect_100;
        return DECLINED;
    case EX_REJECTED:
    default:
        return refuse(r, field, &d);
    }
}

/* The counters are made once per parent process and kept in its pool, so
 * that they survive restarts (graceful or not): the new generation of
 * children inherits the same segment.  A restart may load another build of
 * the module: the key carries the layout's version (bump it whenever
 * ex_counters changes) and the size is checked too, so that a build with
 * another layout gets a segment of its own. */
static int expect_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    static const char key[] = "mod_expect counters v2";
    apr_pool_t *process = s->process->pool;
    apr_shm_t *shm;
    apr_status_t rv;
    void *data;

    (void)pconf;
    (void)plog;
    (void)ptemp;
    apr_pool_userdata_get(&data, key, process);
    if (data && apr_shm_size_get(data) == sizeof(ex_counters)) {
        counters = apr_shm_baseaddr_get(data);
        return OK;
    }
    rv = apr_shm_create(&shm, sizeof(ex_counters), NULL, process);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s,
                     "cannot create shared memory for the Expect counters: "
                     "mod_status will not show them");
        counters = NULL;
        return OK;
    }
    counters = apr_shm_baseaddr_get(shm);
    ex_counters_init(counters);
    apr_pool_userdata_set(shm, key, apr_pool_cleanup_null, process);
    return OK;
}

/* mod_status: a section in /server-status, lines in ?auto. */
static int expect_status_hook(request_rec *r, int flags)
{
    static const struct {
        const char *key;        /* for ?auto */
        const char *text;       /* for the page */
        apr_size_t offset;
    } fields[] = {
        { "ExpectRequests", "Requests with an Expect field",
          APR_OFFSETOF(ex_counters, requests) },
        { "ExpectMet", "Met", APR_OFFSETOF(ex_counters, met) },
        { "ExpectRejected", "Rejected (417)",
          APR_OFFSETOF(ex_counters, rejected) },
        { "ExpectIgnored", "Ignored (lenient dropped members)",
          APR_OFFSETOF(ex_counters, ignored) },
        { "ExpectContinue", "100-continue requested",
          APR_OFFSETOF(ex_counters, continue_100) },
        { "ExpectMalformed", "Malformed fields",
          APR_OFFSETOF(ex_counters, malformed) },
        { "ExpectWouldReject", "Dropped by lenient, refused by strict",
          APR_OFFSETOF(ex_counters, would_reject) },
    };
    int i;

    if (counters == NULL) {
        return OK;
    }
    if (!(flags & AP_STATUS_SHORT)) {
        ap_rputs("<hr />\n<h2>mod_expect</h2>\n<table>\n", r);
    }
    for (i = 0; i < (int)(sizeof(fields) / sizeof(fields[0])); i++) {
        apr_uint64_t n = apr_atomic_read64((volatile apr_uint64_t *)
                                           ((char *)counters
                                            + fields[i].offset));

        if (flags & AP_STATUS_SHORT) {
            ap_rprintf(r, "%s: %" APR_UINT64_T_FMT "\n", fields[i].key, n);
        }
        else {
            ap_rprintf(r, "<tr><td>%s</td><td>%" APR_UINT64_T_FMT
                       "</td></tr>\n", fields[i].text, n);
        }
    }
    /* Names are tokens: nothing in them needs escaping, here or in ?auto. */
    for (i = 0; i < EX_NAMES_MAX; i++) {
        const char *name = ex_counted_name(counters, i);
        apr_uint64_t n;

        if (name == NULL) {
            continue;
        }
        n = apr_atomic_read64(&counters->names[i].count);
        if (flags & AP_STATUS_SHORT) {
            ap_rprintf(r, "ExpectName_%s: %" APR_UINT64_T_FMT "\n", name, n);
        }
        else {
            ap_rprintf(r, "<tr><td>Expect: %s</td><td>%" APR_UINT64_T_FMT
                       "</td></tr>\n", name, n);
        }
    }
    if (flags & AP_STATUS_SHORT) {
        ap_rprintf(r, "ExpectNameOther: %" APR_UINT64_T_FMT "\n",
                   apr_atomic_read64(&counters->other_names));
    }
    else {
        ap_rprintf(r, "<tr><td>Expect: other names</td><td>%"
                   APR_UINT64_T_FMT "</td></tr>\n</table>\n",
                   apr_atomic_read64(&counters->other_names));
    }
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
    ap_hook_post_config(expect_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* Without mod_status loaded, nothing calls it. */
    APR_OPTIONAL_HOOK(ap, status_hook, expect_status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
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
