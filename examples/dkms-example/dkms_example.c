// SPDX-License-Identifier: GPL-2.0
/*
 * dkms_example - a minimal out-of-tree driver used to exercise dkms.
 *
 * It registers the misc device /dev/dkms_example; reading it returns a fixed
 * greeting. The "loaded, version" line printed on init is what the boot test
 * greps for in the kernel log, so keep its wording stable.
 */
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#define DKMS_EXAMPLE_VERSION "1.0"

static const char greeting[] = "Hello from dkms_example\n";

static ssize_t dkms_example_read(struct file *file, char __user *buf,
				 size_t count, loff_t *ppos)
{
	return simple_read_from_buffer(buf, count, ppos, greeting,
				       sizeof(greeting) - 1);
}

static const struct file_operations dkms_example_fops = {
	.owner = THIS_MODULE,
	.read = dkms_example_read,
	.llseek = default_llseek,
};

static struct miscdevice dkms_example_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "dkms_example",
	.fops = &dkms_example_fops,
	.mode = 0444,
};

static int __init dkms_example_init(void)
{
	int err;

	err = misc_register(&dkms_example_dev);
	if (err)
		return err;
	pr_info("dkms_example: loaded, version %s\n", DKMS_EXAMPLE_VERSION);
	return 0;
}

static void __exit dkms_example_exit(void)
{
	misc_deregister(&dkms_example_dev);
	pr_info("dkms_example: unloaded\n");
}

module_init(dkms_example_init);
module_exit(dkms_example_exit);

MODULE_DESCRIPTION("Example out-of-tree driver for exercising dkms");
MODULE_AUTHOR("dkms-go authors");
MODULE_VERSION(DKMS_EXAMPLE_VERSION);
MODULE_LICENSE("GPL");
