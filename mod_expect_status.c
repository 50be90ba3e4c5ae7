/* The counters as others read them: mod_status's table and ?auto lines,
 * and the expect-metrics handler's Prometheus exposition.  Both render one
 * snapshot of the shared counters (ex_counters_snapshot()).
 */
#include <stddef.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_status.h"

#include "apr_optional_hooks.h"
#include "apr_strings.h"

#include "expect_metrics.h"
#include "mod_expect_private.h"

/* What became of the 100-continues met: a line for both protocols, then
 * one each for HTTP/1.x and HTTP/2. */
static void status_continue(request_rec *r, int flags, const ex_snapshot *s)
{
    static const char *const proto[] = { "H1", "H2" };
    static const char *const proto_text[] = { "HTTP/1.x", "HTTP/2" };
    static const ex_cont_field delay = {
        NULL, NULL, "ExpectContinueDelayUs", "100-continue: microseconds from "
        "the end of the head to the 100, summed over those sent",
        offsetof(ex_continue_counts, delay_us)
    };
    int i, k;

    for (i = 0; i <= EX_CONT_OUTCOMES; i++) {
        const ex_cont_field *field = i < EX_CONT_OUTCOMES
                                     ? &ex_cont_fields[i] : &delay;
        apr_uint64_t n[EX_CONT_PROTOS];

        for (k = 0; k < EX_CONT_PROTOS; k++) {
            n[k] = ex_counter_at(&s->counts.by_proto[k], field->offset);
        }
        if (flags & AP_STATUS_SHORT) {
            ap_rprintf(r, "%s: %" APR_UINT64_T_FMT "\n", field->key,
                       n[0] + n[1]);
            for (k = 0; k < EX_CONT_PROTOS; k++) {
                ap_rprintf(r, "%s%s: %" APR_UINT64_T_FMT "\n",
                           field->key, proto[k], n[k]);
            }
        }
        else {
            ap_rprintf(r, "<tr><td>%s</td><td>%" APR_UINT64_T_FMT
                       "</td></tr>\n", field->text, n[0] + n[1]);
            for (k = 0; k < EX_CONT_PROTOS; k++) {
                ap_rprintf(r, "<tr><td>%s, %s</td><td>%" APR_UINT64_T_FMT
                           "</td></tr>\n", field->text, proto_text[k],
                           n[k]);
            }
        }
    }
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
          offsetof(ex_counters, requests) },
        { "ExpectMet", "Met", offsetof(ex_counters, met) },
        { "ExpectRejected", "Rejected (417)",
          offsetof(ex_counters, rejected) },
        { "ExpectIgnored", "Ignored (lenient dropped members)",
          offsetof(ex_counters, ignored) },
        { "ExpectContinue", "100-continue requested",
          offsetof(ex_counters, continue_100) },
        { "ExpectMalformed", "Malformed fields",
          offsetof(ex_counters, malformed) },
        { "ExpectWouldReject", "Dropped by lenient, refused by strict",
          offsetof(ex_counters, would_reject) },
        { "ExpectUnjudged",
          "Not judged: left to httpd's core (mod_http2 before 2.0)",
          offsetof(ex_counters, unjudged) },
    };
    ex_snapshot *s;
    int i;

    if (expect_counters == NULL) {
        return OK;
    }
    s = apr_palloc(r->pool, sizeof(*s));
    ex_counters_snapshot(expect_counters, s);
    if (!(flags & AP_STATUS_SHORT)) {
        ap_rputs("<hr />\n<h2>mod_expect</h2>\n<table>\n", r);
    }
    status_continue(r, flags, s);
    for (i = 0; i < (int)(sizeof(fields) / sizeof(fields[0])); i++) {
        apr_uint64_t n = ex_counter_at(&s->counts, fields[i].offset);

        if (flags & AP_STATUS_SHORT) {
            ap_rprintf(r, "%s: %" APR_UINT64_T_FMT "\n", fields[i].key, n);
        }
        else {
            ap_rprintf(r, "<tr><td>%s</td><td>%" APR_UINT64_T_FMT
                       "</td></tr>\n", fields[i].text, n);
        }
    }
    /* The names the configuration lists.  They are tokens: ?auto takes
     * them as they are, but '&' is a tchar, and HTML would read "&copy"
     * as an entity. */
    for (i = 0; i < s->nnames; i++) {
        if (flags & AP_STATUS_SHORT) {
            ap_rprintf(r, "ExpectName_%s: %" APR_UINT64_T_FMT "\n",
                       s->names[i].name, s->names[i].count);
        }
        else {
            ap_rprintf(r, "<tr><td>Expect: %s</td><td>%" APR_UINT64_T_FMT
                       "</td></tr>\n",
                       ap_escape_html(r->pool, s->names[i].name),
                       s->names[i].count);
        }
    }
    if (flags & AP_STATUS_SHORT) {
        ap_rprintf(r, "ExpectNameOther: %" APR_UINT64_T_FMT "\n",
                   s->counts.other_names);
    }
    else {
        ap_rprintf(r, "<tr><td>Expect: other names</td><td>%"
                   APR_UINT64_T_FMT "</td></tr>\n</table>\n",
                   s->counts.other_names);
    }
    return OK;
}

/* SetHandler expect-metrics: the counters for Prometheus, in the format
 * the scraper's Accept asks for.  Access is the admin's to control, as for
 * server-status. */
static int expect_metrics_handler(request_rec *r)
{
    ex_snapshot *s;
    ex_format format;
    const char *body;
    apr_size_t len;

    if (r->handler == NULL || strcmp(r->handler, "expect-metrics") != 0) {
        return DECLINED;
    }
    /* The Allow field of a 405: GET (and HEAD). */
    ap_allow_standard_methods(r, REPLACE_ALLOW, M_GET, -1);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (expect_counters == NULL) {
        return HTTP_SERVICE_UNAVAILABLE;
    }
    s = apr_palloc(r->pool, sizeof(*s));
    ex_counters_snapshot(expect_counters, s);
    format = ex_metrics_negotiate(apr_table_get(r->headers_in, "Accept"));
    body = ex_metrics_render(r->pool, s, format, &len);
    ap_set_content_type(r, ex_metrics_type(format));
    apr_table_mergen(r->headers_out, "Vary", "Accept");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_length(r, (apr_off_t)len);
    if (!r->header_only) {
        ap_rwrite(body, (int)len, r);
    }
    return OK;
}

void expect_status_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_handler(expect_metrics_handler, NULL, NULL, APR_HOOK_MIDDLE);
    /* Without mod_status loaded, nothing calls it. */
    APR_OPTIONAL_HOOK(ap, status_hook, expect_status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
