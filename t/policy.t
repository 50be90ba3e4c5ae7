# ExpectAllow and ExpectPolicy in one scope each, EXPECT_STATUS, what the
# application and later modules see, and the log lines.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestUtil qw(t_start_error_log_watch t_finish_error_log_watch);
use lib 't/lib';
use ExpectTest;

plan tests => 68;

my $body = "payload";
my $cl = "Content-Length: " . length $body;

# POST with Content-Length: 0 and the given Expect value; the response.
sub post {
    my ($path, $expect, @more) = @_;
    my $s = connect_to();
    send_raw($s, request(POST => $path, ["Expect: $expect", "Content-Length: 0",
                                         @more]));
    return read_response($s) || { status => 'none', headers => {}, body => '' };
}

# --- strict, the defaults ------------------------------------------------
my $r = post('/up', 'x-foo');
is $r->{status}, 417, 'default policy: an unknown expectation gets 417';
is $r->{headers}{'x-expect-status'}, 'rejected', 'EXPECT_STATUS rejected';

$r = post('/up', '100-continue, x-foo');
is $r->{status}, 417, 'strict: one refused member refuses the request';

$r = post('/up', '100-CONTINUE');
is $r->{status}, 200, 'names are matched case-insensitively';
is $r->{headers}{'x-expect-status'}, 'met', 'EXPECT_STATUS met';
is $r->{headers}{'x-seen-expect'}, '100-CONTINUE',
    'a met field reaches the application unchanged';

# --- ExpectAllow ----------------------------------------------------------
$r = post('/ext', 'x-foo');
is $r->{status}, 200, 'ExpectAllow: an extension expectation is met';
$r = post('/ext', 'X-FOO=1;a="b, c", x-bar');
is $r->{status}, 200, 'matched on the name, whatever the value and parameters';
is $r->{headers}{'x-seen-expect'}, 'X-FOO=1;a="b, c", x-bar',
    '... and the application sees the field as sent';
$r = post('/ext', 'x-baz');
is $r->{status}, 417, 'ExpectAllow: a name not listed gets 417';

$r = post('/none', 'x-foo');
is $r->{status}, 417, 'ExpectAllow none: everything gets 417';

# --- lenient -------------------------------------------------------------
$r = post('/lenient', '100-continue, x-foo, 100-continue,');
is $r->{status}, 200, 'lenient: the request goes on';
is $r->{headers}{'x-seen-expect'}, '100-continue, 100-continue',
    'lenient: the application sees only the kept members';
is $r->{headers}{'x-expect-status'}, 'ignored', 'EXPECT_STATUS ignored';
is $r->{headers}{'x-setenvif'}, 'ignored',
    'a later header_parser hook (SetEnvIf) sees the outcome';
is $r->{headers}{'x-rewrite'}, 'ignored', 'mod_rewrite sees the outcome';

$r = post('/lenient', 'x-foo');
is $r->{status}, 200, 'lenient: nothing kept, the request goes on';
ok !exists $r->{headers}{'x-seen-expect'},
    'lenient: no Expect header when no member is kept';

$r = post('/lenient', 'foo bar');
is $r->{status}, 200, 'lenient: a malformed field is dropped whole';
ok !exists $r->{headers}{'x-seen-expect'}, '... and the application sees none';
is $r->{headers}{'x-expect-status'}, 'ignored', '... EXPECT_STATUS ignored';

$r = post('/lenient', '100-continue');
is $r->{headers}{'x-expect-status'}, 'met', 'lenient: nothing dropped is met';
is $r->{headers}{'x-setenvif'}, 'met', '... SetEnvIf sees met';

