// SPDX-License-Identifier: GPL-2.0
// Reading /sys/kernel/debug/kas_e2e/a runs this unit's kas_e2e_dup.
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>

#include "kas_e2e.h"

static struct dentry *dir;

static noinline int kas_e2e_dup(loff_t pos)
{
	return pos == 0 ? 2 : 0;
}

static ssize_t a_read(struct file *f, char __user *buf, size_t n, loff_t *pos)
{
	return simple_read_from_buffer(buf, n, pos, "a\n", kas_e2e_dup(*pos));
}

static const struct file_operations a_fops = {
	.owner = THIS_MODULE,
	.read = a_read,
};

static int __init kas_e2e_init(void)
{
	dir = debugfs_create_dir("kas_e2e", NULL);
	debugfs_create_file("a", 0444, dir, NULL, &a_fops);
	kas_e2e_b_file(dir);
	return 0;
}

static void __exit kas_e2e_exit(void)
{
	debugfs_remove(dir);
}

module_init(kas_e2e_init);
module_exit(kas_e2e_exit);
MODULE_DESCRIPTION("kas_alias end-to-end test: one static name in two units");
MODULE_LICENSE("GPL");
