# Internal redirects are judged in every scope they land in, as access
# control is: the request must be met by its first scope (which judges it
# before any rewrite runs) and by each scope it is redirected into, and
# each of them judges the field the client sent, all its members, whatever
# an earlier lenient scope dropped.  The strictest answer wins (a 417
# anywhere is the answer), and the request is counted once; a refused one
# is not watched (no EXPECT_CONTINUE, no ExpectContinue* line).  The
# ErrorDocument of an error and subrequests are never judged.
# t/conf/redirect.conf.in has the scopes.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use lib 't/lib';
use ExpectTest;

my $multiviews = -e "$ENV{EXPECT_LIBEXECDIR}/mod_negotiation.so";
plan tests => 52 + 4 * 26 + 1 + 6 + 2 + 4 * 8 + 13;

sub post {
    my ($path, $expect, %opt) = @_;
    my $s = connect_to('redirect');
    send_raw($s, request($opt{method} // 'POST', $path,
                         [ defined $expect ? "Expect: $expect" : (),
                           'Content-Length: 0' ]));
    return read_response($s) || { status => 'none', headers => {}, body => '' };
}

sub moved {
    my ($before, $after) = @_;
    return join ' ', map { "$_+" . ($after->{"Expect$_"} - $before->{"Expect$_"}) }
                     qw(Requests Met Rejected Ignored);
}

