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

#include "expect.h"

/* One line per outcome: the exposition's label, the ?auto key, the HTML
 * row, the counter. */
const ex_cont_field ex_cont_fields[] = {
    { "sent", "ExpectContinueSent", "100-continue: the 100 went out",
      offsetof(ex_continue_counts, sent) },
    { "skipped", "ExpectContinueSkipped", "100-continue: a final status "
      "went out first", offsetof(ex_continue_counts, skipped) },
    { "early_body", "ExpectContinueEarlyBody", "100-continue: the body came "
      "before any 100", offsetof(ex_continue_counts, early_body) },
    { "abandoned", "ExpectContinueAbandoned", "100-continue: the client "
      "went away first", offsetof(ex_continue_counts, abandoned) },
    { "unknown", "ExpectContinueUnknown", "100-continue: httpd cannot "
      "tell which of two outcomes", offsetof(ex_continue_counts, unknown) },
};
const int ex_cont_nfields = sizeof(ex_cont_fields) / sizeof(ex_cont_fields[0]);

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

typedef struct {
    apr_pool_t *pool;
    char *data;
    apr_size_t len, size;
    ex_format format;
} out_t;

static void put(out_t *o, const char *s, apr_size_t n)
{
    if (o->len + n + 1 > o->size) {
        apr_size_t size = o->size * 2;
        char *data;

        while (size < o->len + n + 1) {
            size *= 2;
        }
        data = apr_palloc(o->pool, size);
        memcpy(data, o->data, o->len);
        o->data = data;
        o->size = size;
    }
    memcpy(o->data + o->len, s, n);
    o->len += n;
    o->data[o->len] = '\0';
}

