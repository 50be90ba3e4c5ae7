/* The layout of the shared counters on the architecture this is built for
 * (t/cross/run.py builds it for each, runs it under qemu, and compares).
 *
 * Prints "off8.FIELD N" for the offset of every 64-bit counter, which must
 * be a multiple of 8 (a 64-bit atomic on a misaligned address is SIGBUS on
 * arm, a split lock on x86), and "size.TYPE N", "align.TYPE N": the same
 * on every ABI once each counter is 8-byte aligned.  Slots 0 and 1 of
 * names[] stand for them all: a misaligned start or an odd stride shows in
 * one of the two.  The header that defines ex_counters comes with
 * -include. */
#include <stddef.h>
#include <stdio.h>

#define OFF8(f) printf("off8.%s %lu\n", #f, \
                       (unsigned long)offsetof(ex_counters, f))

int main(void)
{
    OFF8(requests);
    OFF8(met);
    OFF8(rejected);
    OFF8(ignored);
    OFF8(continue_100);
    OFF8(malformed);
    OFF8(would_reject);
    OFF8(other_names);
    OFF8(unjudged);
    OFF8(cont[0].sent);
    OFF8(cont[0].delay_us);
    OFF8(cont[0].delay_in[0]);
    OFF8(cont[1].sent);
    OFF8(cont[1].delay_in[0]);
    OFF8(names);
    OFF8(names[0].count);
    OFF8(names[1].count);
    printf("size.ex_name_slot %lu\n", (unsigned long)sizeof(ex_name_slot));
    printf("size.ex_continue_counts %lu\n",
           (unsigned long)sizeof(ex_continue_counts));
    printf("size.ex_counters %lu\n", (unsigned long)sizeof(ex_counters));
    printf("align.ex_counters %lu\n",
           (unsigned long)__alignof__(ex_counters));
    return 0;
}