{
    # 100-continue dropped: the client still gets its interim 100 at once
    # (RFC 9110 10.1.1), only the application does not see the member.  A
    # client with no timer of its own (Node, Java) would wait here until
    # the server's Timeout (60 s here) were the 100 not sent.
    my $s = connect_to();
    send_raw($s, request(POST => '/lenient-none', ["Expect: 100-continue", $cl]));
    my $early = read_response($s, timeout => 10);
    is $early && $early->{status}, 100,
        'lenient, 100-continue dropped: the interim 100 comes all the same';
    send_raw($s, $body);
    my $res = read_response($s);
    is $res && $res->{body}, $body, '... and the body is read';
    is $res && $res->{headers}{'x-expect-status'}, 'ignored',
        '... EXPECT_STATUS ignored';
    ok !exists $res->{headers}{'x-seen-expect'},
        '... the application does not see the dropped 100-continue';
    unlike $res && $res->{headers}{connection} // '', qr/close/i,
        '... and the connection is kept';
}
{
    # Without a body there is nothing to answer: the connection stays.
    my $s = connect_to();
    send_raw($s, request(POST => '/lenient', ["Expect: a b", "Content-Length: 0"]));
    my $res = read_response($s);
    is $res && $res->{status}, 200, 'lenient, malformed field, no body: 200';
    unlike $res && $res->{headers}{connection} // '', qr/close/i,
        '... and the connection is kept';
}
# A malformed field that lenient drops whole is as if it were absent: no
# interim 100, even for one that looks like 100-continue.  The head and the
# body go together, so the first response shows it: core would send its 100
# before the handler's first read, had the module left expecting_100 set.
for my $v ('100-continue, @@', 'y 100-continue', '100 continue') {
    my $s = connect_to();
    send_raw($s, request(POST => '/lenient', ["Expect: $v", $cl]) . $body);
    my $res = read_response($s, timeout => 10);
    is $res && $res->{status}, 200,
        "lenient, malformed '$v' dropped: no interim 100, the final status first";
    is $res && $res->{body}, $body, '... and the body is read';
}

# --- modules that run before the decision -------------------------------
# Before 2.4.49 core checks Expect after the post_read_request hooks, so
# the field stays hidden from them until quick_handler
# (docs/how-it-works.md).
my $server = Apache::Test::config()->{server}{version};
SKIP: {
    skip "$server checks Expect after post_read_request (before 2.4.49): "
         . "post_read_request hooks do not see the field", 3
        if !have_min_apache_version('2.4.49');
    my $s = connect_to('early');
    send_raw($s, request(POST => '/', ["Expect: x-drop, 100-continue",
                                       "Content-Length: 0"]));
    my $res = read_response($s);
    is $res && $res->{status}, 200,
        'RequestHeader ... early changed the field: the change is judged';
    is $res && $res->{headers}{'x-seen-expect'}, '100-continue',
        '... and the application sees the changed field';

    my $log = Apache::Test::vars('t_logs') . '/forensic_log';
    post('/up', '100-continue, x-forensic-marker');
    open my $fh, '<', $log or die "$log: $!";
    ok((grep { /Expect:100-continue, x-forensic-marker/ } <$fh>),
       'mod_log_forensic (post_read_request, REALLY_FIRST) sees the field');
}

# --- what a CGI application sees ------------------------------------------
{
    my $s = connect_to();
    my ($interim, $final) = exchange($s,
        request(POST => '/cgi-lenient', ["Expect: x-other, x-foo, 100-continue",
                                         $cl]), $body);
    is $interim && $interim->{status}, 100,
        'CGI, lenient: the kept 100-continue still gets its interim 100';
    my $b = $final ? $final->{body} : '';
    like $b, qr/^HTTP_EXPECT=x-foo, 100-continue$/m,
        'CGI: HTTP_EXPECT holds the kept members';
    like $b, qr/^EXPECT_STATUS=ignored$/m, 'CGI: EXPECT_STATUS in its environment';
    like $b, qr/^BODY=\Q$body\E$/m, 'CGI: the body';
}
{
    my $s = connect_to();
    my ($interim, $final) = exchange($s,
        request(POST => '/cgi/echo.cgi', ["Expect: 100-continue", $cl]), $body);
    my $b = $final ? $final->{body} : '';
    like $b, qr/^EXPECT_STATUS=met$/m, 'CGI: EXPECT_STATUS met';
    like $b, qr/^HTTP_EXPECT=100-continue$/m, 'CGI: HTTP_EXPECT as sent';
}

