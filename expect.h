/* mod_expect: the pure part.
 *
 * Everything declared here is plain C over APR: it never includes httpd.h,
 * so the unit tests and the fuzzers drive it without a server.
 *
 *   expect_field.c   parses an Expect field value (RFC 9110 section 10.1.1)
 *   expect_policy.c  decides what a scope does with the parsed members
 *   expect_scan.c    finds Expect lines in an HTTP/1.x header block as it
 *                    is read, in pieces of any size
 *   expect_counters.c counts what the decisions were, in memory shared by
 *                    every process and thread, without locks
 *   expect_metrics.c writes a snapshot of the counters in Prometheus's
 *                    exposition formats
 */
#ifndef EXPECT_H
#define EXPECT_H

#include <apr_atomic.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_version.h>

/* 64-bit atomics for the counters: GCC's __atomic builtins (GCC 4.7 on,
 * clang) where 8-byte ones are lock-free, so the compiler puts them in
 * place: a request bumps up to seven counters, and each call to APR's
 * costs more than its add.  Elsewhere (armel, 32-bit MIPS or PowerPC)
 * they would be calls into libatomic, which apxs does not link and whose
 * locks do not reach across processes: APR's (1.7.0 on) stand in.  RHEL 8
 * ships APR 1.6.3, on x86-64 and aarch64, where the builtins are
 * lock-free.  EX_ATOMIC_APR takes APR's on any compiler, for the unit
 * tests (make unit builds the suite both ways). */
#if defined(__GCC_ATOMIC_LLONG_LOCK_FREE) && __GCC_ATOMIC_LLONG_LOCK_FREE == 2 \
    && !defined(EX_ATOMIC_APR)
#define ex_atomic_read64(m)     __atomic_load_n((m), __ATOMIC_SEQ_CST)
#define ex_atomic_inc64(m) \
    ((void)__atomic_fetch_add((m), 1, __ATOMIC_SEQ_CST))
#define ex_atomic_dec64(m) \
    ((void)__atomic_fetch_sub((m), 1, __ATOMIC_SEQ_CST))
#define ex_atomic_add64(m, v) \
    ((void)__atomic_fetch_add((m), (v), __ATOMIC_SEQ_CST))
#define ex_atomic_set64(m, v)   __atomic_store_n((m), (v), __ATOMIC_SEQ_CST)
#elif APR_VERSION_AT_LEAST(1, 7, 0)
#define ex_atomic_read64(m)     apr_atomic_read64(m)
#define ex_atomic_inc64(m)      ((void)apr_atomic_inc64(m))
#define ex_atomic_dec64(m)      ((void)apr_atomic_dec64(m))
#define ex_atomic_add64(m, v)   ((void)apr_atomic_add64((m), (v)))
#define ex_atomic_set64(m, v)   apr_atomic_set64((m), (v))
#else
#error "64-bit atomics: lock-free GCC or clang builtins, or APR 1.7 or later"
#endif

/* A field with more members than this is refused as malformed: no client
 * needs it, and it bounds the work a hostile field can cause. */
#define EX_MAX_MEMBERS 64

/* One member of the list, pointing into the parsed value. */
typedef struct {
    const char *name;        /* the expectation's name, as sent */
    apr_size_t name_len;
    const char *text;        /* the whole member, without surrounding OWS */
    apr_size_t text_len;
} ex_member;

typedef struct {
    apr_array_header_t *members; /* ex_member; empty elements are skipped */
    const char *error;           /* NULL when the value parses, else why not */
    apr_size_t error_at;         /* offset of the byte the parse stopped at */
    int only_100;                /* the value is exactly "100-continue": one
                                  * member, that one (a shortcut; the same
                                  * value in another case parses to the same
                                  * member with this 0) */
} ex_field;

/* Is this byte a tchar of RFC 9110 section 5.6.2? */
int ex_is_tchar(unsigned char c);

/* Is the whole string (len > 0) a token? */
int ex_is_token(const char *s, apr_size_t len);

/* Parse an Expect field value of len bytes.  Returns 1 when it parses,
 * 0 when it does not (out->error says why; out->members holds the members
 * read before the error).  out->members is allocated from p. */
