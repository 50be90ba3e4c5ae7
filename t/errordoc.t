# A refused request is answered through ap_die, so ErrorDocument 417 works
# in the request's own scope, and the ErrorDocument request is not judged
# again.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use lib 't/lib';
use ExpectTest;

plan tests => 23;

sub post {
    my ($vhost, $path, $expect, @more) = @_;
    my $s = connect_to($vhost);
    send_raw($s, request(POST => $path, ["Expect: $expect", "Content-Length: 0",
                                         @more]));
    return read_response($s) || { status => 'none', headers => {}, body => '' };
}

my $r = post(undef, '/ed-path', '100-continue');
is $r->{status}, 417, 'ErrorDocument as a local path: status 417';
like $r->{body}, qr/CUSTOM-417-PAGE/, '... with the page of the Location';
unlike $r->{body}, qr/Additionally/,
    '... and the ErrorDocument request is not refused in turn';
is $r->{headers}{'x-expect-status'}, 'rejected',
    '... and EXPECT_STATUS carried to the ErrorDocument request';

$r = post(undef, '/ed-text', 'x-foo');
is $r->{status}, 417, 'ErrorDocument as text: status 417';
is $r->{body}, 'no expectation is met here', '... with the text';

$r = post(undef, '/ed-if?if', 'x-foo');
is $r->{body}, 'from the If', 'ErrorDocument set in <If>';
$r = post(undef, '/ed-if', 'x-foo');
is $r->{body}, 'from the Location', '... and the Location one otherwise';

$r = post(undef, '/ed-url', 'x-foo');
is $r->{status}, 302, 'ErrorDocument as a URL: a redirect, as httpd does';
is $r->{headers}{location}, 'http://errors.example.invalid/expect',
    '... to that URL';

$r = post(undef, '/ed-cgi', 'x-&foo');
is $r->{status}, 417, 'ErrorDocument script: status 417';
like $r->{body}, qr/^REDIRECT_STATUS=417$/m, '... REDIRECT_STATUS';
like $r->{body},
    qr/^REDIRECT_ERROR_NOTES=The expectation "x-&amp;foo" cannot be met/m,
    '... the escaped note as ERROR_NOTES';
like $r->{body}, qr/^EXPECT_STATUS=rejected$/m,
    '... EXPECT_STATUS in the ErrorDocument request';
like $r->{body}, qr/^HTTP_EXPECT=x-&foo$/m, '... the same headers';

{
    # The refused request's body came at once: the ErrorDocument script
    # must not get it.
    my $s = connect_to();
    send_raw($s, request(POST => '/ed-cgi', ["Expect: x-foo",
                                             "Content-Length: 5"]) . "hello");
    my $res = read_response($s);
    is $res && $res->{status}, 417, 'refused with its body sent at once: 417';
    like $res && $res->{body}, qr/^BODY=$/m,
        '... and the ErrorDocument script reads no body';
}

$r = post('inherit', '/plain', 'x-foo');
is $r->{status}, 200, 'virtual host (lenient): no 417 to show';
$r = post('inherit', '/loc/nested', 'x-foo');
is $r->{body}, 'from the virtual host', 'ErrorDocument of the virtual host';
$r = post('inherit', '/dir/strict/ht/', 'x-foo');
is $r->{status}, 417, '.htaccess scope: status 417';
is $r->{body}, 'from the .htaccess', 'ErrorDocument from .htaccess';

{
    # a refused request with a body still waiting, answered with a page
    my $s = connect_to();
    send_raw($s, request(POST => '/ed-path', ["Expect: 100-continue",
                                              "Content-Length: 100000"]));
    my $res = read_response($s, timeout => 10);
    like $res && $res->{body}, qr/CUSTOM-417-PAGE/,
        'ErrorDocument page at once while the body is withheld';
    like $res && $res->{headers}{connection}, qr/close/i,
        '... and the connection closed';
}
