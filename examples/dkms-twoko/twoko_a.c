// SPDX-License-Identifier: GPL-2.0
/*
 * twoko_a - provider half of the two-module dkms example. It exports
 * twoko_a_answer() so that twoko_b depends on it (depmod records the
 * dependency, and modprobe twoko_b loads twoko_a first).
 */
#include <linux/init.h>
#include <linux/module.h>

#include "twoko.h"

int twoko_a_answer(void)
{
	return 42;
}
EXPORT_SYMBOL_GPL(twoko_a_answer);

static int __init twoko_a_init(void)
{
	pr_info("twoko_a: loaded, version %s\n", "1.0");
	return 0;
}

static void __exit twoko_a_exit(void)
{
	pr_info("twoko_a: unloaded\n");
}

module_init(twoko_a_init);
module_exit(twoko_a_exit);

MODULE_DESCRIPTION("dkms two-module example: symbol provider");
MODULE_VERSION("1.0");
MODULE_LICENSE("GPL");