int ex_parse(apr_pool_t *p, const char *value, apr_size_t len, ex_field *out);

/* Does the member have the name (compared case-insensitively)? */
int ex_member_is(const ex_member *m, const char *name);

/* Does a field that parses have a 100-continue member?  The exact value
 * says so without a call; any other is walked (ex_asks_continue_walk). */
int ex_asks_continue_walk(const ex_field *field);

static APR_INLINE int ex_asks_continue(const ex_field *field)
{
    return field->only_100 || ex_asks_continue_walk(field);
}


/* ---- policy ---------------------------------------------------------- */

typedef enum {
    EX_POLICY_STRICT = 0,
    EX_POLICY_LENIENT
} ex_policy;

typedef enum {
    EX_MET = 0,              /* every member can be met here */
    EX_IGNORED,              /* lenient: members were dropped, the rest met */
    EX_REJECTED              /* strict: answer 417 */
} ex_outcome;

typedef struct {
    ex_outcome outcome;
    int malformed;           /* the field did not parse */
    int expect_100;          /* a 100-continue member survives, HTTP/1.1+ */
    const apr_array_header_t *refused; /* int indexes into field->members
                                        * of the members refused (strict)
                                        * or dropped (lenient); an empty
                                        * list is shared, never added to */
    const char *kept;        /* EX_IGNORED: the value that stays, or NULL
                              * when nothing does */
} ex_decision;

/* Decide what a scope does with a parsed field.
 * allow:  lower-case names the scope can meet (const char *); an empty
 *         array is "none".
 * http11: the request is HTTP/1.1 or later.  A 100-continue member of an
 *         HTTP/1.0 request is ignored (RFC 9110 section 10.1.1), whatever
 *         the allow list says.
 * The decision's arrays and strings are allocated from p. */
void ex_decide(apr_pool_t *p, const ex_field *field,
               const apr_array_header_t *allow, ex_policy policy,
               int http11, ex_decision *d);


/* The members of a field that parses, but those in leave (bit i: member
 * i), joined with ", " as a list again, from p; NULL when none is left. */
const char *ex_join(apr_pool_t *p, const ex_field *field, apr_uint64_t leave);

/* What the scopes an internally redirected request passes decide together
 * (docs/directives.md, "Internal redirects").  Each judges the same field,
 * and the strictest answer wins, as with access control: the worst
 * outcome, and a member that any scope dropped stays dropped.  Zeroed
 * before the first scope. */
typedef struct {
    ex_outcome outcome;      /* the worst decision so far */
    apr_uint64_t dropped;    /* bit i: a lenient scope dropped member i */
    int dropped_whole;       /* a lenient scope dropped the field whole: it
                              * is malformed */
} ex_chain;

/* Add one scope's decision on the field.  Returns what it dropped that no
 * scope before it had: its members, or 1 for a malformed field dropped
 * whole (each is counted once as ExpectWouldReject). */
int ex_chain_add(ex_chain *ch, const ex_decision *d);


/* ---- header block scanner -------------------------------------------- */

/* Bytes of a line start kept while it is too short to tell what it is:
 * "expect:" is the longest prefix that matters. */
#define EX_HOLD_MAX 8

typedef enum {
    EX_SCAN_PASS = 0,        /* give the bytes on (after any released ones) */
    EX_SCAN_DROP,            /* the scanner has kept or used them */
    EX_SCAN_ERROR            /* the header block is bad: see status */
} ex_scan_act;

