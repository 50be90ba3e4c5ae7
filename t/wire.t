# What the client sees on the wire: interim 100 or not, 417 before the
# body, the connection kept or closed, pipelined requests.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use lib 't/lib';
use ExpectTest;

plan tests => 61;

my $body = "hello body";
my $cl = "Content-Length: " . length $body;

# --- met: 100-continue, as a list ---------------------------------------
for my $case (
    [ 'a single 100-continue',   ["Expect: 100-continue"] ],
    [ 'a repeated member',       ["Expect: 100-continue, 100-continue"] ],
    [ 'two Expect lines',        ["Expect: 100-continue", "expect: 100-Continue"] ],
    [ 'an empty list element',   ["EXPECT: 100-continue,"] ],
) {
    my ($what, $lines) = @$case;
    my $s = connect_to();
    my ($interim, $final) =
        exchange($s, request(POST => '/up', [@$lines, $cl]), $body);
    check($interim && $interim->{status}, 100,
             "$what: interim 100 before the body is sent");
    check($final && $final->{body}, $body, "$what: the body is echoed");
}

{
    my $s = connect_to();
    my ($interim, $final) =
        exchange($s, request(POST => '/up', ["Expect: 100-continue", $cl]),
                 $body);
    check($final->{headers}{connection} // '', qr/^(?!.*close)/i,
             'a met expectation keeps the connection');
    send_raw($s, request(GET => '/index.html', []));
    my $next = read_response($s);
    check($next && $next->{status}, 200,
             'keep-alive: a second request on the connection is answered');
}

# --- refused: 417 at once, before the body ------------------------------
for my $case (
    [ 'an unknown expectation',            '/up',   "Expect: x-foo" ],
    [ '100-continue where none is allowed', '/none', "Expect: 100-continue" ],
    [ 'a malformed field',                  '/up',   "Expect: foo bar" ],
) {
    my ($what, $path, $line) = @$case;
    my $s = connect_to();
    send_raw($s, request(POST => $path, [$line, $cl]));
    my $res = read_response($s, timeout => 10);
    check($res && $res->{status}, 417,
             "$what: 417 while the client still withholds the body");
    check($res && $res->{headers}{connection}, qr/close/i,
             "$what: Connection: close, the body is not read");
    ok closed_by_server($s, 10), "$what: the server closes the connection";
}

{
    # The body follows at once and looks like a request: it must never be
    # taken for one.
    my $smuggled = "GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    my $s = connect_to();
    send_raw($s, request(POST => '/up', ["Expect: x-foo",
                         "Content-Length: " . length $smuggled]) . $smuggled
                 . request(GET => '/index.html', []));
    my $res = read_response($s);
    check($res && $res->{status}, 417, 'refused with the body sent at once');
    # The 417 says Connection: close: the server must close, having
    # answered nothing else.
    my ($rest, $closed) = read_to_eof($s, 30);
    is(($closed ? 'closed' : 'open') . " [$rest]", 'closed []',
       'nothing after the 417, then closed: the body was not parsed as a request');
}

{
    # A HEAD request's body is framed like any other (httpd's own
    # ap_request_has_body() would say it has none).
    my $s = connect_to();
    send_raw($s, request(HEAD => '/up', ["Expect: x-foo", $cl]));
    my $res = read_response($s, timeout => 10, head => 1);
    check($res && $res->{status}, 417, 'HEAD with a body, refused: 417 at once');
    check($res && $res->{headers}{connection}, qr/close/i,
          'HEAD with a body, refused: Connection: close');
}

{
    my $s = connect_to();
    send_raw($s, request(POST => '/up', ["Expect: x-foo",
                                         "Transfer-Encoding: chunked"]));
    my $res = read_response($s, timeout => 10);
    check($res && $res->{status}, 417, 'a chunked body: 417 at once');
    check($res && $res->{headers}{connection}, qr/close/i,
             'a chunked body: Connection: close');
}

{
    # No body: nothing to lose, the connection stays.
    my $s = connect_to();
    send_raw($s, request(GET => '/up', ["Expect: 100-continue, x-foo"]));
    my $res = read_response($s);
    check($res && $res->{status}, 417, 'a GET with a refused expectation: 417');
    check($res->{headers}{connection} // '', qr/^(?!.*close)/i,
             'a GET with a refused expectation keeps its connection');
    send_raw($s, request(GET => '/index.html', []));
    my $next = read_response($s);
    check($next && $next->{status}, 200,
             'the next request on that connection is answered');
}