# [ path, Expect, status, EXPECT_STATUS, body or header check, name ]
my @cases = (
    [ '/ht/strict', '100-continue', 417, 'rejected',
      [ body => qr/^the strict target's page$/ ],
      '.htaccess rewrite into a stricter scope: refused there' ],
    [ '/dir/strict', '100-continue', 417, 'rejected',
      [ body => qr/^the strict target's page$/ ],
      'Directory rewrite into a stricter scope: refused there' ],
    [ '/ht/loose', 'x-foo', 200, 'met',
      [ 'x-seen-expect' => 'x-foo' ],
      '.htaccess rewrite into a looser scope: met by both' ],
    [ '/ht/loose', 'x-bar', 417, 'rejected',
      [ body => qr/This resource can meet: 100-continue, x-foo\./ ],
      '... what the first scope cannot meet is refused there, with its page' ],
    [ '/dir/loose', 'x-foo', 200, 'met',
      [ 'x-seen-expect' => 'x-foo' ],
      'Directory rewrite into a looser scope: met by both' ],
    [ '/dir/lax', 'x-foo', 200, 'ignored',
      [ 'x-expect-dropped' => 'x-foo' ],
      'rewrite into a lenient scope: it drops what it cannot meet' ],
    [ '/dirlenient/loose', '100-continue, x-foo', 200, 'ignored',
      [ 'x-seen-expect' => '100-continue' ],
      'from a lenient scope: what it dropped stays dropped, the worse status' ],
    [ '/act', '100-continue', 417, 'rejected',
      [ body => qr/^the strict target's page$/ ],
      'Action into a stricter scope' ],
    [ '/idx/', '100-continue', 417, 'rejected',
      [ body => qr/^the index file's page$/ ],
      'DirectoryIndex (a fast redirect) into a stricter scope' ],
    [ '/refuse-to-strict', 'x-foo', 417, 'rejected',
      [ body => qr/^IDX-PAGE$/ ],
      'an ErrorDocument in a scope that refuses too is not judged' ],
);

for my $c (@cases) {
    my ($path, $expect, $status, $st, $check, $name) = @$c;
    my $r = post($path, $expect);
    is $r->{status}, $status, "$name: $status";
    is $r->{headers}{'x-expect-status'}, $st, "... EXPECT_STATUS $st";
    my ($what, $want) = @$check;
    check($what eq 'body' ? $r->{body} : $r->{headers}{$what}, $want,
          "... $what");
    unlike $r->{body}, qr/Additionally/, '... and no error while answering';
}

# The index file's scope refuses only what it is asked to meet.
my $r = post('/idx/', undef, method => 'GET');
is $r->{status}, 200, 'the index file serves without Expect';
like $r->{body}, qr/IDX-PAGE/, '... its content';

# Counted once: the request, and its final outcome.
{
    my $before = counters();
    post('/ht/strict', '100-continue');
    my $mid = counters();
    is moved($before, $mid), 'Requests+1 Met+0 Rejected+1 Ignored+0',
        'met then refused after a redirect: one request, rejected';
    post('/dirlenient/loose', '100-continue, x-foo');
    my $after = counters();
    is moved($mid, $after), 'Requests+1 Met+0 Rejected+0 Ignored+1',
        'dropped then met after a redirect: one request, ignored';
}

# Refused after a redirect while the client withholds its body: at once,
# no 100, and the connection closes (the unread body must never be read
# as a request).
{
    my $s = connect_to('redirect');
    my ($interim, $final) = exchange($s,
        request(POST => '/ht/strict', ['Expect: 100-continue',
                                       'Content-Length: 5']),
        'hello', wait => 10);
    ok !$interim, 'refused after a redirect, body withheld: no 100';
    is $final && $final->{status}, 417, '... 417 before the body';
    is $final && lc($final->{headers}{connection} // ''), 'close',
        '... with Connection: close';
    ok closed_by_server($s), '... and the connection is closed';
}

# Met after a redirect: the 100 goes out when the target reads the body.
{
    my $s = connect_to('redirect');
    my ($interim, $final) = exchange($s,
        request(POST => '/ht/loose', ['Expect: 100-continue',
                                      'Content-Length: 5']),
        'hello', wait => 10);
    is $interim && $interim->{status}, 100, 'met after a redirect: 100 Continue';
    is $final && $final->{status}, 200, '... then 200';
    is $final && $final->{body}, 'hello', '... with the body read';
    is $final && $final->{headers}{'x-expect-status'}, 'met',
        '... EXPECT_STATUS met';
}

# ---- every scope judges the field the client sent ----

# A client that waits for the 100 ('careful', as curl does) or sends its
# body with its head ('eager'), with a body of 5 bytes: "[100] status
# EXPECT_STATUS [X-Seen-Expect]", then "dropped=EXPECT_DROPPED" if set,
# then "close eof" when the server announced the end of the connection and
# closed it; and the body.  A careful client refused must get no 100 and
# see the connection closed (the unread body must never be read as a
# request).
sub probe {
    my ($how, $path, $expect) = @_;
    my $s = connect_to('redirect');
    my $head = request(POST => $path, [defined $expect ? "Expect: $expect"
                                                       : (),
                                       'Content-Length: 5']);
    my ($interim, $final);
    if ($how eq 'careful') {
        ($interim, $final) = exchange($s, $head, 'hello', wait => 10,
                                      timeout => 10);
    }
    else {
        send_raw($s, $head . 'hello');
        $final = read_response($s, timeout => 10);
        ($interim, $final) = ($final, read_response($s, timeout => 10))
            if $final && $final->{status} == 100;
    }
    return ('none', '') unless $final;
    my $h = $final->{headers};
    my @out = (($interim ? $interim->{status} : ()), $final->{status},
               $h->{'x-expect-status'} // '-',
               '[' . ($h->{'x-seen-expect'} // '') . ']');
    push @out, "dropped=$h->{'x-expect-dropped'}"
        if defined $h->{'x-expect-dropped'};
    if (($h->{connection} // '') =~ /close/i) {
        push @out, 'close';
        push @out, 'eof' if closed_by_server($s, 10);
    }
    return ("@out", $final->{body});
}

# [ how, path, Expect, summary, body, name ]; 'mv' cases need MultiViews.
my @chains = (
    # lenient -> strict, from each kind of redirect
    [ careful => '/htlen/strict', '100-continue',
      '417 rejected [] dropped=100-continue close eof',
      qr/^the strict target's page$/,
      'lenient .htaccess (none) -> strict Location (issue 20)' ],
    [ eager => '/htpol/default', 'x-foo',
      '417 rejected [] dropped=x-foo close eof',
      qr/"x-foo" cannot be met.*can meet: 100-continue\./s,
      'lenient .htaccess (default list) -> default Location: x-foo refused' ],
    [ careful => '/htpol/default', '100-continue, x-foo',
      '417 rejected [] dropped=x-foo close eof', qr/"x-foo" cannot be met/,
      '... and with 100-continue: no 100 before the 417' ],
    [ eager => '/dirlenient/default', 'x-foo',
      '417 rejected [] dropped=x-foo close eof', qr/"x-foo" cannot be met/,
      'lenient Directory -> default Location: x-foo refused' ],
    [ careful => '/dirlenient/strict', '100-continue, x-foo',
      '417 rejected [] dropped=x-foo close eof',
      qr/^the strict target's page$/,
      'lenient Directory -> strict Location' ],
    [ careful => '/actlen', '100-continue',
      '417 rejected [] dropped=100-continue close eof',
      qr/^the strict target's page$/,
      'lenient Location -> Action -> strict Location' ],
    [ careful => '/idxlen/', '100-continue',
      '417 rejected [] dropped=100-continue close eof',
      qr/^the lenient directory's index file's page$/,
      'lenient Directory -> DirectoryIndex -> strict Files' ],
    [ careful => '/mv/page', '100-continue',
      '417 rejected [] dropped=100-continue close eof',
      qr/^the negotiated file's page$/,
      'lenient Directory -> MultiViews -> strict Files', 'mv' ],
    [ careful => '/ptlen/x', '100-continue',
      '417 rejected [] close eof', qr/^the strict target's page$/,
      'server-context [PT] out of a lenient Location: the target judges' ],
    # strict -> lenient: the lenient target cannot open the strict source
    [ eager => '/dir/lax', 'x-bar',
      '417 rejected [] close eof', qr/can meet: 100-continue, x-foo\./,
      'strict Directory -> lenient Location: refused by the source' ],
    [ careful => '/dir/lax', '100-continue, x-foo',
      '100 200 ignored [100-continue] dropped=x-foo', qr/^hello$/,
      '... what both meet or the target drops: met, dropped' ],
    # lenient -> lenient, different lists: what either drops stays dropped
    [ careful => '/laxa/laxb', '100-continue, x-a, x-b',
      '100 200 ignored [100-continue] dropped=x-a, x-b', qr/^hello$/,
      'lenient (x-a) -> lenient (x-b): each drops its own, once' ],
    [ eager => '/laxa/laxb', 'x-b',
      '200 ignored [] dropped=x-b', qr/^hello$/,
      '... what the source dropped, the target does not give back' ],
    [ eager => '/laxa/laxb', 'x-a',
      '200 ignored [] dropped=x-a', qr/^hello$/,
      '... what the target drops' ],
    [ careful => '/htlen/loose', '100-continue',
      '100 200 ignored [] dropped=100-continue', qr/^hello$/,
      'lenient .htaccess -> looser Location: still dropped, still answered' ],
    # three scopes and more
    [ careful => '/htlen/dir', '100-continue',
      '417 rejected [] dropped=100-continue close eof',
      qr/^the strict target's page$/,
      'lenient .htaccess -> Directory -> strict Location' ],
    [ eager => '/dir/lenient', 'x-foo',
      '417 rejected [] dropped=x-foo close eof',
      qr/^the strict target's page$/,
      'Directory -> lenient Directory -> strict Location' ],
    [ careful => '/htlen/idx', '100-continue',
      '417 rejected [] dropped=100-continue close eof',
      qr/^the index file's page$/,
      'lenient .htaccess -> Directory -> DirectoryIndex -> strict Files' ],
    [ careful => '/htlen/act', '100-continue',
      '417 rejected [] dropped=100-continue close eof',
      qr/^the strict target's page$/,
      'lenient .htaccess -> Location -> Action -> strict Location' ],
    [ careful => '/pt/strict', '100-continue',
      '417 rejected [] dropped=100-continue close eof',
      qr/^the strict target's page$/,
      'server-context [PT] -> lenient .htaccess -> strict Location' ],
    [ careful => '/ht/dir', '100-continue, x-foo',
      '100 200 met [100-continue, x-foo]', qr/^hello$/,
      '.htaccess -> Directory -> Location, each meets all: met' ],
    [ careful => '/pt/loose', '100-continue',
      '100 200 ignored [] dropped=100-continue', qr/^hello$/,
      'server-context [PT] -> lenient .htaccess -> looser Location' ],
    # never judged: the ErrorDocument of an error, subrequests
    [ careful => '/htlen/errdoc', '100-continue',
      '417 rejected [] dropped=100-continue close eof', qr/^IDX-PAGE$/,
      'refused after a redirect: its ErrorDocument file (in a strict scope) '
      . 'is not judged' ],
    [ eager => '/dir/missing', 'x-foo',
      '404 met []', qr/^IDX-PAGE$/,
      'a 404 ErrorDocument in a strict scope is not judged' ],
    [ eager => '/subreq/x', 'x-foo',
      '200 met [x-foo]', qr/^hello$/,
      'a subrequest into a strict scope (RewriteCond -U) is not judged' ],
    [ careful => '/subreq/y', '100-continue',
      '100 200 met [100-continue]', qr/^hello$/,
      '... nor with 100-continue' ],
);

for my $c (@chains) {
    my ($how, $path, $expect, $want, $body, $name, $need) = @$c;
  SKIP: {
        skip "no mod_negotiation in this httpd", 4
            if ($need // '') eq 'mv' && !$multiviews;
        my ($got, $content) = probe($how, $path, $expect);
        is $got, $want, "$name ($how, Expect: $expect)";
        check($content, $body, '... the body');
        unlike $content, qr/Additionally/, '... no error while answering';
        my ($plain) = probe(eager => $path, undef);
        like $plain, qr/^(?:200|404) - \[\]$/,
            '... the same request without Expect: not judged, not refused';
    }
}

# The subrequest really ran: its answer chose the rewrite.
{
    my $s = connect_to('redirect');
    send_raw($s, request(POST => '/subreq/z', ['Expect: x-foo',
                                               'Content-Length: 0']));
    my $r = read_response($s);
    is $r && $r->{headers}{'x-subreq'}, 'ok',
        'the subrequest of RewriteCond -U ran and found the strict scope';
}

# ---- counted once ----

sub delta {
    my ($before, $after, @names) = @_;
    return join ' ', map { "$_+" . (($after->{"Expect$_"} // 0)
                                    - ($before->{"Expect$_"} // 0)) } @names;
}

my @NAMES = qw(Requests Met Rejected Ignored Continue WouldReject
               Name_100-continue);
for my $c (
    [ careful => '/htlen/strict', '100-continue',
      'Requests+1 Met+0 Rejected+1 Ignored+0 Continue+1 WouldReject+1 '
      . 'Name_100-continue+1', 'dropped, then refused' ],
    [ careful => '/laxa/laxb', '100-continue, x-a, x-b',
      'Requests+1 Met+0 Rejected+0 Ignored+1 Continue+1 WouldReject+2 '
      . 'Name_100-continue+1', 'dropped by each of two lenient scopes' ],
    [ careful => '/dir/lax', '100-continue, x-foo, x-foo',
      'Requests+1 Met+0 Rejected+0 Ignored+1 Continue+1 WouldReject+2 '
      . 'Name_100-continue+1', 'met, then dropped (both x-foo members)' ],
    [ eager => '/dir/lenient', 'x-foo',
      'Requests+1 Met+0 Rejected+1 Ignored+0 Continue+0 WouldReject+1 '
      . 'Name_100-continue+0', 'met, dropped, refused' ],
    [ careful => '/ht/dir', '100-continue, x-foo',
      'Requests+1 Met+1 Rejected+0 Ignored+0 Continue+1 WouldReject+0 '
      . 'Name_100-continue+1', 'met by three scopes' ],
    [ careful => '/htlen/loose', '100-continue',
      'Requests+1 Met+0 Rejected+0 Ignored+1 Continue+1 WouldReject+1 '
      . 'Name_100-continue+1', 'dropped, then met: ignored' ],
) {
    my ($how, $path, $expect, $want, $name) = @$c;
    my $before = counters();
    probe($how, $path, $expect);
    is delta($before, counters(), @NAMES), $want,
        "counted once: $name ($path)";
}
{
    my ($got) = probe(careful => '/dir/lax', '100-continue, x-foo, x-foo');
    is $got, '100 200 ignored [100-continue] dropped=x-foo, x-foo',
        'EXPECT_DROPPED: each member the client sent, once';
    ($got) = probe(careful => '/dirlenient/loose',
                   'x-foo, 100-continue, x-bar');
    is $got, '100 200 ignored [100-continue] dropped=x-foo, x-bar',
        '... in the order the client sent them';
}

# ---- refused after a redirect: not watched ----

my $redirect_log = Apache::Test::vars('t_logs') . '/redirect_log';

# The line of the request whose request line has $tag, once it is logged
# (at most 10 s): the counters have been updated by then.
sub logged_line {
    my $tag = shift;
    my $deadline = time + 10;
    while (1) {
        if (open my $fh, '<', $redirect_log) {
            my ($line) = grep { /\Q$tag\E/ } <$fh>;
            return $line if $line;
        }
        return '' if time > $deadline;
        select undef, undef, undef, 0.05;
    }
}

my @CONT = map { "Continue$_" } qw(Sent Skipped EarlyBody Abandoned Unknown);
my %moved = (
    refused => 'Rejected+1 ContinueSent+0 ContinueSkipped+0 '
               . 'ContinueEarlyBody+0 ContinueAbandoned+0 ContinueUnknown+0',
    sent    => 'Rejected+0 ContinueSent+1 ContinueSkipped+0 '
               . 'ContinueEarlyBody+0 ContinueAbandoned+0 ContinueUnknown+0',
);
my $n = 0;
for my $c (
    [ '/ht/strict', '417 rejected [] close eof',
      'status=rejected continue=-', 'refused',
      'met, then refused after a rewrite' ],
    [ '/htlen/strict', '417 rejected [] dropped=100-continue close eof',
      'status=rejected continue=-', 'refused',
      'dropped, then refused after a rewrite' ],
    [ '/idx/', '417 rejected [] close eof',
      'status=rejected continue=-', 'refused',
      'met, then refused after DirectoryIndex' ],
    [ '/act', '417 rejected [] close eof',
      'status=rejected continue=-', 'refused',
      'met, then refused after Action' ],
    [ '/mv/page', '417 rejected [] dropped=100-continue close eof',
      'status=rejected continue=-', 'refused',
      'dropped, then refused after MultiViews', 'mv' ],
    [ '/pt/strict', '417 rejected [] dropped=100-continue close eof',
      'status=rejected continue=-', 'refused',
      'server-context [PT], dropped, then refused' ],
    [ '/ht/loose', '100 200 met [100-continue]',
      'status=met continue=sent', 'sent',
      'met after a rewrite: watched, sent' ],
    [ '/htlen/loose', '100 200 ignored [] dropped=100-continue',
      'status=ignored continue=sent', 'sent',
      'dropped then met: still answered, sent' ],
) {
    my ($path, $want, $field, $outcome, $name, $need) = @$c;
    my $moved = $moved{$outcome};
  SKIP: {
        skip "no mod_negotiation in this httpd", 4
            if ($need // '') eq 'mv' && !$multiviews;
        my $tag = "?watch=" . ++$n;
        my $before = counters();
        my ($got) = probe(careful => "$path$tag", '100-continue');
        is $got, $want, "$name: on the wire";
        my $line = logged_line("$path$tag ");
        like $line, qr/ \Q$field\E$/, "... $field in the log";
        is delta($before, counters(), 'Rejected', @CONT), $moved,
            "... $moved";
        my $after = counters();
        is $after->{ExpectRequests} - $before->{ExpectRequests}, 1,
            '... one request';
    }
}

# ---- the same over HTTP/2 ----
# An exact 100-continue is judged by mod_expect on every release, over
# HTTP/2 too (t/h2.t); t/h2client.py withholds DATA until an answer.
SKIP: {
    skip 'mod_http2 does not run under mpm_prefork', 13
        if ($ENV{EXPECT_TEST_MPM} // 'event') eq 'prefork';
    my $port = Apache::Test::config()->{vhosts}{redirect}{port};
    my @paths = ('/htlen/strict', '/actlen', '/idxlen/', '/pt/strict');
    my @r = ExpectTest::run_h2client([$port, 10],
        (map { { method => 'POST', path => $_, body => 'never sent',
                 headers => [[expect => '100-continue']] } } @paths),
        { method => 'POST', path => '/dir/loose', body => 'h2 body',
          headers => [[expect => '100-continue']] });
    for my $i (0 .. $#paths) {
        my $x = $r[$i] // {};
        is $x->{status}, 417, "HTTP/2, $paths[$i]: 417";
        ok !@{ $x->{interim} // [] } && !$x->{body_sent},
            '... no 100, the body never sent';
        is $x->{headers}{'x-expect-status'}, 'rejected',
            '... EXPECT_STATUS rejected';
    }
    is(($r[-1] // {})->{headers}{'x-expect-status'}, 'met',
       'HTTP/2, met by two scopes: EXPECT_STATUS met');
}
