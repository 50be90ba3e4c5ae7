# HTTP/2 (h2c): mod_http2 fills the headers table before pre_read_request,
# where mod_expect takes the field away from core; the decision is the same
# as for HTTP/1.1.  t/h2client.py withholds DATA until the server answers.
#
# mod_http2 before 2.0, as httpd 2.4.49 to 2.4.54 bundle it, fills the
# table only after pre_read_request and has core judge the field at once:
# there core's whole-value compare decides everything but an exact
# "100-continue", and the module says so (docs/how-it-works.md).
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use lib 't/lib';
use ExpectTest;

my $core_h2 = h2_judged_by_core();

plan tests => 19 + ($core_h2 ? 6 : 2), need {
    'mod_http2 does not run under mpm_prefork' =>
        ($ENV{EXPECT_TEST_MPM} // 'event') ne 'prefork',
};

# ExpectUnjudged in /server-status?auto.
sub unjudged {
    return counters()->{ExpectUnjudged};
}

my $unjudged_before = unjudged();
my @r = h2(
    { method => 'POST', path => '/cgi/echo.cgi', body => 'h2 body',
      headers => [[expect => '100-continue']] },
    { method => 'POST', path => '/none', body => 'never sent',
      headers => [[expect => '100-continue']] },
    { method => 'POST', path => '/up', body => 'never sent',
      headers => [[expect => 'x-foo, 100-continue']] },
    { method => 'POST', path => '/cgi-lenient', body => 'lenient body',
      headers => [[expect => 'x-other'], [expect => '100-continue']] },
    { method => 'POST', path => '/ed-text', body => 'never sent',
      headers => [[expect => '100-continue']] },
    { method => 'POST', path => '/up', body => 'b',
      headers => [[expect => '100-continue, 100-continue']] },
);

# An exact 100-continue is judged by mod_expect on every release.
is_deeply $r[0]{interim}, [100], 'met: an interim 100 before DATA';
is $r[0]{status}, 200, 'met: 200';
like $r[0]{body}, qr/^BODY=h2 body$/m, 'met: the script read the body';
is $r[0]{headers}{'x-expect-status'}, 'met', 'met: EXPECT_STATUS';

is_deeply $r[1]{interim}, [], 'ExpectAllow none: no interim 100';
is $r[1]{status}, 417, 'ExpectAllow none: 417 on the same connection';
ok !$r[1]{body_sent}, 'ExpectAllow none: the body was never sent';
is $r[1]{headers}{'x-expect-status'}, 'rejected',
    'ExpectAllow none: judged by mod_expect (EXPECT_STATUS rejected)';

is $r[4]{status}, 417, 'ErrorDocument over HTTP/2: 417';
is $r[4]{body}, 'no expectation is met here', '... with the Location\'s text';

is $r[2]{status}, 417, 'unknown expectation: 417';
ok !$r[2]{body_sent}, 'unknown expectation: the body was never sent';

SKIP: {
    skip $core_h2, 6 if $core_h2;
    is $r[2]{headers}{'x-expect-status'}, 'rejected', '... EXPECT_STATUS rejected';

    is_deeply $r[3]{interim}, [100], 'lenient: the kept 100-continue gets its 100';
    like $r[3]{body}, qr/^HTTP_EXPECT=100-continue$/m,
        'lenient: two expect fields merged, the dropped member gone';
    like $r[3]{body}, qr/^BODY=lenient body$/m, 'lenient: body read';
    is $r[3]{headers}{'x-expect-status'}, 'ignored', 'lenient: EXPECT_STATUS ignored';

    is $r[5]{status}, 200, 'a repeated 100-continue member is met over HTTP/2';
}

# Where core judges, mod_expect says so: once in the server's life in the
# error log (whichever test file met it first), and in mod_status for every
# such request.  Elsewhere it never claims it.
sub warnings_in_log {
    my $log = Apache::Test::vars('t_logs') . '/error_log';
    open my $fh, '<', $log or die "$log: $!";
    return scalar grep { /\[expect:warn\].*judged by httpd's core, not by mod_expect/ }
                       <$fh>;
}
# An exact 100-continue passes core everywhere: a request httpd answers
# before header_parser (a Redirect) with it was not judged by core either.
my @moved = h2({ method => 'POST', path => '/early/moved', body => 'b',
                 headers => [[expect => '100-continue']] });
my $unjudged = unjudged();
is $moved[0]{status}, 302, 'a Redirect with 100-continue over HTTP/2: 302';
if ($core_h2) {
    ok !exists $r[2]{headers}{'x-expect-status'},
        "core's 417 there, not mod_expect's";
    is $r[3]{status}, 417, '... core refuses what lenient would drop';
    is $r[5]{status}, 417, '... and a repeated 100-continue member';
    is warnings_in_log(), 1,
        '... and the error log says why ExpectAllow has no effect';
    is $unjudged - $unjudged_before, 3,
        '... and ExpectUnjudged counts each request core judged';

    h2({ method => 'POST', path => '/up', body => 'never sent',
         headers => [[expect => 'x-foo']] });
    is warnings_in_log(), 1, '... once, not for every request';
}
else {
    is warnings_in_log(), 0, 'no warning about requests core judged';
    is $unjudged - $unjudged_before, 0, 'ExpectUnjudged stays 0';
}
