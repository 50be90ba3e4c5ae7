# Over TLS, as nearly every site is served: mod_ssl on the virtual host of
# t/conf/tls.conf.in, with a certificate made at test time
# (t/lib/ExpectTLS.pm) and verified by the clients.  HTTP/1.1 and HTTP/2
# are chosen by ALPN.  mod_ssl sits between the connection and EXPECT_IN,
# so the head reaches mod_expect as TLS records decrypted, not as TCP
# segments: the cases of wire.t, hostile.t and h2.t are run again here.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use lib 't/lib';
use ExpectTest;

plan tests => 54;

my $h2 = ($ENV{EXPECT_TEST_MPM} // 'event') ne 'prefork';
# httpd 2.4.49 to 2.4.54: core judges HTTP/2 Expect fields but an exact
# 100-continue (see h2.t).
my $core_h2 = h2_judged_by_core();
my $body = 'tls body';
my $cl = 'Content-Length: ' . length $body;
my $host = "Host: 127.0.0.1\r\n";

# A TLS connection on which the server chose HTTP/1.1 by ALPN; dies
# otherwise, as every HTTP/1.1 case below depends on it.
sub h1 {
    my $s = connect_tls(alpn => ['http/1.1']);
    my $alpn = $s->alpn_selected // '(none)';
    die "ALPN: the server chose $alpn, not http/1.1\n" if $alpn ne 'http/1.1';
    return $s;
}

# --- the handshake ----------------------------------------------------------
{
    my $s = eval { connect_tls(alpn => ['http/1.1']) };
    ok $s, 'TLS: the certificate made at test time verifies for 127.0.0.1'
        or diag $@;
    die "no TLS connection, nothing more to test\n" unless $s;
    is $s->alpn_selected, 'http/1.1', 'TLS: ALPN "http/1.1" is chosen';
    send_raw($s, request(GET => '/index.html', []));
    my $res = read_response($s);
    is $res && $res->{status}, 200, 'TLS: a plain GET is answered';
}

# --- HTTP/1.1 over TLS: met -------------------------------------------------
{
    my $s = h1();
    my ($interim, $final) =
        exchange($s, request(POST => '/up', ['Expect: 100-continue', $cl]),
                 $body);
    is $interim && $interim->{status}, 100,
        'met: interim 100 while the body is withheld';
    is $final && $final->{status}, 200, 'met: 200 once the body is sent';
    is $final && $final->{body}, $body, 'met: the body is echoed';
    is $final && $final->{headers}{'x-expect-status'}, 'met',
        'met: EXPECT_STATUS met';
    unlike $final ? $final->{headers}{connection} // '' : 'none', qr/close/i,
        'met: the connection is kept';
    send_raw($s, request(GET => '/index.html', []));
    my $next = read_response($s);
    is $next && $next->{status}, 200,
        'met: the next request on the connection is answered';
}

# --- an extension expectation that the scope allows -------------------------
{
    my $s = h1();
    send_raw($s, request(POST => '/ext', ['Expect: 100-continue, x-foo', $cl]));
    is waited($s, $body), "100 200 met [100-continue, x-foo] $body",
        'ExpectAllow 100-continue x-foo: met, 100, the field reaches the application';

    $s = h1();
    send_raw($s, request(POST => '/ext', ['Expect: X-Bar', $cl]) . $body);
    my $res = read_response($s) || { status => 'none', headers => {} };
    is "$res->{status} " . ($res->{headers}{'x-seen-expect'} // '-'),
        '200 X-Bar',
        'an allowed extension alone, the body sent at once: 200, the field kept';
}

# --- refused at once, Connection: close -------------------------------------
for my $case (
    [ 'an unknown expectation',             '/up',   'Expect: x-foo' ],
    [ '100-continue where none is allowed', '/none', 'Expect: 100-continue' ],
    [ 'an extension not allowed here',      '/up',   'Expect: 100-continue, x-foo' ],
) {
    my ($what, $path, $line) = @$case;
    my $s = h1();
    send_raw($s, request(POST => $path, [$line, $cl]));
    my $res = read_response($s, timeout => 10);
    is $res && $res->{status}, 417,
        "$what: 417 while the client still withholds the body (no 100)";
    like $res && $res->{headers}{connection}, qr/close/i,
        "$what: Connection: close";
    ok closed_by_server($s, 10), "$what: the server closes the connection";
}

{
    # The refused body follows at once and looks like a request: it must
    # never be taken for one, TLS or not.
    my $smuggled = request(GET => '/index.html', []);
    my $s = h1();
    send_raw($s, request(POST => '/up', ['Expect: x-foo',
                         'Content-Length: ' . length $smuggled]) . $smuggled
                 . request(GET => '/index.html', []));
    my $res = read_response($s);
    is $res && $res->{status}, 417, 'refused with the body sent at once: 417';
    # The 417 says Connection: close: the server must close, having
    # answered nothing else.
    my ($rest, $closed) = read_to_eof($s, 30);
    is(($closed ? 'closed' : 'open') . " [$rest]", 'closed []',
       '... then nothing but the close: the body was not parsed as a request');
}

{
    # No body: nothing to lose, the connection stays.
    my $s = h1();
    send_raw($s, request(GET => '/up', ['Expect: x-foo']));
    my $res = read_response($s);
    is $res && $res->{status}, 417, 'a refused GET without a body: 417';
    unlike $res ? $res->{headers}{connection} // '' : 'none', qr/close/i,
        '... the connection is kept';
}

# --- a trickled head --------------------------------------------------------
# Each piece leaves as a TLS record of its own, so EXPECT_IN gets the head
# from mod_ssl a few bytes at a time, the Expect lines cut anywhere.
{
    my $head = "POST /ext HTTP/1.1\r\n${host}Expect: 100-continue\r\n"
             . "X-A: a\r\nexpect: x-foo, X-BAR=\"q, r\"\r\n$cl\r\n\r\n";
    my $want = "100 200 met [100-continue, x-foo, X-BAR=\"q, r\"] $body";
    my @differ;
    for my $every (2, 3, 5) {
        for my $offset (1 .. $every) {
            my $s = h1();
            send_slowly($s, $head, every => $every, offset => $offset,
                        delay => 0.002);
            my $got = waited($s, $body);
            push @differ, "$every bytes from $offset: $got" if $got ne $want;
        }
    }
    is_deeply \@differ, [],
        "trickled 2, 3 or 5 bytes a record, from every phase: '$want'";

    # Cut in two at each byte of the Expect line, CR and LF included.
    my $refused = "POST /up HTTP/1.1\r\n${host}Expect: 100-continue, x-foo\r\n"
                . "$cl\r\n\r\n";
    my $from = index $refused, 'Expect';
    my $to = index($refused, "\n", $from) + 1;
    @differ = ();
    for my $p ($from .. $to) {
        my $s = h1();
        send_slowly($s, $refused, cuts => [$p], delay => 0.004);
        my $got = waited($s, $body);
        push @differ, "cut at $p: $got" if $got ne '417 rejected [] close eof';
    }
    is_deeply \@differ, [],
        'refused, the Expect line cut at each of its bytes: 417 before the '
        . 'body, Connection: close, closed';
}

# --- pipelining -------------------------------------------------------------
{
    my $s = h1();
    send_raw($s, request(POST => '/up', ['Expect: 100-continue', $cl]) . $body
                 . request(GET => '/index.html', []));
    my @res;
    for (1 .. 3) {      # an interim 100 to a body already sent may come
        my $r = read_response($s, timeout => 10) or last;
        push @res, $r if $r->{status} != 100;
        last if @res == 2;
    }
    is join(' ', map { $_->{status} } @res), '200 200',
        'pipelined in one write, met with its body then a GET: both answered in order';
    is $res[0] && $res[0]{body}, $body, '... the first echoes its body';

    $s = h1();
    send_raw($s, request(GET => '/up', ['Expect: x-foo'])
                 . request(GET => '/index.html', []));
    my @st = map { my $r = read_response($s); $r ? $r->{status} : 'none' } 1 .. 2;
    is "@st", '417 200',
        'pipelined in one write, refused without a body then a GET: 417 200';
}

# --- lenient ----------------------------------------------------------------
{
    my $s = h1();
    send_raw($s, request(POST => '/lenient', ['Expect: 100-continue, x-foo', $cl]));
    is waited($s, $body), "100 200 ignored [100-continue] $body",
        'lenient: x-foo dropped before the application, 100-continue kept and met';

    $s = h1();
    send_raw($s, request(POST => '/cgi-lenient', ['Expect: x-other',
                                                  'Expect: 100-continue', $cl]));
    my ($interim, $final) = (read_response($s), undef);
    send_raw($s, $body);
    $final = read_response($s);
    my $b = $final ? $final->{body} : '';
    is $interim && $interim->{status}, 100, 'lenient CGI: interim 100';
    like $b, qr/^HTTP_EXPECT=100-continue$/m,
        'lenient CGI: the script sees only the kept member';
    like $b, qr/^BODY=\Q$body\E$/m, 'lenient CGI: the script reads the body';
}

# --- HTTP/2 over TLS, chosen by ALPN ----------------------------------------
SKIP: {
    skip 'mod_http2 does not run under mpm_prefork: no h2 over TLS', 21
        unless $h2;

    my @r = h2_tls(
        { method => 'POST', path => '/cgi/echo.cgi', body => 'h2 body',
          headers => [[expect => '100-continue']] },
        { method => 'POST', path => '/none', body => 'never sent',
          headers => [[expect => '100-continue']] },
        { method => 'POST', path => '/up', body => 'never sent',
          headers => [[expect => 'x-foo, 100-continue']] },
        { method => 'POST', path => '/cgi-lenient', body => 'lenient body',
          headers => [[expect => 'x-other'], [expect => '100-continue']] },
        # (mod_reflector echoes nothing over HTTP/2, Expect or not: the
        # scripts tell what the application saw)
        { method => 'POST', path => '/cgi-lenient', body => 'ext body',
          headers => [[expect => '100-continue, x-foo']] },
    );

    is $r[0]{alpn}, 'h2', 'h2: ALPN "h2" is chosen, the certificate verified';
    is_deeply $r[0]{interim}, [100],
        'h2 met: an interim 100 while DATA is withheld';
    ok $r[0]{body_sent}, 'h2 met: the client sent DATA after the 100';
    is $r[0]{status}, 200, 'h2 met: 200';
    like $r[0]{body}, qr/^BODY=h2 body$/m, 'h2 met: the script read the body';
    is $r[0]{headers}{'x-expect-status'}, 'met', 'h2 met: EXPECT_STATUS met';

    is_deeply $r[1]{interim}, [], 'h2, ExpectAllow none: no interim 100';
    is $r[1]{status}, 417, 'h2, ExpectAllow none: 417';
    ok !$r[1]{body_sent},
        'h2, ExpectAllow none: answered while DATA was withheld, never sent';

    is $r[2]{status}, 417, 'h2, an unknown expectation: 417';
    ok !$r[2]{body_sent}, 'h2, an unknown expectation: DATA never sent';

    SKIP: {
        skip $core_h2, 9 if $core_h2;
        is $r[2]{headers}{'x-expect-status'}, 'rejected',
            'h2, an unknown expectation: EXPECT_STATUS rejected';

        is_deeply $r[3]{interim}, [100],
            'h2 lenient: the kept 100-continue gets its 100';
        like $r[3]{body}, qr/^HTTP_EXPECT=100-continue$/m,
            'h2 lenient: the dropped member does not reach the script';
        like $r[3]{body}, qr/^BODY=lenient body$/m,
            'h2 lenient: the body is read';
        is $r[3]{headers}{'x-expect-status'}, 'ignored',
            'h2 lenient: EXPECT_STATUS ignored';

        is_deeply $r[4]{interim}, [100],
            'h2, an allowed extension: interim 100';
        is $r[4]{status} . ' ' . ($r[4]{headers}{'x-expect-status'} // '-'),
            '200 met', 'h2, ExpectAllow 100-continue x-foo: met';
        like $r[4]{body}, qr/^HTTP_EXPECT=100-continue, x-foo$/m,
            'h2, an allowed extension: the script sees the field whole';
        like $r[4]{body}, qr/^BODY=ext body$/m,
            'h2, an allowed extension: the script reads the body';
    }

    # The streams above shared one connection; a refusal on one stream
    # does not end the others, nor the connection.
    is scalar(grep { defined $_->{status} } @r), 5,
        'h2: every stream of the connection is answered';
}