{
    my $s = connect_to();
    send_raw($s, request(POST => '/up', ["Expect: x-foo", "Content-Length: 0"]));
    my $res = read_response($s);
    check($res && $res->{status}, 417, 'Content-Length: 0, refused: 417');
    check($res->{headers}{connection} // '', qr/^(?!.*close)/i,
             'Content-Length: 0 keeps the connection');
}

# --- pipelining ---------------------------------------------------------
{
    my $s = connect_to();
    send_raw($s, request(GET => '/index.html', [])
                 . request(GET => '/up', ["Expect: x-foo"])
                 . request(POST => '/up', ["Expect: 100-continue", $cl]) . $body
                 . request(GET => '/index.html', []));
    # The third request sent its body without waiting: core may still send
    # an interim 100 before its final answer, and nowhere else.
    my @st;
    while (grep({ $_ ne '100' } @st) < 4) {
        my $r = read_response($s, timeout => 10);
        push @st, $r ? $r->{status} : 'none';
        last unless $r;
    }
    (my $got = "@st") =~ s/^200 417 100 /200 417 /;
    check($got, "200 417 200 200",
             'pipelined: met, refused, met with a body, plain: each answered in order');
}

# --- HTTP/1.0 -----------------------------------------------------------
{
    # The body withheld until the module has judged the head: an interim
    # 100 would then come before the final answer.
    my $s = connect_to();
    my $mark = log_mark();
    send_raw($s, request(POST => '/up', ["Expect: 100-continue", $cl,
                                         "Connection: keep-alive"],
                         proto => 'HTTP/1.0'));
    ok judged($s, $mark, '/up'), 'HTTP/1.0, body withheld: the head is judged';
    send_raw($s, $body);
    my $res = read_response($s);
    check($res ? "$res->{status} $res->{body}" : 'none', "200 $body",
          'HTTP/1.0: no interim 100 (RFC 9110 10.1.1), the body is read');
    check($res && $res->{headers}{connection}, qr/keep-alive/i,
             'HTTP/1.0: keep-alive is not lost to 100-continue');
    check($res && $res->{headers}{'x-expect-status'}, 'met',
             'HTTP/1.0: 100-continue ignored, EXPECT_STATUS met');
}

{
    my $s = connect_to();
    send_raw($s, request(POST => '/none', ["Expect: 100-continue", $cl],
                         proto => 'HTTP/1.0') . $body);
    my $res = read_response($s);
    check($res && $res->{status}, 200,
             'HTTP/1.0: 100-continue is ignored even where none is allowed');
}

{
    my $s = connect_to();
    send_raw($s, request(GET => '/up', ["Expect: x-foo"], proto => 'HTTP/1.0'));
    my $res = read_response($s);
    check($res && $res->{status}, 417,
             'HTTP/1.0: other expectations follow the policy');
}

