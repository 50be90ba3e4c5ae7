# Internal redirects are judged in the scope they land in, as access
# control is: a request must be met by its first scope (which judges it
# before any rewrite runs) and by each scope it is redirected into.  Its
# outcome is the worse of them, and it is counted once.  The ErrorDocument
# of an error and subrequests are never judged.  t/conf/redirect.conf.in
# has the scopes.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use lib 't/lib';
use ExpectTest;

plan tests => 52;

sub post {
    my ($path, $expect, %opt) = @_;
    my $s = connect_to('redirect');
    send_raw($s, request($opt{method} // 'POST', $path,
                         [ defined $expect ? "Expect: $expect" : (),
                           'Content-Length: 0' ]));
    return read_response($s) || { status => 'none', headers => {}, body => '' };
}

sub counts {
    my $s = connect_to();
    send_raw($s, request(GET => '/server-status?auto', []));
    my $res = read_response($s) or return {};
    return { $res->{body} =~ /^(Expect\w+): (\d+)$/mg };
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
    my $before = counts();
    post('/ht/strict', '100-continue');
    my $mid = counts();
    is moved($before, $mid), 'Requests+1 Met+0 Rejected+1 Ignored+0',
        'met then refused after a redirect: one request, rejected';
    post('/dirlenient/loose', '100-continue, x-foo');
    my $after = counts();
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
        'hello', wait => 3);
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
        'hello', wait => 3);
    is $interim && $interim->{status}, 100, 'met after a redirect: 100 Continue';
    is $final && $final->{status}, 200, '... then 200';
    is $final && $final->{body}, 'hello', '... with the body read';
    is $final && $final->{headers}{'x-expect-status'}, 'met',
        '... EXPECT_STATUS met';
}
