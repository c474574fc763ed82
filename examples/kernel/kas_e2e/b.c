// SPDX-License-Identifier: GPL-2.0
// Reading /sys/kernel/debug/kas_e2e/b runs this unit's kas_e2e_dup.
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>

#include "kas_e2e.h"

static noinline int kas_e2e_dup(loff_t pos, int len)
{
	return pos < len ? len - (int)pos : 0;
}

static ssize_t b_read(struct file *f, char __user *buf, size_t n, loff_t *pos)
{
	return simple_read_from_buffer(buf, n, pos, "b\n", kas_e2e_dup(*pos, n < 2 ? (int)n : 2));
}

static const struct file_operations b_fops = {
	.owner = THIS_MODULE,
	.read = b_read,
};

struct dentry *kas_e2e_b_file(struct dentry *parent)
{
	return debugfs_create_file("b", 0444, parent, NULL, &b_fops);
}