static void puts_(out_t *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_u64(out_t *o, apr_uint64_t n)
{
    char buf[24];

    put(o, buf, (apr_size_t)apr_snprintf(buf, sizeof(buf),
                                         "%" APR_UINT64_T_FMT, n));
}

/* Microseconds as seconds, exactly: a decimal fraction of six digits. */
static void put_seconds(out_t *o, apr_uint64_t us)
{
    char buf[32];

    put(o, buf, (apr_size_t)apr_snprintf(buf, sizeof(buf),
                                         "%" APR_UINT64_T_FMT ".%06u",
                                         us / 1000000,
                                         (unsigned)(us % 1000000)));
}

/* HELP and TYPE (and UNIT, for OpenMetrics) of a family.  name is the
 * family's name without _total; a counter's samples add it. */
static void family(out_t *o, const char *name, const char *type,
                   const char *unit, const char *help)
{
    int suffix = o->format == EX_FORMAT_TEXT && strcmp(type, "counter") == 0;

    puts_(o, "# HELP ");
    puts_(o, name);
    puts_(o, suffix ? "_total " : " ");
    puts_(o, help);
    puts_(o, "\n# TYPE ");
    puts_(o, name);
    puts_(o, suffix ? "_total " : " ");
    puts_(o, type);
    puts_(o, "\n");
    if (unit && o->format == EX_FORMAT_OPENMETRICS) {
        puts_(o, "# UNIT ");
        puts_(o, name);
        puts_(o, " ");
        puts_(o, unit);
        puts_(o, "\n");
    }
}

/* A label value, escaped. */
static void put_label_value(out_t *o, const char *v)
{
    for (; *v; v++) {
        switch (*v) {
        case '\\':
            puts_(o, "\\\\");
            break;
        case '"':
            puts_(o, "\\\"");
            break;
        case '\n':
            puts_(o, "\\n");
            break;
        default:
            put(o, v, 1);
        }
    }
}

/* One sample: name (with its suffix), up to two labels (NULL name: none),
 * value. */
static void sample(out_t *o, const char *name, const char *l1,
                   const char *v1, const char *l2, const char *v2,
                   apr_uint64_t value)
{
    puts_(o, name);
    if (l1) {
        puts_(o, "{");
        puts_(o, l1);
        puts_(o, "=\"");
        put_label_value(o, v1);
        puts_(o, "\"");
        if (l2) {
            puts_(o, ",");
            puts_(o, l2);
            puts_(o, "=\"");
            put_label_value(o, v2);
            puts_(o, "\"");
        }
        puts_(o, "}");
    }
    puts_(o, " ");
    put_u64(o, value);
    puts_(o, "\n");
}

const char *ex_label_escape(apr_pool_t *p, const char *value)
{
    out_t o;

    if (strpbrk(value, "\\\"\n") == NULL) {
        return value;
    }
    o.pool = p;
    o.size = strlen(value) * 2 + 1;
    o.data = apr_palloc(p, o.size);
    o.len = 0;
    o.data[0] = '\0';
    put_label_value(&o, value);
    return o.data;
}

const char *ex_metrics_render(apr_pool_t *p, const ex_snapshot *s,
                              ex_format format, apr_size_t *len)
{
    static const struct {
        const char *label;
        apr_size_t offset;
    } outcomes[] = {
        { "met", offsetof(ex_counters, met) },
        { "ignored", offsetof(ex_counters, ignored) },
        { "rejected", offsetof(ex_counters, rejected) },
    };
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
    out_t o;
    int i, k;

    o.pool = p;
    o.size = 8192;
    o.data = apr_palloc(p, o.size);
    o.len = 0;
    o.format = format;

#define AT(base, off) \
    (*(const apr_uint64_t *)(const void *)((const char *)(base) + (off)))

    family(&o, "apache_expect_requests", "counter", NULL,
           "Requests with an Expect field that mod_expect judged, by "
           "outcome (EXPECT_STATUS).");
    for (i = 0; i < (int)(sizeof(outcomes) / sizeof(outcomes[0])); i++) {
        sample(&o, "apache_expect_requests_total", "outcome",
               outcomes[i].label, NULL, NULL, AT(c, outcomes[i].offset));
    }
    for (i = 0; i < (int)(sizeof(single) / sizeof(single[0])); i++) {
        family(&o, single[i].name, "counter", NULL, single[i].help);
        puts_(&o, single[i].name);
        puts_(&o, "_total ");
        put_u64(&o, AT(c, single[i].offset));
        puts_(&o, "\n");
    }

    family(&o, "apache_expect_members", "counter", NULL,
           "Members of judged Expect fields, by name: each name the server "
           "configuration lists in ExpectAllow, 100-continue, and the rest "
           "together.");
    for (i = 0; i < s->nnames; i++) {
        if (strcmp(s->names[i].name, OTHER_NAME) == 0) {
            other = "(" OTHER_NAME ")";
        }
    }
    for (i = 0; i < s->nnames; i++) {
        sample(&o, "apache_expect_members_total", "name", s->names[i].name,
               NULL, NULL, s->names[i].count);
    }
    sample(&o, "apache_expect_members_total", "name", other, NULL, NULL,
           c->other_names);

    family(&o, "apache_expect_continue", "counter", NULL,
           "What became of each met 100-continue on a request with a body "
           "(EXPECT_CONTINUE), by protocol.");
    for (i = 0; i < ex_cont_nfields; i++) {
        for (k = 0; k < EX_CONT_PROTOS; k++) {
            sample(&o, "apache_expect_continue_total", "outcome",
                   ex_cont_fields[i].label, "protocol", protocols[k],
                   AT(&c->cont[k], ex_cont_fields[i].offset));
        }
    }

    family(&o, "apache_expect_continue_delay_seconds", "histogram",
           "seconds", "Time from the end of the request head to the interim "
           "100, for each 100-continue whose 100 went out, by protocol.");
    for (k = 0; k < EX_CONT_PROTOS; k++) {
        apr_uint64_t cumulative = 0;

        for (i = 0; i <= EX_DELAY_BUCKETS; i++) {
            cumulative += c->cont[k].delay_in[i];
            sample(&o, "apache_expect_continue_delay_seconds_bucket",
                   "protocol", protocols[k], "le",
                   i < EX_DELAY_BUCKETS ? delay_le[i] : "+Inf", cumulative);
        }
        puts_(&o, "apache_expect_continue_delay_seconds_sum{protocol=\"");
        puts_(&o, protocols[k]);
        puts_(&o, "\"} ");
        put_seconds(&o, c->cont[k].delay_us);
        puts_(&o, "\n");
        /* The count is the +Inf bucket, as both formats require, read
         * from the same snapshot. */
        sample(&o, "apache_expect_continue_delay_seconds_count", "protocol",
               protocols[k], NULL, NULL, cumulative);
    }
#undef AT

    if (format == EX_FORMAT_OPENMETRICS) {
        puts_(&o, "# EOF\n");
    }
    *len = o.len;
    return o.data;
}
