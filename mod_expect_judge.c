/* Judging the Expect field in the request's own scope: each scope's
 * ExpectAllow and ExpectPolicy, the 417 through the scope's ErrorDocument,
 * what a lenient scope leaves the application, and the scopes an internal
 * redirect adds.  header_parser is the first hook where <Directory>,
 * <Location>, <If> and .htaccess are merged. */
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_core.h"

#include "apr_strings.h"

#include "mod_expect_private.h"

/* Its lines carry the module's name, and LogLevel expect:... applies. */
APLOG_USE_MODULE(expect);

const ex_field *expect_parse(request_rec *r, expect_req *er,
                             const char *value)
{
    expect_judgement *j = &er->judgement;

    if (j->parsed_value != value) {
        ex_parse(r->pool, value, strlen(value), &j->field);
        j->parsed_value = value;
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "Expect: %s parsed into %d member(s)%s%s",
                      ap_escape_logitem(r->pool, value),
                      j->field.members->nelts,
                      j->field.error ? ", malformed: " : "",
                      j->field.error ? j->field.error : "");
    }
    return &j->field;
}

/* Not ap_request_has_body(): it says no for HEAD, but a HEAD request's
 * body is framed like any other, and bytes left unread on the connection
 * are what must not happen.  Core has already refused an invalid
 * Content-Length; one of 0 is, as ap_parse_strict_length() reads it, one
 * or more zeros and nothing else. */
