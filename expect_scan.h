/* expect_scan.c: finds the Expect lines of an HTTP/1.x header block as
 * httpd reads it, in pieces of any size, and says which bytes to give on
 * and which it took; ex_quick(), in front of it, passes the common line
 * from its first bytes with a state of one word. */
#ifndef EXPECT_SCAN_H
#define EXPECT_SCAN_H

#include <apr_pools.h>

#include "expect_buf.h"

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
    int line_kind;           /* what the current line is: see expect_scan.c */
    int in_expect;           /* the last field was Expect: a fold continues
                              * it */
    char hold[EX_HOLD_MAX];
    apr_size_t hold_len;
    ex_buf taken;            /* the Expect line being taken, when it comes
                              * in pieces */
    ex_buf value;            /* the merged value of every Expect line */
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

/** Start scanning a header block: the limits keep the values given. */
void ex_scan_init(ex_scan_t *sc, apr_pool_t *p);

/** Look at the next len (> 0) bytes of the block, as read: returns how
 * many of them (at least 1) share the action in *act; call again with the
 * rest. */
apr_size_t ex_scan(ex_scan_t *sc, const char *data, apr_size_t len,
                   ex_scan_act *act);

/** The Expect field's value, every line merged with ", " as httpd merges
 * repeated fields, or NULL when the block had no Expect line. */
const char *ex_scan_value(const ex_scan_t *sc);


/* ---- the quick path in front of the scanner ------------------------- */

/* Most header blocks have no Expect line, and a scanner for them would be
 * paid on every line of every request.  So a block starts with a state of
 * one word, kept where mod_expect keeps a pointer (the filter's context):
 * it is odd, as no pointer to a struct is.  ex_quick() looks at one read of
 * the block at a time and answers for the common lines from their first
 * bytes alone; the first line that needs more (it may be an Expect line,
 * or it starts with CR or LF) is handed to the scanner, which
 * ex_scan_resume() starts where the word left off, and which reads the
 * rest of the block.
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

/** How many fields a word counts down from: fields_max (> 0, as the
 * scanner's) and the one too many, or fewer where a word is too short for
 * it.  The count stops at 0: the block has more fields than fields_max,
 * and core refuses it itself. */
static APR_INLINE apr_uintptr_t ex_quick_fields(int fields_max)
{
    apr_uintptr_t most = ~(apr_uintptr_t)0 / EX_QUICK_FIELD;

    return (apr_uintptr_t)fields_max < most ? (apr_uintptr_t)fields_max + 1
                                            : most;
}

/** The word at the start of a block. */
static APR_INLINE apr_uintptr_t ex_quick_start(int fields_max)
{
    return EX_QUICK_TAG | ex_quick_fields(fields_max) * EX_QUICK_FIELD;
}

typedef enum {
    EX_QUICK_PASS = 0,       /* give the read on */
    EX_QUICK_END,            /* give it on: it ends the block */
    EX_QUICK_SCAN            /* the scanner takes it from here */
} ex_quick_act;

/** Look at one read: s[0..n) is its first piece with data (n > 0), and
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

/** Start the scanner (its limits set, as for ex_scan_init(), and
 * fields_max the one the word started with) at the start of a line, where
 * ex_quick() said EX_QUICK_SCAN with this word. */
void ex_scan_resume(ex_scan_t *sc, apr_pool_t *p, apr_uintptr_t word);

#endif /* EXPECT_SCAN_H */
