/* mod_expect_status.c: mod_status's lines and the expect-metrics handler,
 * registered by mod_expect.c's register_hooks with the address of its
 * pointer to the shared counters. */
#ifndef MOD_EXPECT_STATUS_H
#define MOD_EXPECT_STATUS_H

#include "expect.h"

void mod_expect_status_register(ex_counters **counters);

#endif /* MOD_EXPECT_STATUS_H */