typedef struct {
    /* limits and rules, set by the caller before the first ex_scan() */
    apr_size_t line_max;     /* longest line before its LF
                              * (LimitRequestFieldSize + 2) */
    apr_size_t field_max;    /* LimitRequestFieldSize: for a folded field
                              * and for the merged value */
    int fields_max;          /* most fields in the block, Expect or not */
    int strict;              /* HttpProtocolOptions Strict: a line ends
                              * with CRLF and a value has no CTL but HTAB */

    /* what the caller reads afterwards */
    int done;                /* the empty line ending the block was seen */
    int fields;              /* Expect lines seen */
    apr_size_t release;      /* after EX_SCAN_PASS: this many bytes of hold
                              * must be given on before the passed ones */
    const char *error;       /* after EX_SCAN_ERROR: why */
    int status;              /* after EX_SCAN_ERROR: EX_SCAN_TOO_LONG,
                              * EX_SCAN_MALFORMED or EX_SCAN_TOO_MANY */

    /* private */
    apr_pool_t *pool;
    int in_headers;          /* the request line has been seen */
    int line;                /* what the current line is: see expect_scan.c */
    int in_expect;           /* the last field was Expect: a fold continues
                              * it */
    char hold[EX_HOLD_MAX];
    apr_size_t hold_len;
    char *buf;               /* the Expect line being taken */
    apr_size_t buf_len, buf_size;
    char *value;             /* the merged value of every Expect line */
    apr_size_t value_len, value_size;
    apr_size_t value_start;  /* where the current Expect field's value
                              * starts in value */
    apr_size_t field_len;    /* current field's length after unfolding,
                              * as core counts it */
    apr_size_t others;       /* fields that are not Expect, counted up to
                              * fields_max + 1 */
} ex_scan_t;

/* Why a block is bad.  EX_SCAN_TOO_MANY: the block ended with more fields
 * than fields_max only because of its Expect lines (core, which never sees
 * them, refuses the field one too many of the others itself). */
#define EX_SCAN_TOO_LONG  0
#define EX_SCAN_MALFORMED 1
#define EX_SCAN_TOO_MANY  2

/* Start scanning a header block: the limits keep the values given. */
void ex_scan_init(ex_scan_t *sc, apr_pool_t *p);

/* Look at the next len (> 0) bytes of the block, as read.  Returns how
 * many of them (at least 1) share the action in *act; call again with the
 * rest. */
apr_size_t ex_scan(ex_scan_t *sc, const char *data, apr_size_t len,
                   ex_scan_act *act);

/* The Expect field's value, every line merged with ", " as httpd merges
 * repeated fields, or NULL when the block had no Expect line. */
const char *ex_scan_value(const ex_scan_t *sc);


/* ---- the quick path in front of the scanner --------------------------- */

/* Most header blocks have no Expect line, and a scanner for them would be
 * paid on every line of every request.  So a block starts with a state of
 * one word, kept where mod_expect keeps a pointer (the filter's context):
 * it is odd, as no pointer to a struct is.  ex_quick() looks at one read of
 * the block at a time and answers for the common lines from their first
 * bytes alone; the first line that needs more (it may be an Expect line,
 * or it starts with CR or LF) is handed to the scanner, which ex_scan_resume() starts where the word left off, and
 * which reads the rest of the block.
 *
 * A read is what one AP_MODE_GETLINE read returns: part of a line or all
 * of it, its LF (if any) the last byte.  A line ends with the first read
 * whose last byte is LF: the rule of httpd's ap_rgetline_core(), which
 * joins reads until one ends so.  So the end of a line is known without
 * looking for the LF, and it is the end httpd sees. */
#define EX_QUICK_TAG     ((apr_uintptr_t)1)  /* a word, not a pointer */
#define EX_QUICK_HEADERS ((apr_uintptr_t)2)  /* past the request line */
#define EX_QUICK_MIDLINE ((apr_uintptr_t)4)  /* a line has begun, not ended */
#define EX_QUICK_FIELD   ((apr_uintptr_t)8)  /* word / EX_QUICK_FIELD: one
                                              * more than the fields the
                                              * block may still have; 0
                                              * once it has too many */

/* How many fields a word counts down from: fields_max (> 0, as the
 * scanner's) and the one too many, or fewer where a word is too short for
 * it.  The count stops at 0: the block has more fields than fields_max,
 * and core refuses it itself. */
static APR_INLINE apr_uintptr_t ex_quick_fields(int fields_max)
{
    apr_uintptr_t most = ~(apr_uintptr_t)0 / EX_QUICK_FIELD;

    return (apr_uintptr_t)fields_max < most ? (apr_uintptr_t)fields_max + 1
                                            : most;
}

/* The word at the start of a block. */
static APR_INLINE apr_uintptr_t ex_quick_start(int fields_max)
{
    return EX_QUICK_TAG | ex_quick_fields(fields_max) * EX_QUICK_FIELD;
}

