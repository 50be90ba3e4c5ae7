#!/usr/bin/perl
# An ErrorDocument script: shows what ap_die passes on to it.
use strict;
use warnings;
binmode STDIN;
my $body = '';
1 while read(STDIN, $body, 65536, length $body);
print "Content-Type: text/plain\r\n\r\n";
print "BODY=$body\n";
for my $k (qw(REDIRECT_STATUS REDIRECT_ERROR_NOTES EXPECT_STATUS
              REDIRECT_EXPECT_STATUS HTTP_EXPECT)) {
    print "$k=", $ENV{$k} // '-', "\n";
}