int expect_has_body(request_rec *r)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length"), *p;

    if (cl) {
        for (p = cl; *p == '0'; p++) {
        }
        if (p == cl || *p != '\0') {
            return 1;
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

/* Core's own 417 page ends "Only the 100-continue expectation is
 * supported.", which is false wherever ExpectAllow says otherwise.  Where
 * no ErrorDocument applies, the page says what this scope meets. */
static void set_default_page(request_rec *r, const expect_dir_conf *conf,
                             const char *note)
{
    const char *const *names = (const char *const *)conf->allow->elts;
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

/* Refuse: 417 through ap_die(), so that the ErrorDocument of the request's
 * own scope answers. */
static int refuse(request_rec *r, expect_req *er, const expect_dir_conf *conf,
                  const ex_field *field, const ex_decision *d)
{
    const char *note = refusal_note(r, field, d);

    log_refused(r, field, d, "refused");
    apr_table_setn(r->notes, "error-notes", note);
    set_default_page(r, conf, note);
    expect_continue_refused(er);
    if (!expect_has_body(r)) {
        /* Nothing to read: the connection can stay. */
        r->expecting_100 = 0;
        return HTTP_EXPECTATION_FAILED;
    }
    /* The body is not read.  With expecting_100 set and a status that is
     * not 2xx, core's HTTP_IN gives whoever reads now (an ErrorDocument
     * script too) the end of the body at once, and sends no 100; HTTP/1.0
     * has no such guard, so only closing protects it.  The unread body
     * must never be taken for the next request (RFC 9112 section 9.3):
     * answer at once and close, as RFC 9110 section 10.1.1 asks a server
     * that answers before reading the content to say. */
    r->expecting_100 = 1;
    if (r->connection->master == NULL) {
        r->connection->keepalive = AP_CONN_CLOSE;
    }
    return HTTP_EXPECTATION_FAILED;
}

/* What the application sees: the field without what any scope dropped. */
static void rewrite_field(request_rec *r, const ex_field *field,
                          const ex_chain *chain)
{
    const char *kept;

    if (chain->dropped_whole) {
        apr_table_unset(r->headers_in, "Expect");
        return;
    }
    if (chain->dropped == 0) {
        return;
    }
    kept = ex_join(r->pool, field, chain->dropped);
    if (kept) {
        apr_table_setn(r->headers_in, "Expect", kept);
    }
    else {
        apr_table_unset(r->headers_in, "Expect");
    }
}

/* Judge the field in the scope r is in.  A request that an earlier scope
 * judged already (it was redirected internally) must be met by this scope
 * too, as access control must grant it in each: this scope judges the
 * same field the first one did, all its members, whatever an earlier
 * lenient scope dropped; the strictest answer wins, and the request is
 * counted once. */
static int judge(request_rec *r, expect_req *er)
{
    expect_judgement *j = &er->judgement;
    const expect_dir_conf *conf = expect_dir_conf_of(r);
    const ex_field *field;
    ex_decision d;
    ex_outcome before = j->chain.outcome;
    int redirected = j->counted, newly_dropped;

    /* The first scope judges the field as it is now: a module may have
     * removed or changed it since post_read_request (RequestHeader ...
     * early).  expecting_100 stays as the client's field set it: the
     * client waits all the same. */
    if (er->hidden.until_quick_handler) {   /* no quick_handler: a lookup */
        expect_give_back(r, er);
    }
    if (!j->judged) {
        j->judged = 1;
        j->value = apr_table_getm(r->pool, r->headers_in, "Expect");
    }
    j->conf = conf;
    if (j->value == NULL) {
        return DECLINED;
    }
    field = expect_parse(r, er, j->value);
    ex_decide(r->pool, field, conf->allow, conf->policy,
              r->proto_num >= HTTP_VERSION(1, 1), &d);
    j->counted = 1;
    newly_dropped = ex_chain_add(&j->chain, &d);
    if (expect_counters) {
        if (!redirected) {
            ex_count(expect_counters, field, &d);
        }
        else {
            ex_count_again(expect_counters, before, j->chain.outcome,
                           (apr_uint64_t)newly_dropped);
        }
    }
    apr_table_setn(r->subprocess_env, "EXPECT_STATUS",
                   ex_outcome_name(j->chain.outcome));
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "Expect for %s: %s (%d refused%s)%s",
                  ap_escape_logitem(r->pool, r->uri),
                  ex_outcome_name(d.outcome), d.refused->nelts,
                  d.malformed ? ", malformed" : "",
                  redirected ? ", judged again after an internal redirect"
                             : "");

    if (d.outcome == EX_REJECTED) {
        return refuse(r, er, conf, field, &d);
    }
    if (d.outcome == EX_IGNORED) {
        /* A dropped 100-continue is still answered when the body is read
         * (RFC 9110 section 10.1.1: an immediate 100 or final status, never
         * the client's timer); the application just does not see it.  A
         * malformed field asked for nothing: dropped whole, it is as if it
         * were absent, and expecting_100 stays as expect_give_back() left
         * it (unset), so no 100 answers it.  "y 100-continue" is such a
         * field, and a front that reads it as 100-continue (Go, Node)
         * while this server sends 100 is how 2025's Expect-based desyncs
         * began (docs/proxies.md, "Expect and request smuggling"). */
        log_refused(r, field, &d, "dropped");
    }
    if (newly_dropped) {
        /* EXPECT_DROPPED: what the lenient scopes dropped, each member
         * once, in the field's order (the whole field if it does not
         * parse), escaped as log items are, since a quoted-string may hold
         * any byte but CR, LF and NUL. */
        apr_table_setn(r->subprocess_env, "EXPECT_DROPPED",
                       ap_escape_logitem(r->pool,
                                         j->chain.dropped_whole
                                         ? j->value
                                         : ex_join(r->pool, field,
                                                   ~j->chain.dropped)));
    }
    rewrite_field(r, field, &j->chain);
    return DECLINED;
}

/* Judge the expectations where the request's whole configuration is known.
 * httpd runs header_parser for main requests only: an internal redirect
 * gets here, a subrequest does not. */
static int expect_header_parser(request_rec *r)
{
    expect_req *er;
    int status;

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
        er = expect_req_of(first);
        if (er == NULL || er->hidden.value == NULL) {
            return DECLINED;
        }
        ap_set_module_config(r->request_config, &expect_module, er);
        return judge(r, er);
    }
    er = expect_req_of(r);
    if (er == NULL || er->hidden.value == NULL) {
        return DECLINED;
    }
    status = judge(r, er);
    if (status != DECLINED) {
        return status;
    }
    /* Met or dropped: from here on, whatever final status the request gets
     * (a 401, a 413, the handler's), a 100-continue it made is watched. */
    expect_continue_watch(r, er);
    return DECLINED;
}

/* A fast redirect (mod_dir's DirectoryIndex, mod_negotiation's MultiViews)
 * puts a subrequest's configuration into the request after header_parser:
 * the scope that serves it is judged here, once, at the end of fixups. */
static int expect_fixups(request_rec *r)
{
    expect_req *er = expect_req_of(r);

    if (er == NULL || !er->judgement.judged || r->main
        || expect_dir_conf_of(r) == er->judgement.conf) {
        return DECLINED;
    }
    return judge(r, er);
}

void expect_judge_register_hooks(apr_pool_t *p)
{
    /* DirectoryIndex's fast redirect comes from mod_dir's fixup. */
    static const char *const after_fixups[] = { "mod_dir.c", NULL };

    (void)p;
    /* First of all: every later header_parser hook (SetEnvIf) sees
     * EXPECT_STATUS and the field as the scope left it. */
    ap_hook_header_parser(expect_header_parser, NULL, NULL,
                          APR_HOOK_REALLY_FIRST);
    ap_hook_fixups(expect_fixups, after_fixups, NULL, APR_HOOK_REALLY_LAST);
}
