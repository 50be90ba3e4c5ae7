/* What became of a met 100-continue: the interim 100 went out first, a
 * final status did, the body came before either, or the client went away
 * (docs/status.md, "What became of a 100-continue", defines each).
 *
 * Only a request whose 100-continue was met (or dropped by a lenient
 * scope, which answers it all the same) and that has a body to wait for
 * is watched: EXPECT_CONTINUE, an input filter above core's HTTP_IN,
 * looks at the handler's first read of the body, and the log_transaction
 * hook counts the outcome and sets EXPECT_CONTINUE (and
 * EXPECT_CONTINUE_US) before mod_log_config writes the log.  Every other
 * request costs a lookup there.
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
 * and mod_http2 release.
 */
#include <sys/socket.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#include "apr_poll.h"
#include "apr_strings.h"

#include "mod_expect_private.h"

static ap_filter_rec_t *expect_continue_handle;

/* Set on httpd before 2.4.55, whose mod_http2 is 1.x: it may start a
 * stream's request before it puts the DATA read with the HEADERS in the
 * stream's input (h2_session_in_flush() schedules streams first, then
 * flushes their input), so finding no DATA there proves nothing. */
static int h2_data_may_lag;


/* ---- looking at the connection ------------------------------------- */

/* Over HTTP/1.x, after a look that found nothing: has the client's socket
 * anything for the next one, bytes or its end?  A socket at its end stays
 * readable, so an end that core's read took (it answers it with an empty
 * read) is still seen here; one that is not readable saves the second
 * read through the filters.  Unsure (no socket, the poll failed): yes. */
static int socket_readable(conn_rec *c)
{
    apr_socket_t *sock = ap_get_conn_socket(c);
    apr_pollfd_t pfd;
    apr_int32_t n;

    if (sock == NULL) {
        return 1;
    }
    pfd.p = c->pool;
    pfd.desc_type = APR_POLL_SOCKET;
    pfd.reqevents = APR_POLLIN | APR_POLLPRI;
    pfd.rtnevents = 0;
    pfd.desc.s = sock;
    pfd.client_data = NULL;
    return !APR_STATUS_IS_TIMEUP(apr_poll(&pfd, 1, &n, 0));
}

/* What the connection holds for this request right now, without waiting
 * and without taking it, in bb (empty, and left empty): EX_CONT_EARLY for
 * body bytes, EX_CONT_ABANDONED for its end or a reset (over HTTP/2: the
 * stream's; *eof says an end, not a reset), EX_CONT_NONE for nothing. */
static ex_cont_outcome peek_body(request_rec *r, apr_bucket_brigade *bb,
                                 int *eof)
{
    conn_rec *c = r->connection;
    ex_cont_outcome seen = EX_CONT_NONE;
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
            seen = EX_CONT_ABANDONED;
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
                seen = EX_CONT_EARLY;
                break;
            }
        }
        if (tries == 0 && c->master == NULL && !socket_readable(c)) {
            break;      /* no end to tell: nothing was there */
        }
    }
    return seen;
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
 * leaves none.  Reading says only "end" once the end has come.  SO_ERROR
 * is POSIX's: APR has no way to ask for a socket's pending error. */
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
     * be in the stream's input: sent or early-body. */
    return r->connection->aborted || h2_data_may_lag ? EX_CONT_UNKNOWN
                                                     : EX_CONT_SENT;
}


/* ---- EXPECT_CONTINUE -------------------------------------------------- */

/* What the handler's read tells: the filter decides the outcome (and
 * leaves), or hands the read on and waits for the next one. */
static void decided(ap_filter_t *f, expect_watch *w, ex_cont_outcome outcome)
{
    w->outcome = outcome;
    ap_remove_input_filter(f);
}

