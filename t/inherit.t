# Each directive is inherited on its own, scope by scope: virtual host ->
# Location -> a Location inside it -> Directory -> .htaccess -> <If>.
# The "inherit" virtual host sets ExpectAllow x-server and ExpectPolicy
# lenient; see t/conf/extra.conf.in.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use lib 't/lib';
use ExpectTest;

# [ path, Expect value, extra header or undef, expected status and
#   EXPECT_STATUS, what it shows ]
my @cases = (
    [ '/plain', 'x-server', undef, '200 met', 'the virtual host allow list' ],
    [ '/plain', 'x-other',  undef, '200 ignored', 'the virtual host policy (lenient)' ],
    [ '/plain', '100-continue', undef, '200 ignored',
      'the virtual host list replaces the default' ],
    [ '/loc', 'x-loc', undef, '200 met', 'Location: its own allow list' ],
    [ '/loc', 'x-server', undef, '200 ignored',
      'Location: its list replaces the inherited one; policy inherited' ],
    [ '/loc/nested', 'x-loc', undef, '200 met',
      'inner Location: allow list inherited from the outer one' ],
    [ '/loc/nested', 'x-other', undef, '417 rejected',
      'inner Location: its own policy (strict)' ],
    [ '/loc/if', 'x-loc', undef, '200 met', '<If> not taken: the Location list' ],
    [ '/loc/if', 'x-if', 'X-Flip: allow', '200 met', '<If>: its own allow list' ],
    [ '/loc/if', 'x-loc', 'X-Flip: allow', '200 ignored',
      '<If>: policy inherited (lenient)' ],
    [ '/loc/if', 'x-loc', 'X-Flip: policy', '200 met',
      '<If>: allow list inherited' ],
    [ '/loc/if', 'x-other', 'X-Flip: policy', '417 rejected',
      '<If>: its own policy (strict)' ],
    [ '/dir/', 'x-dir', undef, '200 met', 'Directory: its own allow list' ],
    [ '/dir/', 'x-server', undef, '200 ignored',
      'Directory: policy inherited from the virtual host' ],
    [ '/dir/strict/', 'x-dir', undef, '200 met',
      'inner Directory: allow list inherited' ],
    [ '/dir/strict/', 'x-other', undef, '417 rejected',
      'inner Directory: its own policy' ],
    [ '/dir/ht/', 'x-ht', undef, '200 met', '.htaccess: its own allow list' ],
    [ '/dir/ht/', 'x-dir', undef, '200 ignored',
      '.htaccess: policy inherited (lenient)' ],
    [ '/dir/strict/ht/', 'x-dir', undef, '417 rejected',
      '.htaccess: policy inherited (strict)' ],
    [ '/dir/htpol/', 'x-dir', undef, '200 met',
      '.htaccess with only a policy: allow list inherited' ],
    [ '/dir/htpol/', 'x-other', undef, '417 rejected',
      '.htaccess with only a policy: its policy' ],
    [ '/dir/htif/', 'x-dir', undef, '200 met',
      '<If> in .htaccess not taken: the Directory list' ],
    [ '/dir/htif/', 'x-if', 'X-Flip: allow', '200 met',
      '<If> in .htaccess: its own allow list' ],
    [ '/dir/htif/', 'x-dir', 'X-Flip: allow', '200 ignored',
      '<If> in .htaccess: policy inherited' ],
    [ '/dir/htif/', 'x-other', 'X-Flip: policy', '417 rejected',
      '<If> in .htaccess: its own policy' ],
);

plan tests => @cases + 2;

for my $c (@cases) {
    my ($path, $expect, $extra, $want, $what) = @$c;
    my $s = connect_to('inherit');
    send_raw($s, request(POST => $path, ["Expect: $expect", "Content-Length: 0",
                                         $extra ? $extra : ()]));
    my $res = read_response($s);
    my $got = $res ? "$res->{status} " . ($res->{headers}{'x-expect-status'} // '-')
                   : 'no response';
    is $got, $want, "$what ($path, Expect: $expect)";
}

{
    # ExpectAllow in .htaccess needs AllowOverride FileInfo
    my $s = connect_to('inherit');
    send_raw($s, request(POST => '/noov/', ["Content-Length: 0"]));
    my $res = read_response($s);
    is $res && $res->{status}, 500,
        '.htaccess without AllowOverride FileInfo: 500';
    my $log = Apache::Test::vars('t_logs') . '/error_log';
    open my $fh, '<', $log or die "$log: $!";
    ok((grep { /ExpectAllow not allowed here/ } <$fh>),
       '... and the error log says why');
}
