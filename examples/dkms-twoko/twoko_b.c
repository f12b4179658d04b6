// SPDX-License-Identifier: GPL-2.0
/*
 * twoko_b - consumer half of the two-module dkms example; it calls the
 * symbol exported by twoko_a.
 */
#include <linux/init.h>
#include <linux/module.h>

#include "twoko.h"

static int __init twoko_b_init(void)
{
	pr_info("twoko_b: loaded, version %s, answer %d\n", "1.0",
		twoko_a_answer());
	return 0;
}

static void __exit twoko_b_exit(void)
{
	pr_info("twoko_b: unloaded\n");
}

module_init(twoko_b_init);
module_exit(twoko_b_exit);

MODULE_DESCRIPTION("dkms two-module example: symbol consumer");
MODULE_VERSION("1.0");
MODULE_LICENSE("GPL");