static apr_status_t expect_continue_filter(ap_filter_t *f,
                                           apr_bucket_brigade *bb,
                                           ap_input_mode_t mode,
                                           apr_read_type_e block,
                                           apr_off_t readbytes)
{
    expect_watch *w = &((expect_req *)f->ctx)->watch;
    request_rec *r = f->r;
    apr_time_t before;
    apr_status_t rv;
    int eof;

    if (mode == AP_MODE_INIT || !w->watched) {
        return ap_get_brigade(f->next, bb, mode, block, readbytes);
    }
    if (!r->expecting_100) {
        /* The 100 went out before this read, not from HTTP_IN:
         * mod_proxy_http relays the one its backend sends
         * (ap_send_interim_response clears the flag).  Now is the first
         * moment seen after it. */
        ex_cont_outcome outcome = handed_over(r);

        w->continue_at = apr_time_now();
        if (outcome == EX_CONT_SENT && !r->connection->master
            && peek_body(r, bb, &eof) == EX_CONT_ABANDONED
            && (!eof || client_reset(r->connection))) {
            outcome = EX_CONT_ABANDONED;  /* relayed to a client gone */
        }
        decided(f, w, outcome);
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
        if (peek_body(r, bb, &eof) == EX_CONT_EARLY) {
            w->outcome = EX_CONT_EARLY;
        }
        w->empty_at_final = w->outcome == EX_CONT_NONE;
        ap_remove_input_filter(f);
        return ap_get_brigade(f->next, bb, mode, block, readbytes);
    }
    if (block == APR_NONBLOCK_READ) {
        /* No 100 from such a read (since 2.4.41): its caller
         * (mod_proxy_http prefetching) reads again, blocking, when it wants
         * the body. */
        rv = ap_get_brigade(f->next, bb, mode, block, readbytes);
        if (!r->expecting_100) {
            w->continue_at = apr_time_now();  /* before 2.4.41 it sends */
            decided(f, w, handed_over(r));
        }
        else if (rv == APR_SUCCESS && has_bytes(bb)) {
            decided(f, w, EX_CONT_EARLY);
        }
        else if (APR_BRIGADE_EMPTY(bb)
                 && peek_body(r, bb, &eof) == EX_CONT_ABANDONED) {
            /* Gone before mod_proxy_http asks its backend, whose 100 it
             * would relay to nobody. */
            decided(f, w, EX_CONT_ABANDONED);
        }
        return rv;
    }
    w->outcome = peek_body(r, bb, &eof);
    if (w->outcome != EX_CONT_NONE) {
        ap_remove_input_filter(f);
        return ap_get_brigade(f->next, bb, mode, block, readbytes);
    }
    before = apr_time_now();
    rv = ap_get_brigade(f->next, bb, mode, block, readbytes);
    if (!r->expecting_100) {
        w->continue_at = before;
        decided(f, w, handed_over(r));
    }
    else if (rv == APR_SUCCESS && has_bytes(bb)) {
        /* Body bytes with expecting_100 still set: core sent no 100 for
         * this read, the client sent its body without one (it came after
         * the look above). */
        decided(f, w, EX_CONT_EARLY);
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
static void move_to_head(request_rec *r, ap_filter_t *f)
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

void expect_continue_refused(expect_req *er)
{
    if (er->watch.watched && er->watch.outcome == EX_CONT_NONE) {
        er->watch.watched = 0;
    }
}

void expect_continue_watch(request_rec *r, expect_req *er)
{
    if (!r->expecting_100 || er->watch.watched || !expect_has_body(r)) {
        return;
    }
    er->watch.watched = 1;
    if (r->connection->master) {
        /* Over HTTP/2 the stream's input can be looked at only while the
         * request runs (mod_http2 may tear it down once the response is
         * complete): DATA already there came before any 100. */
        int eof;

        if (peek_body(r, NULL, &eof) == EX_CONT_EARLY) {
            er->watch.outcome = EX_CONT_EARLY;
            return;
        }
    }
    move_to_head(r, ap_add_input_filter_handle(expect_continue_handle, er,
                                               r, r->connection));
}


/* ---- the log ------------------------------------------------------------ */

/* A watched request ends with its body never read, or read only after a
 * final status began: no 100 went out.  What came from the client, if
 * anything, decides. */
static ex_cont_outcome never_read(request_rec *r, const expect_watch *w)
{
    conn_rec *c = r->connection;
    int eof = 0;
    ex_cont_outcome seen;

    if (c->master) {
        /* mod_http2 marks the stream's connection aborted for a reset from
         * the client, and also when it resets the stream itself after a
         * complete response to an upload it did not read.  A request that
         * is logged has had its final response made, and nothing a stream
         * can see places the reset before or after that response's HEADERS
         * frame.  With mod_http2 1.x, DATA may have come and never reached
         * the stream's input: skipped or early-body. */
        return c->aborted || h2_data_may_lag ? EX_CONT_UNKNOWN
                                             : EX_CONT_SKIPPED;
    }
    if (c->aborted) {
        return EX_CONT_ABANDONED;   /* writing the final status failed */
    }
    seen = peek_body(r, NULL, &eof);
    if (seen == EX_CONT_EARLY) {
        /* Nothing was there when the final status began: these bytes came
         * after it. */
        return w->empty_at_final ? EX_CONT_SKIPPED : EX_CONT_EARLY;
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

/* The end of a watched request, counted and told to the access log before
 * mod_log_config writes it.  r is the request as it was read: the
 * variables go to it and to the internal redirects that followed it. */
static int expect_log_transaction(request_rec *r)
{
    expect_req *er = expect_req_of(r);
    expect_watch *w;
    apr_uint64_t delay = 0;
    const char *name, *us = NULL;
    request_rec *rr;

    if (er == NULL || !er->watch.watched) {
        return DECLINED;
    }
    w = &er->watch;
    w->watched = 0;             /* once per request */
    if (w->outcome == EX_CONT_NONE) {
        w->outcome = never_read(r, w);
    }
    if (w->outcome == EX_CONT_SENT) {
        delay = w->continue_at > er->hidden.head_end
                ? (apr_uint64_t)(w->continue_at - er->hidden.head_end) : 0;
        us = apr_off_t_toa(r->pool, (apr_off_t)delay);
    }
    name = ex_cont_field_of((ex_cont_outcome)w->outcome)->name;
    if (expect_counters) {
        ex_count_continue(expect_counters, r->connection->master != NULL,
                          (ex_cont_outcome)w->outcome, delay);
    }
    /* This runs once for the request (watched is off now), and nothing
     * else sets these: they are added, not looked for first. */
    for (rr = r; rr; rr = rr->next) {
        apr_table_addn(rr->subprocess_env, "EXPECT_CONTINUE", name);
        if (us) {
            apr_table_addn(rr->subprocess_env, "EXPECT_CONTINUE_US", us);
        }
    }
    return DECLINED;
}

void expect_continue_register_hooks(apr_pool_t *p)
{
    /* The loggers read EXPECT_CONTINUE. */
    static const char *const before_log[] = { "mod_log_config.c",
                                              "mod_log_debug.c", NULL };
    ap_version_t v;

    (void)p;
    /* Added by expect_continue_watch(), then moved above HTTP_IN
     * (move_to_head). */
    expect_continue_handle = ap_register_input_filter("EXPECT_CONTINUE",
                                                      expect_continue_filter,
                                                      NULL,
                                                      AP_FTYPE_PROTOCOL);
    ap_hook_log_transaction(expect_log_transaction, NULL, before_log,
                            APR_HOOK_REALLY_FIRST);
    ap_get_server_revision(&v);
    h2_data_may_lag = v.major == 2 && v.minor == 4 && v.patch < 55;
}