typedef enum {
    EX_QUICK_PASS = 0,       /* give the read on */
    EX_QUICK_END,            /* give it on: it ends the block */
    EX_QUICK_SCAN            /* the scanner takes it from here */
} ex_quick_act;

/* Look at one read: s[0..n) is its first piece with data (n > 0), and
 * ends_line says whether its last byte is LF.  *word is updated for
 * EX_QUICK_PASS only: EX_QUICK_SCAN leaves it as it was before this read,
 * for ex_scan_resume(), and EX_QUICK_END has no word after it. */
static APR_INLINE ex_quick_act ex_quick(apr_uintptr_t *word, const char *s,
                                        apr_size_t n, int ends_line)
{
    apr_uintptr_t w = *word;
    unsigned char c = (unsigned char)s[0];

    if ((w & (EX_QUICK_MIDLINE | EX_QUICK_HEADERS)) == EX_QUICK_HEADERS
        && c > ' ' && (c | 0x20) != 'e') {
        /* The common line: a field whose name does not start with 'E' or
         * 'e' (or-ing 0x20 maps only those two to 'e').  Counted: a field
         * too many is core's to refuse, and the count stops there. */
        if (w >= EX_QUICK_FIELD) {
            w -= EX_QUICK_FIELD;
        }
    }
    else if (!(w & EX_QUICK_MIDLINE)) {
        if (c == '\n' || c == '\r') {
            /* An empty line, its first piece all of it (a read ends with
             * its first LF); anything else that starts so (a CR alone, a
             * CR in a line) is the scanner's to tell. */
            if (c == '\n' ? n != 1 : n != 2 || s[1] != '\n') {
                return EX_QUICK_SCAN;
            }
            if (w & EX_QUICK_HEADERS) {
                return EX_QUICK_END;
            }
            return EX_QUICK_PASS;   /* before the request line: skipped */
        }
        if ((w & EX_QUICK_HEADERS) && c != ' ' && c != '\t') {
            /* A field (a fold is part of the one before it) that may be
             * Expect: "expect:", or as much of it as there is, is the
             * scanner's.  Or-ing 0x20 maps only the upper case letter to
             * each lower case one, and ':' to itself. */
            static const char name[] = "expect:";
            apr_size_t i, m = n < 7 ? n : 7;

            for (i = 0; i < m && (s[i] | 0x20) == name[i]; i++) {
            }
            if (i == m && (m < 7 || s[6] == ':')) {
                return EX_QUICK_SCAN;
            }
            if (w >= EX_QUICK_FIELD) {
                w -= EX_QUICK_FIELD;
            }
        }
    }
    if (ends_line) {
        w = (w & ~EX_QUICK_MIDLINE) | EX_QUICK_HEADERS;
    }
    else {
        w |= EX_QUICK_MIDLINE;
    }
    *word = w;
    return EX_QUICK_PASS;
}

/* Start the scanner (its limits set, as for ex_scan_init(), and
 * fields_max the one the word started with) at the start of a line, where
 * ex_quick() said EX_QUICK_SCAN with this word. */
void ex_scan_resume(ex_scan_t *sc, apr_pool_t *p, apr_uintptr_t word);


/* ---- counters -------------------------------------------------------- */

/* Members are counted by name only for the names the server configuration
 * lists: the parent process gives each a slot (ex_counters_assign), and a
 * request only looks the slots up.  Every other name, a name too long for a
 * slot and a listed name that found none are counted together as "other".
 * So no client can fill the table: it holds what the admin configured. */
#define EX_NAMES_MAX 64
#define EX_NAME_SIZE 64         /* with the NUL: names of up to 63 bytes */

typedef struct {
    volatile apr_uint64_t count;  /* first: 64-bit atomics want 8-byte
                                   * alignment, on 32-bit ABIs too */
    volatile apr_uint32_t seq;    /* odd while the parent writes the slot:
                                   * see expect_counters.c */
    char name[EX_NAME_SIZE];      /* lower case; "" in a free slot */
} ex_name_slot;

/* What became of a 100-continue the module met, on a request with a body
 * (docs/status.md, "What became of a 100-continue", defines each). */
