/* The counters in Prometheus's exposition formats: the text format 0.0.4
 * and OpenMetrics 1.0.0, which differ here only in three things: a
 * counter family's name in HELP and TYPE has no _total in OpenMetrics, a
 * family may say its UNIT, and the exposition ends with "# EOF".
 *
 * Every family has HELP and TYPE, and its samples follow them at once
 * (both formats require a family's samples to be together).  Label values
 * are escaped; names of metrics and labels are fixed here.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "expect_buf.h"
#include "expect_metrics.h"

/* The le labels of ex_delay_bounds_us, in seconds, as OpenMetrics'
 * canonical numbers (a float with a dot). */
static const char *const delay_le[EX_DELAY_BUCKETS] = {
    "0.0001", "0.00025", "0.0005",
    "0.001", "0.0025", "0.005",
    "0.01", "0.025", "0.05",
    "0.1", "0.25", "0.5",
    "1.0", "2.5", "5.0",
    "10.0"
};

static const char *const protocols[EX_CONT_PROTOS] = { "http1", "http2" };

/* The label a configured name gets in apache_expect_members_total, and
 * the catch-all's: "(other)" when a name "other" is configured, as '(' is
 * in no token. */
#define OTHER_NAME "other"

const char *ex_metrics_type(ex_format format)
{
    return format == EX_FORMAT_OPENMETRICS
           ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
           : "text/plain; version=0.0.4; charset=utf-8";
}

/* ---- Accept ---------------------------------------------------------- */

static const char *skip_ows(const char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    return s;
}