# --- how the header block is read ---------------------------------------
{
    # obs-fold continuation lines belong to the Expect field
    my $s = connect_to();
    send_raw($s, "GET /up HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 . "Expect: 100-continue,\r\n  x-foo\r\n\r\n");
    my $res = read_response($s);
    check($res && $res->{status}, 417, 'obs-fold: the folded member is judged');

    $s = connect_to();
    send_raw($s, "POST /ext HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 . "Expect: 100-continue,\r\n\tx-foo\r\nContent-Length: 0\r\n\r\n");
    $res = read_response($s);
    check($res && $res->{headers}{'x-seen-expect'}, '100-continue, x-foo',
             'obs-fold: replaced by one SP in the value the application sees');
    SKIP: {
        my $server = Apache::Test::config()->{server}{version};
        skip "$server checks Expect after post_read_request (before "
             . "2.4.49): post_read_request hooks do not see the field", 1
            if !have_min_apache_version('2.4.49');
        check($res && $res->{headers}{'x-post-read'}, '100-continue, x-foo',
                 'post_read_request hooks (server-level SetEnvIf) see the field');
    }
}

{
    # every other byte of the head reaches httpd as sent
    my $s = connect_to();
    send_raw($s, "POST /cgi/echo.cgi HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 . "Expected: 1\r\nExpect-Foo: 2\r\nX-Expect: 3\r\n"
                 . "Expec: 4\r\nX-Fold: a\r\n b\r\nExpect: 100-continue\r\n"
                 . "$cl\r\n\r\n");
    my ($interim, $final) = (read_response($s), undef);
    send_raw($s, $body);
    $final = read_response($s);
    my $b = $final ? $final->{body} : '';
    check($interim && $interim->{status}, 100, 'CGI: interim 100');
    check($b, qr/^HTTP_EXPECTED=1$/m, 'Expected: passes untouched');
    check($b, qr/^HTTP_EXPECT_FOO=2$/m, 'Expect-Foo: passes untouched');
    check($b, qr/^HTTP_X_EXPECT=3$/m, 'X-Expect: passes untouched');
    check($b, qr/^HTTP_EXPEC=4$/m, 'Expec: passes untouched');
    check($b, qr/^HTTP_X_FOLD=a b$/m, 'a fold of another field passes untouched');
    check($b, qr/^HTTP_EXPECT=100-continue$/m, 'the application sees Expect');
    check($b, qr/^BODY=\Q$body\E$/m, 'the application reads the body');
}

{
    # A request head trickled a byte at a time.
    my $s = connect_to();
    my $head = request(POST => '/ext', ["eXpEcT: x-foo", "Content-Length: 0",
                                       "Expect: x-bar"]);
    for my $c (split //, $head) {
        send_raw($s, $c);
        select(undef, undef, undef, 0.002);
    }
    my $res = read_response($s);
    check($res && $res->{headers}{'x-seen-expect'}, 'x-foo, x-bar',
             'a head trickled a byte at a time: both lines taken and merged');
}

{
    my $s = connect_to();
    my $long = "x-" . ("a" x 9000);
    send_raw($s, request(GET => '/up', ["Expect: $long"]));
    my $res = read_response($s);
    check($res && $res->{status}, 400,
             'an Expect line over LimitRequestFieldSize: 400');
    check($res && $res->{body}, qr/exceeds server limit/,
             '... with core\'s explanation');
}

{
    my $s = connect_to();
    send_raw($s, request(GET => '/up', ["Expect: 100-con\0tinue"]));
    my $res = read_response($s);
    check($res && $res->{status}, 400, 'a NUL byte in an Expect line: 400');

    $s = connect_to();
    send_raw($s, request(GET => '/up', ["Expect: 100-continue\x01"]));
    $res = read_response($s);
    check($res && $res->{status}, 400, 'a control byte in an Expect line: 400');

    $s = connect_to();
    send_raw($s, "GET /up HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: x-foo\n\r\n");
    $res = read_response($s);
    check($res && $res->{status}, 400,
             'an Expect line ended by a bare LF: 400 (HttpProtocolOptions Strict)');

    $s = connect_to();
    send_raw($s, request(GET => '/up', [("Expect: 100-continue") x 101]));
    $res = read_response($s);
    is $res && $res->{status}, 400,
        'more Expect lines than LimitRequestFields: 400';
    like $res && $res->{body},
        qr/The number of request header fields exceeds this server's limit/,
        '... saying why, in core\'s words';

    $s = connect_to();
    send_raw($s, request(GET => '/up', ["Expect : 100-continue"]));
    $res = read_response($s);
    check($res && $res->{status}, 400,
             'whitespace before the colon is left to core: 400');
}

{
    my $s = connect_to();
    send_raw($s, request(POST => '/up', ["Expect:", "Content-Length: 0"]));
    my $res = read_response($s);
    check($res && $res->{status}, 200, 'an empty Expect field: 200');
    check($res && $res->{headers}{'x-expect-status'}, 'met',
             'an empty Expect field: EXPECT_STATUS met');
}

{
    my $s = connect_to();
    send_raw($s, request(GET => '/index.html', []));
    my $res = read_response($s);
    check($res && $res->{status}, 200, 'no Expect field: 200');
    ok !exists $res->{headers}{'x-expect-status'},
        'no Expect field: no EXPECT_STATUS';
}
