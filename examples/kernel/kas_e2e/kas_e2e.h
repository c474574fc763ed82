/* SPDX-License-Identifier: GPL-2.0 */
struct dentry;
struct dentry *kas_e2e_b_file(struct dentry *parent);