/* Does s[0..n) equal the lower-case word, in any case? */
static int is_word(const char *s, apr_size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

/* A qvalue (RFC 9110 section 12.4.2) in thousandths; -1 if it is none. */
static int qvalue(const char *s, apr_size_t n)
{
    int q = 0, scale = 1000;
    apr_size_t i;

    if (n > 0 && s[0] == '"' && n >= 2 && s[n - 1] == '"') {
        s++;
        n -= 2;
    }
    if (n == 0 || (s[0] != '0' && s[0] != '1')) {
        return -1;
    }
    q = (s[0] - '0') * 1000;
    if (n == 1) {
        return q;
    }
    if (s[1] != '.' || n > 5) {
        return -1;
    }
    for (i = 2; i < n; i++) {
        if (!apr_isdigit(s[i])) {
            return -1;
        }
        scale /= 10;
        q += (s[i] - '0') * scale;
    }
    return q > 1000 ? -1 : q;
}

ex_format ex_metrics_negotiate(const char *accept)
{
    int best_om = 0, best_text = 0;   /* q in thousandths; 0: not at all */
    const char *s = accept;

    if (accept == NULL) {
        return EX_FORMAT_TEXT;
    }
    while (*s) {
        const char *type;
        apr_size_t type_len;
        int q = 1000, om_version_ok = 1, is_om, is_text;

        s = skip_ows(s);
        type = s;
        while (*s && *s != ';' && *s != ',' && *s != ' ' && *s != '\t') {
            s++;
        }
        type_len = (apr_size_t)(s - type);
        s = skip_ows(s);
        while (*s == ';') {
            const char *name, *value;
            apr_size_t name_len, value_len;

            s = skip_ows(s + 1);
            name = s;
            while (*s && *s != '=' && *s != ';' && *s != ',') {
                s++;
            }
            name_len = (apr_size_t)(s - name);
            while (name_len > 0 && (name[name_len - 1] == ' '
                                    || name[name_len - 1] == '\t')) {
                name_len--;
            }
            value = s;
            value_len = 0;
            if (*s == '=') {
                value = s = skip_ows(s + 1);
                if (*s == '"') {
                    for (s++; *s && *s != '"'; s++) {
                        if (*s == '\\' && s[1]) {
                            s++;
                        }
                    }
                    if (*s == '"') {
                        s++;
                    }
                }
                else {
                    while (*s && *s != ';' && *s != ',') {
                        s++;
                    }
                }
                value_len = (apr_size_t)(s - value);
                while (value_len > 0 && (value[value_len - 1] == ' '
                                         || value[value_len - 1] == '\t')) {
                    value_len--;
                }
            }
            if (is_word(name, name_len, "q")) {
                q = qvalue(value, value_len);
                if (q < 0) {
                    q = 0;      /* not a qvalue: the range is not taken */
                }
            }
            else if (is_word(name, name_len, "version")) {
                om_version_ok = is_word(value, value_len, "1.0.0")
                                || is_word(value, value_len, "\"1.0.0\"");
            }
            s = skip_ows(s);
        }
        while (*s && *s != ',') {
            s++;                /* junk after a range: skipped */
        }
        if (*s == ',') {
            s++;
        }
        is_om = is_word(type, type_len, "application/openmetrics-text")
                && om_version_ok;
        is_text = is_word(type, type_len, "text/plain")
                  || is_word(type, type_len, "text/*")
                  || is_word(type, type_len, "*/*");
        if (is_om && q > best_om) {
            best_om = q;
        }
        if (is_text && q > best_text) {
            best_text = q;
        }
    }
    return best_om > best_text ? EX_FORMAT_OPENMETRICS : EX_FORMAT_TEXT;
}

/* ---- the writer ------------------------------------------------------ */

/* The exposition being written: its text, and the format. */
typedef struct {
    ex_buf text;
    ex_format format;
} writer;

static void put(writer *w, const char *s)
{
    ex_buf_puts(&w->text, s);
}

static void put_u64(writer *w, apr_uint64_t n)
{
    char buf[24];

    ex_buf_add(&w->text, buf,
               (apr_size_t)apr_snprintf(buf, sizeof(buf),
                                        "%" APR_UINT64_T_FMT, n));
}

/* Microseconds as seconds, exactly: a decimal fraction of six digits. */
static void put_seconds(writer *w, apr_uint64_t us)
{
    char buf[32];

    ex_buf_add(&w->text, buf,
               (apr_size_t)apr_snprintf(buf, sizeof(buf),
                                        "%" APR_UINT64_T_FMT ".%06u",
                                        us / 1000000,
                                        (unsigned)(us % 1000000)));
}

/* HELP and TYPE (and UNIT, for OpenMetrics) of a family.  name is the
 * family's name without _total; a counter's samples add it. */
static void family(writer *w, const char *name, const char *type,
                   const char *unit, const char *help)
{
    int suffix = w->format == EX_FORMAT_TEXT && strcmp(type, "counter") == 0;

    put(w, "# HELP ");
    put(w, name);
    put(w, suffix ? "_total " : " ");
    put(w, help);
    put(w, "\n# TYPE ");
    put(w, name);
    put(w, suffix ? "_total " : " ");
    put(w, type);
    put(w, "\n");
    if (unit && w->format == EX_FORMAT_OPENMETRICS) {
        put(w, "# UNIT ");
        put(w, name);
        put(w, " ");
        put(w, unit);
        put(w, "\n");
    }
}

/* A label value, escaped as both formats want: backslash, double quote
 * and line feed as \\, \" and \n.  A configured name is a token,
 * which has none of them, but a slot holds whatever the parent wrote. */
static void put_label_value(writer *w, const char *v)
{
    for (; *v; v++) {
        switch (*v) {
        case '\\':
            put(w, "\\\\");
            break;
        case '"':
            put(w, "\\\"");
            break;
        case '\n':
            put(w, "\\n");
            break;
        default:
            ex_buf_add(&w->text, v, 1);
        }
    }
}

/* One sample: name (with its suffix), up to two labels (NULL name: none),
 * value. */
static void sample(writer *w, const char *name, const char *l1,
                   const char *v1, const char *l2, const char *v2,
                   apr_uint64_t value)
{
    put(w, name);
    if (l1) {
        put(w, "{");
        put(w, l1);
        put(w, "=\"");
        put_label_value(w, v1);
        put(w, "\"");
        if (l2) {
            put(w, ",");
            put(w, l2);
            put(w, "=\"");
            put_label_value(w, v2);
            put(w, "\"");
        }
        put(w, "}");
    }
    put(w, " ");
    put_u64(w, value);
    put(w, "\n");
}

const char *ex_metrics_render(apr_pool_t *p, const ex_snapshot *s,
                              ex_format format, apr_size_t *len)
{
    static const ex_outcome outcomes[] = { EX_MET, EX_IGNORED,
                                           EX_REJECTED };
    static const struct {
        const char *name;
        const char *help;
        apr_size_t offset;
    } single[] = {
        { "apache_expect_continue_requests",
          "Judged requests with a 100-continue member.",
          offsetof(ex_counters, continue_100) },
        { "apache_expect_malformed", "Expect fields that do not parse.",
          offsetof(ex_counters, malformed) },
        { "apache_expect_would_reject", "Members (or malformed fields) that "
          "ExpectPolicy lenient dropped and strict would have refused.",
          offsetof(ex_counters, would_reject) },
        { "apache_expect_unjudged", "Requests with an Expect field that "
          "httpd's core judged, not mod_expect.",
          offsetof(ex_counters, unjudged) },
    };
    const ex_counters *c = &s->counts;
    const char *other = OTHER_NAME;
    writer w;
    int i, k;

    ex_buf_init(&w.text, p, 8192);
    w.format = format;

    family(&w, "apache_expect_requests", "counter", NULL,
           "Requests with an Expect field that mod_expect judged, by "
           "outcome (EXPECT_STATUS).");
    for (i = 0; i < (int)(sizeof(outcomes) / sizeof(outcomes[0])); i++) {
        sample(&w, "apache_expect_requests_total", "outcome",
               ex_outcome_name(outcomes[i]), NULL, NULL,
               ex_counter_at(c, ex_outcome_offset(outcomes[i])));
    }
    for (i = 0; i < (int)(sizeof(single) / sizeof(single[0])); i++) {
        family(&w, single[i].name, "counter", NULL, single[i].help);
        put(&w, single[i].name);
        put(&w, "_total ");
        put_u64(&w, ex_counter_at(c, single[i].offset));
        put(&w, "\n");
    }

    family(&w, "apache_expect_members", "counter", NULL,
           "Members of judged Expect fields, by name: each name the server "
           "configuration lists in ExpectAllow, 100-continue, and the rest "
           "together.");
    for (i = 0; i < s->nnames; i++) {
        if (strcmp(s->names[i].name, OTHER_NAME) == 0) {
            other = "(" OTHER_NAME ")";
        }
    }
    for (i = 0; i < s->nnames; i++) {
        sample(&w, "apache_expect_members_total", "name", s->names[i].name,
               NULL, NULL, s->names[i].count);
    }
    sample(&w, "apache_expect_members_total", "name", other, NULL, NULL,
           c->other_names);

    family(&w, "apache_expect_continue", "counter", NULL,
           "What became of each met 100-continue on a request with a body "
           "(EXPECT_CONTINUE), by protocol.");
    for (i = 0; i < EX_CONT_OUTCOMES; i++) {
        for (k = 0; k < EX_CONT_PROTOS; k++) {
            sample(&w, "apache_expect_continue_total", "outcome",
                   ex_cont_fields[i].label, "protocol", protocols[k],
                   ex_counter_at(&c->by_proto[k],
                                 ex_cont_fields[i].offset));
        }
    }

    family(&w, "apache_expect_continue_delay_seconds", "histogram",
           "seconds", "Time from the end of the request head to the interim "
           "100, for each 100-continue whose 100 went out, by protocol.");
    for (k = 0; k < EX_CONT_PROTOS; k++) {
        apr_uint64_t cumulative = 0;

        for (i = 0; i <= EX_DELAY_BUCKETS; i++) {
            cumulative += c->by_proto[k].delay_in[i];
            sample(&w, "apache_expect_continue_delay_seconds_bucket",
                   "protocol", protocols[k], "le",
                   i < EX_DELAY_BUCKETS ? delay_le[i] : "+Inf", cumulative);
        }
        put(&w, "apache_expect_continue_delay_seconds_sum{protocol=\"");
        put(&w, protocols[k]);
        put(&w, "\"} ");
        put_seconds(&w, c->by_proto[k].delay_us);
        put(&w, "\n");
        /* The count is the +Inf bucket, as both formats require, read
         * from the same snapshot. */
        sample(&w, "apache_expect_continue_delay_seconds_count", "protocol",
               protocols[k], NULL, NULL, cumulative);
    }
    if (format == EX_FORMAT_OPENMETRICS) {
        put(&w, "# EOF\n");
    }
    *len = w.text.len;
    return w.text.data;
}