typedef enum {
    EX_CONT_NONE = 0,        /* not decided yet */
    EX_CONT_SENT,            /* the interim 100 went out first */
    EX_CONT_SKIPPED,         /* a final status went out first */
    EX_CONT_EARLY,           /* body bytes came before any 100 */
    EX_CONT_ABANDONED,       /* the client went away before any of them */
    EX_CONT_UNKNOWN          /* httpd cannot see the order that decides
                              * between two of the above: a reset or an
                              * end it cannot place before or after the
                              * 100 or the final status, or (mod_http2
                              * 1.x) DATA it may not have seen yet */
} ex_cont_outcome;

/* [0] HTTP/1.x, [1] HTTP/2 */
#define EX_CONT_PROTOS 2

/* The delay to the 100 is also counted in fixed buckets, for quantiles:
 * upper bounds from 100 us to 10 s (ex_delay_bounds_us), and one above. */
#define EX_DELAY_BUCKETS 16

typedef struct {
    volatile apr_uint64_t sent;
    volatile apr_uint64_t skipped;
    volatile apr_uint64_t early_body;
    volatile apr_uint64_t abandoned;
    volatile apr_uint64_t unknown;
    volatile apr_uint64_t delay_us;     /* sum over sent: from the end of
                                         * the head to the 100 */
    volatile apr_uint64_t delay_in[EX_DELAY_BUCKETS + 1]; /* sent, by the
                                         * first bound not below the delay
                                         * (not cumulative); the last one:
                                         * over 10 s */
} ex_continue_counts;

/* Lives in shared memory: only atomic operations touch it.  It outlives
 * restarts: change it, and bump the key in mod_expect.c's post_config.
 * Every field before unjudged_told is a 64-bit counter:
 * ex_counters_snapshot() reads them all as such. */
typedef struct {
    volatile apr_uint64_t requests;     /* judged requests with Expect */
    volatile apr_uint64_t met;
    volatile apr_uint64_t rejected;
    volatile apr_uint64_t ignored;
    volatile apr_uint64_t continue_100; /* with a 100-continue member */
    volatile apr_uint64_t malformed;
    volatile apr_uint64_t would_reject; /* members (or malformed fields)
                                         * lenient dropped: strict would
                                         * have refused them */
    volatile apr_uint64_t other_names;  /* members not in names[] */
    volatile apr_uint64_t unjudged;     /* requests left to httpd's core */
    ex_continue_counts cont[EX_CONT_PROTOS]; /* what became of a met
                                              * 100-continue */
    volatile apr_uint32_t unjudged_told; /* 1 once
                                          * ex_counters_first_unjudged()
                                          * has said 1 */
    ex_name_slot names[EX_NAMES_MAX];
} ex_counters;

/* Zero the counters (before any other process or thread can see them). */
void ex_counters_init(ex_counters *c);

/* Give the names (const char *, repeats allowed, any case) slots: what the
 * parent process does after reading the configuration, at startup and at
 * each restart.  Only one thread of one process may call it at a time, but
 * other processes may be counting meanwhile.  A name that has a slot keeps
 * it and its count; the slot of a name not among names is freed; the other
 * names take the free slots, lowest first, in the order given, counting
 * from zero.  Returns the names left without a slot, from p, in lower case:
 * first those longer than EX_NAME_SIZE - 1 bytes, then those that found
 * every slot taken.  Members of those names count as "other". */
apr_array_header_t *ex_counters_assign(ex_counters *c, apr_pool_t *p,
                                       const apr_array_header_t *names);

/* Count one judged request. */
void ex_count(ex_counters *c, const ex_field *field, const ex_decision *d);

/* A request counted as was is judged in one more scope (an internal
 * redirect): move it to now, the worst outcome of its scopes so far, and
 * count dropped (what ex_chain_add() returned) as ExpectWouldReject.  Its
 * members are not counted again. */
void ex_count_again(ex_counters *c, ex_outcome was, ex_outcome now,
                    apr_uint64_t dropped);

/* Count one member of that name: in its slot if it has one, else as
 * "other".  Reads the slots only: no lock, no allocation, no CAS. */
void ex_count_name(ex_counters *c, const char *name, apr_size_t len);

