#!/usr/bin/perl
# Reads the whole request body, then tells what the application saw.
use strict;
use warnings;
binmode STDIN;
my $body = '';
1 while read(STDIN, $body, 65536, length $body);
print "Content-Type: text/plain\r\n\r\n";
for my $k (sort grep { /^HTTP_|^EXPECT_STATUS$|^REQUEST_METHOD$/ } keys %ENV) {
    print "$k=$ENV{$k}\n";
}
print "BODY=$body\n";
