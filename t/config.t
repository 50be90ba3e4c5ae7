# Bad configuration stops httpd at startup (and apache2 -t, which binds no
# port) with a message that names the directive and the value.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use File::Spec ();

my @bad = (
    [ 'ExpectAllow "a b"',     qr/ExpectAllow: 'a b' is not a valid expectation name/ ],
    [ 'ExpectAllow x-ok b@d',  qr/ExpectAllow: 'b\@d' is not a valid expectation name/ ],
    [ 'ExpectAllow none x-foo', qr/ExpectAllow: 'none' cannot be combined/ ],
    [ 'ExpectAllow',           qr/ExpectAllow takes 'none' or one or more/ ],
    [ 'ExpectPolicy maybe',    qr/ExpectPolicy: 'maybe' is neither 'strict' nor 'lenient'/ ],
    [ 'ExpectPolicy',          qr/ExpectPolicy takes one argument/ ],
    [ "<Location /x>\nExpectPolicy strict lenient\n</Location>",
      qr/ExpectPolicy takes one argument/ ],
    # httpd passes a directive at most 64 words and drops the rest
    [ 'ExpectAllow ' . join(' ', map { "x-$_" } 1 .. 65),
      qr/ExpectAllow takes at most 64 names/ ],
    [ 'ExpectAllow ' . join(' ', map { "x-$_" } 1 .. 64) . ' "" x-65',
      qr/ExpectAllow takes at most 64 names/ ],
);
my @good = (
    'ExpectAllow none',
    'ExpectAllow 100-continue X-Foo x.bar~1',
    'ExpectAllow ' . join(' ', map { "x-$_" } 1 .. 64),
    "ExpectPolicy LENIENT\n<Directory /tmp>\nExpectPolicy strict\nExpectAllow NONE\n</Directory>",
);

plan tests => 2 * @bad + @good;

my $vars = Apache::Test::vars();
my $so = File::Spec->catfile($vars->{serverroot}, '..', '.libs', 'mod_expect.so');
my $conf = File::Spec->catfile($vars->{t_logs}, 'config-test.conf');
# The modules of the httpd under test (t/integration.sh exports its apxs's
# LIBEXECDIR); mpm_event and authz_core may also be built in.
my $mods = $ENV{EXPECT_LIBEXECDIR} || $vars->{libexecdir};

sub check_config {
    my $directives = shift;
    open my $fh, '>', $conf or die "$conf: $!";
    print $fh <<"CONF";
<IfModule !mpm_event_module>
LoadModule mpm_event_module $mods/mod_mpm_event.so
</IfModule>
<IfModule !authz_core_module>
LoadModule authz_core_module $mods/mod_authz_core.so
</IfModule>
LoadModule expect_module $so
ServerName 127.0.0.1
Listen 127.0.0.1:65001
ErrorLog /dev/null
PidFile $vars->{t_logs}/config-test.pid
$directives
CONF
    close $fh;
    my $out = `$vars->{httpd} -t -f $conf 2>&1`;
    return ($? >> 8, $out);
}

for my $b (@bad) {
    my ($directives, $want) = @$b;
    my ($status, $out) = check_config($directives);
    isnt $status, 0, "apache2 -t fails on: $directives";
    like $out, $want, "... naming the directive and the value";
}
for my $g (@good) {
    my ($status, $out) = check_config($g);
    is $status, 0, "apache2 -t accepts: $g" or diag $out;
}
unlink $conf;
