# HTTP/2 (h2c): mod_http2 fills the headers table before pre_read_request,
# where mod_expect takes the field away from core; the decision is the same
# as for HTTP/1.1.  t/h2client.py withholds DATA until the server answers.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use lib 't/lib';
use ExpectTest;

plan tests => 17, need {
    'mod_http2 does not run under mpm_prefork' =>
        ($ENV{EXPECT_TEST_MPM} // 'event') ne 'prefork',
};

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
);

is_deeply $r[0]{interim}, [100], 'met: an interim 100 before DATA';
is $r[0]{status}, 200, 'met: 200';
like $r[0]{body}, qr/^BODY=h2 body$/m, 'met: the script read the body';
is $r[0]{headers}{'x-expect-status'}, 'met', 'met: EXPECT_STATUS';

is_deeply $r[1]{interim}, [], 'ExpectAllow none: no interim 100';
is $r[1]{status}, 417, 'ExpectAllow none: 417 on the same connection';
ok !$r[1]{body_sent}, 'ExpectAllow none: the body was never sent';

is $r[2]{status}, 417, 'unknown expectation: 417';
ok !$r[2]{body_sent}, 'unknown expectation: the body was never sent';
is $r[2]{headers}{'x-expect-status'}, 'rejected', '... EXPECT_STATUS rejected';

is_deeply $r[3]{interim}, [100], 'lenient: the kept 100-continue gets its 100';
like $r[3]{body}, qr/^HTTP_EXPECT=100-continue$/m,
    'lenient: two expect fields merged, the dropped member gone';
like $r[3]{body}, qr/^BODY=lenient body$/m, 'lenient: body read';
is $r[3]{headers}{'x-expect-status'}, 'ignored', 'lenient: EXPECT_STATUS ignored';

is $r[4]{status}, 417, 'ErrorDocument over HTTP/2: 417';
is $r[4]{body}, 'no expectation is met here', '... with the Location\'s text';

@r = h2({ method => 'POST', path => '/up', body => 'b',
          headers => [[expect => '100-continue, 100-continue']] });
is $r[0]{status}, 200, 'a repeated 100-continue member is met over HTTP/2';