# --- the default 417 page: error-notes, escaped -----------------------------
$r = post('/up', q{x&y'z});
like $r->{body}, qr/The expectation "x&amp;y'z" cannot be met/,
    'the default 417 page names the refused expectation, HTML-escaped';
unlike $r->{body}, qr/x&y/, 'nothing of the field is printed unescaped';
$r = post('/up', 'a <b>');
like $r->{body}, qr/The Expect field is malformed/,
    'the default 417 page says when the field is malformed';
unlike $r->{body}, qr/<b>/, '... without echoing markup';
unlike $r->{body}, qr/Only the 100-continue expectation/,
    'the default 417 page is not core\'s';
like $r->{body}, qr/This resource can meet: 100-continue\./,
    'the default 417 page says what this scope meets';
$r = post('/ext', 'x-nope');
like $r->{body}, qr/This resource can meet: 100-continue, x-foo, x-bar\./,
    'the default 417 page lists every name the scope allows';
$r = post('/amp', 'x-nope');
like $r->{body}, qr/This resource can meet: x-a&amp;b\./,
    'the default 417 page escapes the names it lists';
$r = post('/none', '100-continue');
like $r->{body}, qr/This resource meets no expectation\./,
    'the default 417 page of ExpectAllow none';
like $r->{headers}{'content-type'} // '', qr{^text/html},
    '... served as HTML';
$r = post('/ed-text', 'x-nope');
is $r->{body}, 'no expectation is met here', 'an ErrorDocument still wins';

# --- EXPECT_DROPPED ------------------------------------------------------------
$r = post('/lenient', 'x-one, 100-continue, x-two="a\\"b"');
is $r->{headers}{'x-expect-dropped'}, 'x-one, x-two=\\"a\\\\\\"b\\"',
    'EXPECT_DROPPED: the dropped members, escaped as log items are';
$r = post('/lenient', '100-continue');
ok !exists $r->{headers}{'x-expect-dropped'}, 'EXPECT_DROPPED: unset when nothing is dropped';
$r = post('/lenient', "a \xffb");
is $r->{headers}{'x-expect-dropped'}, 'a \\xffb',
    'EXPECT_DROPPED: a malformed field whole, bytes outside ASCII escaped';

# --- access log and error log ----------------------------------------------
{
    t_start_error_log_watch();
    post('/up', 'x-logged');
    post('/lenient', 'x-dropped, 100-continue');
    post('/up', 'x-one, x-two=1');
    my @log = t_finish_error_log_watch();
    my $log = join '', @log;
    like $log, qr/\[expect:info\].*refused expectation "x-logged" for \/up/,
        'info: a line per refused member, with the URI';
    like $log, qr/\[expect:info\].*dropped expectation "x-dropped" for \/lenient/,
        'info: a line per dropped member';
    is scalar(() = $log =~ /refused expectation "x-(?:one|two=1)"/g), 2,
        'info: one line for each refused member';
    like $log, qr/\[expect:debug\].*parsed into 2 member/,
        'debug: the parse';
    like $log, qr/\[expect:debug\].*Expect for \/up: rejected/,
        'debug: the decision';
    unlike $log, qr/AH\d{5}.*expect/i, 'no AH numbers of our own';
}
{
    # The counters say at startup how they count: with the builtins here
    # (x86-64), with their lock where 64-bit atomics are not lock-free.
    my $log = Apache::Test::vars('t_logs') . '/error_log';
    open my $fh, '<', $log or die "$log: $!";
    ok((grep { /\[expect:debug\].*the Expect counters: \d+ bytes of shared memory, counted with builtin 64-bit atomics/ } <$fh>),
       'debug: the counters, at startup, and how they count');
}

{
    my $log = Apache::Test::vars('t_logs') . '/access_log';
    open my $fh, '<', $log or die "$log: $!";
    my @lines = <$fh>;
    ok((grep { m{"POST /up HTTP/1.1" 417 expect=rejected} } @lines),
       '%{EXPECT_STATUS}e in the access log: rejected');
    ok((grep { m{"POST /lenient HTTP/1.1" 200 expect=ignored} } @lines),
       '%{EXPECT_STATUS}e in the access log: ignored');
}