/* Read slot i (0 <= i < EX_NAMES_MAX): when it holds a name, copy the name
 * into name (EX_NAME_SIZE bytes), its count into *count, and return 1;
 * return 0 for a free slot, or one the parent is writing for too long. */
int ex_counted_name(ex_counters *c, int i, char *name, apr_uint64_t *count);

/* Count one request that had an Expect field but that mod_expect could not
 * judge: httpd's core judged it (mod_http2 before 2.0). */
void ex_count_unjudged(ex_counters *c);

/* 1 for the first call on these counters, from any process or thread,
 * and 0 for every later one, so that one warning is logged for the whole
 * server.  The answer lasts as long as the counters: across restarts, until
 * httpd is stopped. */
int ex_counters_first_unjudged(ex_counters *c);

/* Count what became of one request's 100-continue (not EX_CONT_NONE) over
 * HTTP/1.x (h2 0) or HTTP/2 (h2 1); delay_us is added to the sum for
 * EX_CONT_SENT only. */
void ex_count_continue(ex_counters *c, int h2, ex_cont_outcome outcome,
                       apr_uint64_t delay_us);

/* The outcome's name, as the EXPECT_CONTINUE variable gives it ("sent",
 * "skipped", "early-body", "abandoned", "unknown"), or NULL for
 * EX_CONT_NONE. */
const char *ex_cont_name(ex_cont_outcome outcome);

/* The upper bounds of the delay buckets, in microseconds, ascending. */
extern const apr_uint64_t ex_delay_bounds_us[EX_DELAY_BUCKETS];

/* The bucket of ex_continue_counts.delay_in a delay counts in. */
int ex_delay_bucket(apr_uint64_t delay_us);


/* ---- one snapshot, two renderings ------------------------------------ */

/* The counters as read at one moment, each with one atomic read (they are
 * not read all at once: a request counted meanwhile may be in some and not
 * yet in others), and the names that have a slot, in slot order.  Both
 * mod_status's lines and the metrics handler render one of these. */
typedef struct {
    ex_counters counts;      /* a private copy: its names[] are unused */
    int nnames;
    struct {
        char name[EX_NAME_SIZE];
        apr_uint64_t count;
    } names[EX_NAMES_MAX];
} ex_snapshot;

void ex_counters_snapshot(ex_counters *c, ex_snapshot *s);

/* The outcomes of a met 100-continue as both renderings show them, in
 * order: adding an outcome to ex_continue_counts is one line of
 * ex_cont_fields (expect_metrics.c). */
typedef struct {
    const char *label;       /* the exposition's outcome label */
    const char *key;         /* mod_status's ?auto line */
    const char *text;        /* mod_status's HTML row */
    apr_size_t offset;       /* of its counter in ex_continue_counts */
} ex_cont_field;

extern const ex_cont_field ex_cont_fields[];
extern const int ex_cont_nfields;

/* A counter of a snapshot's ex_continue_counts, by offset. */
#define EX_CONT_COUNT(k, off) \
    (*(const apr_uint64_t *)(const void *)((const char *)(k) + (off)))

/* The exposition formats of Prometheus. */
typedef enum {
    EX_FORMAT_TEXT = 0,      /* text format 0.0.4 */
    EX_FORMAT_OPENMETRICS    /* OpenMetrics 1.0.0 */
} ex_format;

/* The Content-Type of each format. */
const char *ex_metrics_type(ex_format format);

/* Which format a scraper's Accept field (NULL: none) asks for: OpenMetrics
 * when it accepts application/openmetrics-text (version 1.0.0, or no
 * version) with a higher q than text/plain's, else the text format. */
ex_format ex_metrics_negotiate(const char *accept);

/* The snapshot in that format, from p; its length in *len. */
const char *ex_metrics_render(apr_pool_t *p, const ex_snapshot *s,
                              ex_format format, apr_size_t *len);

/* A label value escaped as both formats want: backslash, double quote and
 * line feed as \\, \" and \n.  Returns value itself when nothing needs
 * escaping, else a copy from p. */
const char *ex_label_escape(apr_pool_t *p, const char *value);

#endif /* EXPECT_H */
