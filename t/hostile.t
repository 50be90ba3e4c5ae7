# Hostile clients: heads trickled and cut anywhere, fields at and over the
# size limits, thousands of members, folds, control bytes, pipelining that
# tries to smuggle a body in as a request, clients that vanish, HTTP/1.0,
# and HTTP/2 streams refused and met side by side.  Every case has one
# exact outcome; where the module reads what core would otherwise read, the
# outcome is compared with core's for an ordinary field (X-Foo) of the same
# shape.  At the end the server must still answer, and its error log must
# show no crashed child and no sanitizer report.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use JSON::PP ();
use Socket qw(SHUT_WR);
use lib 't/lib';
use ExpectTest;

plan tests => 101;

my $h2 = ($ENV{EXPECT_TEST_MPM} // 'event') ne 'prefork';
my $body = 'hostile body';
my $cl = 'Content-Length: ' . length $body;
my $host = "Host: 127.0.0.1\r\n";

# One request on a fresh connection: the response, or a stand-in.
sub once {
    my ($raw, %opt) = @_;
    my $s = connect_to($opt{vhost});
    send_raw($s, $raw);
    return read_response($s, timeout => $opt{timeout} // 10)
        || { status => 'none', headers => {}, body => '' };
}

# A POST without a body carrying the given header lines: its status.
sub status_of {
    my ($path, $lines, %opt) = @_;
    return once(request(POST => $path, [@$lines, 'Content-Length: 0']),
                %opt)->{status};
}

# The statuses of the responses on a connection, one after the other, then
# "eof" if the server closed it or "open" if it waited for more.
sub statuses_to_eof {
    my ($s, $timeout) = @_;
    my @st;
    while (my $r = read_response($s, timeout => $timeout // 10)) {
        push @st, $r->{status};
    }
    return join ' ', @st, closed_by_server($s, 10) ? 'eof' : 'open';
}


# --- a head cut anywhere ---------------------------------------------------
# Each head is sent in two pieces, cut at every position in turn (so every
# Expect line is split at each of its bytes, CR and LF included), with a
# pause between them; the result must not depend on where the cut was.
for my $case (
    [ 'met, folded, two lines in mixed case',
      "POST /ext HTTP/1.1\r\n${host}X-Before: 1\r\n"
      . "eXpEcT: 100-continue,\r\n\tx-foo\r\nX-Between: 2\r\n"
      . "EXPECT: X-Bar\r\n$cl\r\n\r\n",
      "100 200 met [100-continue, x-foo, X-Bar] $body" ],
    [ 'refused while the body is withheld',
      "POST /up HTTP/1.1\r\n${host}Expect: 100-continue, x-foo\r\n"
      . "$cl\r\n\r\n",
      '417 rejected [] close eof' ],
    [ 'lenient, one member dropped',
      "POST /lenient HTTP/1.1\r\n${host}expect: x-foo\r\n$cl\r\n"
      . "Expect: 100-continue\r\n\r\n",
      "100 200 ignored [100-continue] $body" ],
) {
    my ($what, $head, $want) = @$case;
    my @differ;
    for my $p (1 .. length($head) - 1) {
        my $s = connect_to();
        send_slowly($s, $head, cuts => [$p], delay => 0.004);
        my $got = waited($s, $body);
        push @differ, "cut at $p: $got" if $got ne $want;
    }
    is_deeply \@differ, [],
        "$what: '$want' whichever of the " . (length($head) - 1)
        . ' positions the head is cut at';
}

{
    # A few bytes at a time, the pieces starting at every phase.
    my $head = "POST /ext HTTP/1.1\r\n${host}Expect: 100-continue\r\n"
             . "X-A: a\r\nexpect: x-foo, X-BAR=\"q, r\"\r\n$cl\r\n\r\n";
    my $want = "100 200 met [100-continue, x-foo, X-BAR=\"q, r\"] $body";
    my @differ;
    for my $every (2 .. 5) {
        for my $offset (1 .. $every) {
            my $s = connect_to();
            send_slowly($s, $head, every => $every, offset => $offset,
                        delay => 0.001);
            my $got = waited($s, $body);
            push @differ, "$every bytes from $offset: $got" if $got ne $want;
        }
    }
    is_deeply \@differ, [],
        'trickled 2 to 5 bytes at a time, from every phase: the same result';
}

# --- LimitRequestFieldSize ------------------------------------------------
# The line "Expect: x-foo=aaa..." of exactly $len bytes (without CRLF) and
# "X-Foo: bbb..." of the same length.
sub expect_line { 'Expect: x-foo=' . ('a' x ($_[0] - 14)) }
sub xfoo_line   { 'X-Foo: ' . ('b' x ($_[0] - 7)) }

# The longest line of each kind that gets 200, looked for from two bytes
# under the limit to three over it; the statuses seen when they are not a
# run of 200s followed by a run of 400s.
sub longest_passing {
    my ($make, $vhost, $limit) = @_;
    my @st = map { [ $_, status_of('/ext', [$make->($_)], vhost => $vhost) ] }
             $limit - 2 .. $limit + 3;
    my $longest;
    for (@st) {
        last if $_->[1] ne '200';
        $longest = $_->[0];
    }
    return join ' ', map { "$_->[0]:$_->[1]" } @st
        if !defined $longest
           || grep { $_->[0] > $longest && $_->[1] ne '400' } @st;
    return $longest;
}

for my $server ([ 'the main server', undef, 8190 ],
                [ 'a virtual host with 16384', 'hostile_big', 16384 ]) {
    my ($where, $vh, $limit) = @$server;
    my $expect = longest_passing(\&expect_line, $vh, $limit);
    my $xfoo = longest_passing(\&xfoo_line, $vh, $limit);
    ok $expect =~ /^\d+$/ && $expect >= $limit,
        "$where: an Expect line of LimitRequestFieldSize ($limit) bytes is met";
    is status_of('/ext', [expect_line($limit + 2)], vhost => $vh), 400,
        "$where: an Expect line two bytes longer gets 400";
    is $xfoo, $limit + 1,
        "$where: core takes an X-Foo line of up to LimitRequestFieldSize + 1 "
        . 'bytes (the LF may overrun its buffer when the CR fits)';
    is $expect, $xfoo, "$where: the longest Expect line met is as long as "
                     . 'the longest X-Foo line core takes';
}

{
    my $r = once(request(POST => '/ext', [expect_line(8192), 'Content-Length: 0']));
    is $r->{status}, 400, 'the main server: an 8 KB Expect line gets 400';
    like $r->{body}, qr/exceeds server limit/, '... with core\'s explanation';
    is status_of('/ext', [xfoo_line(8192)]), 400,
        '... as core answers an 8 KB X-Foo line';

    my $value = 'x-foo=' . ('v' x (8192 - 6));
    $r = once(request(POST => '/', ["Expect: $value", 'Content-Length: 0']),
              vhost => 'hostile_big');
    is $r->{status} . ' ' . ($r->{headers}{'x-expect-status'} // '-'),
        '200 met', 'a virtual host with 16384: an 8 KB Expect value is met';
    is $r->{headers}{'x-seen-expect'}, $value,
        '... and reaches the application whole';
}

{
    # Folded fields: core counts the line as sent plus each fold's text,
    # and wants the sum below LimitRequestFieldSize - 1.
    my %st;
    for my $len (8186 .. 8191) {
        my $fold = "\r\n ;p=1";             # 5 bytes without the CRLF
        $st{expect}{$len} = status_of('/ext',
            [expect_line($len - 5) . $fold]);
        $st{xfoo}{$len} = status_of('/ext', [xfoo_line($len - 5) . $fold]);
    }
    is "$st{expect}{8186} $st{expect}{8187} $st{expect}{8188}", '200 200 200',
        'a folded Expect field of up to 8188 bytes is met';
    is "$st{xfoo}{8188} $st{xfoo}{8189}", '200 400',
        '... core takes a folded X-Foo field of 8188 bytes, not 8189';
    is "$st{expect}{8191} $st{xfoo}{8191}", '400 400',
        'a folded field of 8191 bytes gets 400';
    is "$st{expect}{8189} $st{expect}{8190}", "$st{xfoo}{8189} $st{xfoo}{8190}",
        'folded fields of 8189 and 8190 bytes: Expect is treated as X-Foo';
}

{
    # Repeated lines: core merges them and holds the merged value to
    # LimitRequestFieldSize too.
    my @expect = map { 'Expect: x-foo=' . ('a' x 4986) } 1, 2;   # 5000 bytes
    my @xfoo = map { 'X-Foo: ' . ('b' x 4993) } 1, 2;
    my $e = status_of('/ext', \@expect);
    my $x = status_of('/ext', \@xfoo);
    is $x, 400, 'core: two X-Foo lines of 5000 bytes merge past the limit: 400';
    is $e, $x, 'two Expect lines of 5000 bytes: as two X-Foo lines';
}

{
    # LimitRequestFields (100) counts every field of the head.
    my @lines = ((map { "Expect: x-foo" } 1 .. 60), (map { "X-N$_: 1" } 1 .. 60));
    my $e = status_of('/ext', \@lines);
    my $x = status_of('/ext', [map { "X-N$_: 1" } 1 .. 120]);
    is $x, 400, 'core: 121 fields are over LimitRequestFields: 400';
    is $e, $x, '60 Expect lines and 60 others: as 120 other fields';
}

# --- thousands of members ---------------------------------------------------
{
    my $many = join ',', ('a') x 4000;                      # 7999 bytes
    my $s = connect_to();
    send_raw($s, request(GET => '/up', ["Expect: $many"]));
    my $r = read_response($s);
    is $r && $r->{status} . ' ' . $r->{headers}{'x-expect-status'},
        '417 rejected', '4000 members, strict: malformed, 417';
    like $r && $r->{body}, qr/too many expectations/, '... saying why';
    send_raw($s, request(GET => '/index.html', []));
    $r = read_response($s);
    is $r && $r->{status}, 200, '... and the connection (no body) goes on';

    $r = once(request(POST => '/lenient', ["Expect: $many", 'Content-Length: 0']));
    is join(' ', $r->{status}, $r->{headers}{'x-expect-status'} // '-',
            exists $r->{headers}{'x-seen-expect'} ? 'seen' : 'gone'),
        '200 ignored gone', '4000 members, lenient: the whole field is dropped';

    my $r64 = status_of('/ext', ['Expect: ' . join ', ', ('x-foo') x 64]);
    my $r65 = status_of('/ext', ['Expect: ' . join ', ', ('x-foo') x 65]);
    is "$r64 $r65", '200 417', '64 members are met, 65 are malformed';

    is status_of('/ext', [map { 'Expect: x-foo' } 1 .. 65]), 417,
        '65 members over 65 lines: malformed, 417';

    $s = connect_to();
    send_raw($s, request(POST => '/up',
                         ['Expect: ' . (',' x 8000) . ' 100-continue ,,', $cl]));
    is waited($s, $body), "100 200 met [" . (',' x 8000) . " 100-continue ,,] $body",
        '8000 empty list elements around 100-continue: met';

    $r = once(request(POST => '/', ['Expect: ' . join(',', ('x-foo') x 2700),
                                    'Content-Length: 0']),
              vhost => 'hostile_big');
    is $r->{status}, 417, '2700 members in a 16 KB field: 417';
}

# --- obs-fold -----------------------------------------------------------------
{
    my $s = connect_to();
    send_raw($s, "POST /ext HTTP/1.1\r\n$host"
                 . "Expect: 100-continue,\r\n x-foo,\r\n\t\tX-Bar\r\n   ,x-foo\r\n"
                 . "X-Fold: a\r\n b\r\n$cl\r\n\r\n");
    is waited($s, $body), "100 200 met [100-continue, x-foo, X-Bar ,x-foo] $body",
        'three folds: each one SP, the members judged, the 100 sent';

    $s = connect_to();
    send_raw($s, "POST /ext HTTP/1.1\r\n${host}Expect:\r\n 100-continue\r\n"
                 . "$cl\r\n\r\n");
    is waited($s, $body), "100 200 met [100-continue] $body",
        'an empty Expect line whose fold carries 100-continue';

    $s = connect_to();
    send_raw($s, "POST /up HTTP/1.1\r\n${host}Expect: 100-continue\r\n"
                 . " , x-foo\r\n$cl\r\n\r\n");
    is waited($s, $body), '417 rejected [] close eof',
        'a refused member in a fold: 417 before the body';

    $s = connect_to();
    my (undef, $echo) = exchange($s,
        "POST /cgi/echo.cgi HTTP/1.1\r\n${host}Expect: 100-continue\r\n"
        . "X-Fold: a\r\n b\r\nexpect: 100-continue,\r\n\t,\r\n$cl\r\n\r\n",
        $body);
    my $env = $echo ? $echo->{body} : '';
    is join(' ', $env =~ /^HTTP_(EXPECT|X_FOLD)=(.*)$/mg),
        'EXPECT 100-continue, 100-continue, , X_FOLD a b',
        'folds of Expect and of another field, interleaved: each kept with its own';

    my $folds = join '', map { "\r\n x-foo," } 1 .. 1000;    # 8008 bytes
    is status_of('/ext', ["Expect: x-foo$folds"]), 417,
        'a thousand folds (1001 members): malformed, 417, not a length error';

    is status_of('/ext', ["Expect: x-foo\r\n   "]), 400,
        'an empty fold: 400 ...';
    is status_of('/ext', ["X-Foo: x-foo\r\n   "]), 400,
        '... as core answers an empty fold of X-Foo';
    is status_of('/ext', ["Expect: x-foo\r\n x-\0bar"]), 400,
        'a NUL byte in a fold: 400';
    is once("POST /ext HTTP/1.1\r\n Expect: x-foo\r\n$host\r\n")->{status},
        400, 'a fold before the first field: 400 ...';
    is once("POST /ext HTTP/1.1\r\n X-Foo: x-foo\r\n$host\r\n")->{status},
        400, '... as core answers it';
}

# --- control bytes and NUL --------------------------------------------------
{
    my (@differ, @not400);
    for my $b (0 .. 8, 11 .. 31, 127) {
        my $c = chr $b;
        my $e = status_of('/ext', ["Expect: x-foo=a${c}b"]);
        my $x = status_of('/ext', ["X-Foo: x-foo=a${c}b"]);
        push @not400, sprintf('0x%02x: %s', $b, $e) if $e ne '400';
        push @differ, sprintf('0x%02x: %s vs %s', $b, $e, $x) if $e ne $x;
    }
    is_deeply \@not400, [], 'each control byte but HTAB in an Expect value: 400';
    is_deeply \@differ, [], '... as core answers it in an X-Foo value';

    my @nul;
    for my $line ("Exp\0ect: x-foo", "Expect:\0x-foo", "Expect: \0", "Expect: x-foo\0",
                  "Expect: x-foo=\"\0\"", "EXPECT\0: x-foo") {
        my $st = status_of('/ext', [$line]);
        (my $show = $line) =~ s/\0/\\0/g;
        push @nul, "$show: $st" if $st ne '400';
    }
    is_deeply \@nul, [], 'a NUL byte anywhere in an Expect line: 400';

    is status_of('/ext', ["Expect: x-foo\r"]), 400, 'a bare CR before CRLF: 400';
    is status_of('/ext', ["Expect: x-foo=a\tb"]), 417,
        'HTAB inside a member is no control byte for core: malformed, 417';
    is status_of('/ext', ["Expect: x-foo=\"\x80\xff\t\""]), 200,
        'obs-text and HTAB in a quoted-string: met';
    is status_of('/ext', ["Expect: x-foo=\x80"]), 417,
        'obs-text outside a quoted-string: malformed, 417';
}

# --- several Expect lines, mixed name case ----------------------------------
{
    my @lines = ('Expect: 100-continue', 'EXPECT: x-foo', 'X-A: 1',
                 'eXpEcT: X-BAR', "expect:\t100-CONTINUE\t", 'ExPeCt:x-foo=1;a=b');
    my $s = connect_to();
    send_raw($s, request(POST => '/ext', [@lines, $cl]));
    is waited($s, $body),
        "100 200 met [100-continue, x-foo, X-BAR, 100-CONTINUE, x-foo=1;a=b] $body",
        'five Expect lines in five cases: merged in order, met, one 100';

    $s = connect_to();
    send_raw($s, request(POST => '/up', ['Expect: 100-continue',
                                         'EXPECT: x-foo', 'expect: 100-continue', $cl]));
    is waited($s, $body), '417 rejected [] close eof',
        'a refused member on the second of three lines: 417 before the body';

    $s = connect_to();
    send_raw($s, request(POST => '/lenient', ['eXPECT: x-foo', 'Expect: 100-Continue',
                                              'EXPECT: x-bar', $cl]));
    is waited($s, $body), "100 200 ignored [100-Continue] $body",
        'lenient over three lines: two dropped, the 100 sent';
}

# --- pipelining ---------------------------------------------------------------
{
    my $s = connect_to();
    send_raw($s, request(GET => '/index.html', [])
                 . request(GET => '/up', ['Expect: x-foo'])
                 . request(GET => '/index.html', ['Connection: close']));
    is statuses_to_eof($s), '200 417 200 eof',
        'pipelined, the second refused without a body: 200 417 200';

    $s = connect_to();
    send_raw($s, request(GET => '/index.html', [])
                 . request(POST => '/up', ['Expect: 100-continue', $cl]) . $body
                 . request(POST => '/up', ['EXPECT: 100-continue, x-foo', $cl])
                 . $body
                 . request(GET => '/index.html', []));
    my $got = statuses_to_eof($s);
    $got =~ s/\b100 //g;        # an interim 100 to a body already sent may come
    is $got, '200 200 417 eof',
        'pipelined, the third refused with its body: 200 200 417, then closed';

    $s = connect_to();
    send_raw($s, request(POST => '/none', ['Expect: 100-continue', 'Content-Length: 0'])
                 . request(POST => '/up', ['Expect: x-foo', 'Content-Length: 0'])
                 . request(POST => '/lenient', ['Expect: x-foo', $cl]) . $body
                 . request(GET => '/index.html', ['Connection: close']));
    is statuses_to_eof($s), '417 417 200 200 eof',
        'pipelined refusals with Content-Length: 0 keep the connection';
}

# --- a refused request whose body is sent at once ----------------------------
{
    my $smuggled = request(GET => '/hostile-smuggled', []);
    my @cases = (
        [ 'a request as the body', request(POST => '/up', ['Expect: x-foo',
              'Content-Length: ' . length $smuggled]) . $smuggled ],
        [ 'a chunked body holding a request', request(POST => '/up', [
              'Expect: 100-continue, x-foo', 'Transfer-Encoding: chunked'])
              . sprintf('%x', length $smuggled) . "\r\n$smuggled\r\n0\r\n\r\n" ],
        [ 'a 256 KB body of requests', request(POST => '/none', [
              'Expect: 100-continue', 'Content-Length: '
              . length($smuggled) * int(262144 / length $smuggled)])
              . $smuggled x int(262144 / length $smuggled) ],
    );
    for my $case (@cases) {
        my ($what, $raw) = @$case;
        my $s = connect_to();
        send_raw($s, $raw . request(GET => '/hostile-after', []));
        is statuses_to_eof($s), '417 eof',
            "$what, then a pipelined request: one 417, then closed";
    }

    my $s = connect_to();
    send_raw($s, request(GET => '/index.html', [])
                 . request(POST => '/up', ['Expect: x-foo',
                       'Content-Length: ' . length $smuggled]) . $smuggled
                 . request(GET => '/hostile-after', []));
    is statuses_to_eof($s), '200 417 eof',
        'the refused request second in a pipeline: 200 417, then closed';
}

# --- clients that leave in the middle of the head ---------------------------
{
    # Half-closed: the server sees EOF and answers as core does to a head
    # cut in an ordinary line.
    my @differ;
    my $start = "POST /up HTTP/1.1\r\n${host}";
    for my $cut ([ 'Exp', 'X-F' ], [ 'Expect', 'X-Foo' ], [ 'Expect:', 'X-Foo:' ],
                 [ 'Expect: 100-', 'X-Foo: 100-' ],
                 [ "Expect: 100-continue\r", "X-Foo: 100-continue\r" ],
                 [ "Expect: 100-continue\r\n", "X-Foo: 100-continue\r\n" ],
                 [ "Expect: 100-continue\r\n x-fo", "X-Foo: 100-continue\r\n x-fo" ],
                 [ "Expect: 100-continue\r\n\r", "X-Foo: 100-continue\r\n\r" ]) {
        my @got;
        for my $head (@$cut) {
            my $s = connect_to();
            send_raw($s, $start . $head);
            shutdown $s, SHUT_WR;
            push @got, statuses_to_eof($s);
        }
        (my $show = $cut->[0]) =~ s/\r/\\r/g;
        $show =~ s/\n/\\n/g;
        push @differ, "'$show': @got" if $got[0] ne '400 eof' || $got[1] ne $got[0];
    }
    is_deeply \@differ, [],
        'half-closed in the middle of an Expect line or after it: 400, as core '
        . 'answers a head cut in an X-Foo line';

    # Gone for good, at every byte of an Expect line and its fold.
    my $head = "POST /up HTTP/1.1\r\n${host}Expect: 100-continue,\r\n x-foo\r\n";
    for my $p (length($start) .. length($head)) {
        my $s = connect_to();
        send_raw($s, substr($head, 0, $p));
        close $s;
    }
    # And after the 100, without the body.
    my $s = connect_to();
    send_raw($s, request(POST => '/up', ['Expect: 100-continue', $cl]));
    my $i = read_response($s);
    close $s;
    is $i && $i->{status}, 100, 'a client that leaves after the 100 got it';
    is status_of('/up', ['Expect: 100-continue']), 200,
        'after clients left at every byte of an Expect line, a request is met';
}

# --- HTTP/1.0 -------------------------------------------------------------------
{
    my $s = connect_to();
    send_raw($s, request(POST => '/up', ['Expect: 100-continue', $cl],
                         proto => 'HTTP/1.0') . $body);
    my ($data, $closed) = read_to_eof($s);
    my @st = $data =~ m{^HTTP/1\.\d (\d{3})}mg;    # the body has no "HTTP/"
    is "@st" . ($closed ? ' eof' : ''), '200 eof',
        'HTTP/1.0, body sent at once: one 200, no interim 100, closed';
    like $data, qr/\r\n\r\n\Q$body\E\z/, '... the body echoed';
    like $data, qr/^X-Expect-Status: met\r$/m, '... EXPECT_STATUS met';

    # The body withheld until the module has judged the head: a 100 or a
    # 417 would then come before the final answer to the body.
    $s = connect_to();
    my $mark = log_mark();
    send_raw($s, request(POST => '/none', ['Expect: 100-continue', $cl,
                                           'Connection: keep-alive'],
                         proto => 'HTTP/1.0'));
    ok judged($s, $mark, '/none'),
        'HTTP/1.0, body withheld where nothing is allowed: the head is judged';
    send_raw($s, $body);
    my $r = read_response($s);
    like join(' ', $r ? ($r->{status}, $r->{body}, $r->{headers}{connection} // '-')
                      : 'none'),
        qr/^200 \Q$body\E .*\bKeep-Alive\b/i,
        '... then the body: the first answer is the 200 (neither 100 nor 417), '
        . 'keep-alive kept';
    send_raw($s, request(GET => '/index.html', [], proto => 'HTTP/1.0'));
    $r = read_response($s);
    is $r && $r->{status}, 200, '... and the connection answers again';

    $s = connect_to();
    send_raw($s, request(POST => '/up', ['Expect: 100-continue, x-foo', $cl,
                                         'Connection: keep-alive'],
                         proto => 'HTTP/1.0') . $body
                 . request(GET => '/hostile-after', [], proto => 'HTTP/1.0'));
    is statuses_to_eof($s), '417 eof',
        'HTTP/1.0 with another member, body sent at once: 417, then closed';

    $s = connect_to();
    send_raw($s, request(POST => '/lenient', ['Expect: 100-continue, x-foo', $cl],
                         proto => 'HTTP/1.0') . $body);
    $r = read_response($s);
    is join(' ', map { $_ // '-' } $r->{status}, $r->{headers}{'x-expect-status'},
                 $r->{headers}{'x-seen-expect'}, $r->{body}),
        "200 ignored 100-continue $body",
        'HTTP/1.0, lenient: x-foo dropped, 100-continue left for the application';
}

# --- HTTP/2: refused and met streams side by side ----------------------------
SKIP: {
    skip 'mod_http2 does not run under mpm_prefork', 27 unless $h2;

    # mod_reflector does not read a request body over HTTP/2 (it gives up
    # on connections marked to close, as HTTP/2's secondary connections
    # are), so the streams that are met go to the CGI script.  Where core
    # judges HTTP/2 fields (t/h2.t), it refuses all but an exact
    # 100-continue itself, at once and without EXPECT_STATUS.
    my $core_h2 = h2_judged_by_core();
    my $by_core = sub { $core_h2 ? $_[1] // '- 417 - held' : $_[0] };
    note "$core_h2: the streams marked so are judged by core" if $core_h2;
    my @kinds = (
        [ met => { method => 'POST', path => '/cgi/echo.cgi',
                   headers => [[expect => '100-continue']] },
          '100 200 met sent' ],
        [ none => { method => 'POST', path => '/none',
                    headers => [[expect => '100-continue']] },
          '- 417 rejected held' ],
        [ unknown => { method => 'POST', path => '/up',
                       headers => [[expect => '100-continue, x-foo']] },
          $by_core->('- 417 rejected held') ],
        [ lenient => { method => 'POST', path => '/cgi-lenient',
                       headers => [[expect => 'x-other'], [expect => '100-continue']] },
          $by_core->('100 200 ignored sent') ],
        [ malformed => { method => 'POST', path => '/up',
                         headers => [[expect => '100-continue; x']] },
          $by_core->('- 417 rejected held') ],
        [ eager => { method => 'POST', path => '/none', eager => JSON::PP::true,
                     headers => [[expect => '100-continue']] },
          '- 417 rejected sent' ],
        [ extension => { method => 'POST', path => '/cgi-lenient',
                         headers => [[expect => 'x-foo, X-FOO=1']] },
          $by_core->('- 200 met sent', '- 417 - sent') ],
        [ many => { method => 'POST', path => '/up',
                    headers => [[expect => '100-continue,' . join ',', ('a') x 3000]] },
          $by_core->('- 417 rejected held') ],
    );
    my (@reqs, @want);
    for my $round (1 .. 3) {
        for my $k (@kinds) {
            my ($name, $req, $want) = @$k;
            push @reqs, { %$req, body => "$name $round" };
            push @want, [ "$name $round", $want ];
        }
    }
    my @r = h2(@reqs);
    my @got = map {
        join ' ', @{ $_->{interim} } ? "@{ $_->{interim} }" : '-',
                  $_->{status} // 'none',
                  $_->{headers}{'x-expect-status'} // '-',
                  $_->{body_sent} ? 'sent' : 'held'
    } @r;
    for my $i (0 .. $#want) {
        is $got[$i], $want[$i][1], "HTTP/2 stream '$want[$i][0]': $want[$i][1]"
            . ($core_h2 && $want[$i][1] =~ /^- 417 - /
               ? ' (judged by httpd\'s core here)' : '');
    }
    is_deeply [map { $_->{body} =~ /^BODY=(.*)$/m ? $1 : '-' }
               grep { ($_->{status} // 0) == 200 } @r],
              [map { $_->[0] } grep { $_->[1] =~ / 200 / } @want],
        'HTTP/2: the script of every stream that was met read its own body';
    is scalar(grep { $_->{reset} } @r), 0, 'HTTP/2: no stream was reset';

    # Forty streams at once, refused and met alternately.
    @reqs = map { $_ % 2
        ? { method => 'POST', path => '/none', body => "r$_",
            headers => [[expect => '100-continue']] }
        : { method => 'POST', path => '/cgi/echo.cgi', body => "m$_",
            headers => [[expect => '100-continue']] } } 1 .. 40;
    @r = h2(@reqs);
    is join(' ', map { $_->{status} // 'none' } @r),
       join(' ', map { $_ % 2 ? 417 : 200 } 1 .. 40),
       'HTTP/2: 40 streams, refused and met alternately, each its own status';
}

# --- the server is still there, and nothing crashed -------------------------
{
    is status_of('/up', ['Expect: 100-continue']), 200,
        'the server still answers';
    # A crashed child is logged when the parent reaps it, which may be
    # later: this looks at what is logged by now, and t/integration.sh
    # looks again, for good, once the server has stopped and every child
    # is reaped.
    my $logs = Apache::Test::vars('t_logs');
    open my $fh, '<', "$logs/error_log" or die "$logs/error_log: $!";
    my @bad = grep { /exit signal|AddressSanitizer|runtime error:/ } <$fh>;
    is_deeply \@bad, [], 'the error log shows no crash and no sanitizer report';
    open $fh, '<', "$logs/access_log" or die "$logs/access_log: $!";
    my @smuggled = grep { m{/hostile-(?:smuggled|after)} } <$fh>;
    is_deeply \@smuggled, [],
        'no body and nothing after a refused request was taken for a request';
}
