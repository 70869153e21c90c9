// SPDX-License-Identifier: GPL-2.0
/*
 * aia_attrs - the AIA device's attributes with bad values: each gets its
 * errno and changes nothing.
 *
 * config: every KVM_DEV_RISCV_AIA_GRP_CONFIG attribute with out-of-range
 *   values (mode, nr_ids, nr_sources, group bits and shift, hart and guest
 *   bits), an unknown attribute and group (ENXIO); HWACCEL and AUTO are
 *   refused exactly when the host has no HGEI line (the provider's global
 *   count: its debugfs, else $AIA_NR_HGEI); nr_ids and nr_sources at the
 *   provider's max_ids (its debugfs, else $AIA_MAX_IDS) are refused and
 *   just below are taken.  After each refusal all values read back as they
 *   were.
 * addr: a misaligned APLIC or IMSIC address (EINVAL), the IMSIC of a vCPU
 *   that does not exist (ENXIO), and unchanged values after.
 * init: KVM_DEV_RISCV_AIA_CTRL_INIT refused (EINVAL) with sources but no
 *   APLIC address, with fewer IDs than sources, with overlapping group
 *   bits, with a vCPU without IMSIC address, with IMSICs of different base;
 *   after all of that a good configuration initializes; then every write
 *   and a second INIT give EBUSY and change nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "aia_lib.h"

#define NR_VCPUS	2
#define NR_CONFIG	7
#define IMSIC_BASE	0x28000000ULL
#define APLIC_BASE	0x0c000000ULL

static const char * const config_names[NR_CONFIG] = {
	"mode", "ids", "srcs", "group_bits", "group_shift", "hart_bits", "guest_bits",
};

static const char *cfg_name(int attr)
{
	return attr >= 0 && attr < NR_CONFIG ? config_names[attr] : "unknown attribute";
}

/* A global of the provider: its debugfs file, else $ENV, else -1. */
static long provider_global(const char *file, const char *env)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm_riscv_aia/%s", file);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	} else if (getenv(env)) {
		v = strtol(getenv(env), NULL, 0);
	}
	return v;
}

struct dev {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpus[NR_VCPUS];
	int fd;
};

static void dev_create(struct __test_metadata *_metadata, struct dev *d)
{
	d->vm = vm_create_with_vcpus(NR_VCPUS, NULL, d->vcpus);
	__TEST_REQUIRE(__vcpu_has_isa_ext(d->vcpus[0], KVM_RISCV_ISA_EXT_SSAIA),
		       "Ssaia is not available to guests");
	d->fd = __kvm_create_device(d->vm, KVM_DEV_TYPE_RISCV_AIA);
	ASSERT_GE(d->fd, 0) TH_LOG("KVM_CREATE_DEVICE: %s", strerror(errno));
}

static u32 get_config(struct dev *d, int attr)
{
	u32 v;

	kvm_device_attr_get(d->fd, KVM_DEV_RISCV_AIA_GRP_CONFIG, attr, &v);
	return v;
}

static void get_all(struct dev *d, u32 *cfg, u64 *addr)
{
	int i;

	for (i = 0; i < NR_CONFIG; i++)
		cfg[i] = get_config(d, i);
	for (i = 0; i <= NR_VCPUS; i++)
		kvm_device_attr_get(d->fd, KVM_DEV_RISCV_AIA_GRP_ADDR, i, &addr[i]);
}

/* Everything reads back as in @cfg/@addr. */
static void expect_unchanged(struct __test_metadata *_metadata, struct dev *d,
			     const u32 *cfg, const u64 *addr, const char *after)
{
	u32 now_cfg[NR_CONFIG];
	u64 now_addr[NR_VCPUS + 1];
	int i;

	get_all(d, now_cfg, now_addr);
	for (i = 0; i < NR_CONFIG; i++)
		ASSERT_EQ(now_cfg[i], cfg[i])
			TH_LOG("%s changed after %s", cfg_name(i), after);
	for (i = 0; i <= NR_VCPUS; i++)
		ASSERT_EQ(now_addr[i], addr[i]) TH_LOG("address %d changed after %s", i, after);
}

/* A write of @val to config @attr must fail with @err and change nothing. */
static void refuse_config(struct __test_metadata *_metadata, struct dev *d,
			  int attr, u32 val, int err)
{
	u32 cfg[NR_CONFIG];
	u64 addr[NR_VCPUS + 1];
	char what[64];
	int r;

	get_all(d, cfg, addr);
	r = __kvm_device_attr_set(d->fd, KVM_DEV_RISCV_AIA_GRP_CONFIG, attr, &val);
	ASSERT_EQ(r, -1) TH_LOG("%s = %u was taken", cfg_name(attr), val);
	ASSERT_EQ(errno, err) TH_LOG("%s = %u: %s", cfg_name(attr), val, strerror(errno));
	snprintf(what, sizeof(what), "refused %s = %u", cfg_name(attr), val);
	expect_unchanged(_metadata, d, cfg, addr, what);
}

static void set_config(struct dev *d, int attr, u32 val)
{
	kvm_device_attr_set(d->fd, KVM_DEV_RISCV_AIA_GRP_CONFIG, attr, &val);
}

static void refuse_addr(struct __test_metadata *_metadata, struct dev *d,
			int attr, u64 val, int err)
{
	u32 cfg[NR_CONFIG];
	u64 addr[NR_VCPUS + 1];
	int r;

	get_all(d, cfg, addr);
	r = __kvm_device_attr_set(d->fd, KVM_DEV_RISCV_AIA_GRP_ADDR, attr, &val);
	ASSERT_EQ(r, -1) TH_LOG("address %d = %#lx was taken", attr, val);
	ASSERT_EQ(errno, err) TH_LOG("address %d = %#lx: %s", attr, val, strerror(errno));
	expect_unchanged(_metadata, d, cfg, addr, "a refused address");
}

/* Config values every AIA device refuses, whatever the host. */
static const struct {
	int attr;
	u32 val;
	int err;
} bad_config[] = {
	{ KVM_DEV_RISCV_AIA_CONFIG_MODE, 3, EINVAL },
	{ KVM_DEV_RISCV_AIA_CONFIG_MODE, ~0U, EINVAL },
	/* nr_ids: 63 + 64 * k, below 2048 (and below max_ids, below). */
	{ KVM_DEV_RISCV_AIA_CONFIG_IDS, 0, EINVAL },
	{ KVM_DEV_RISCV_AIA_CONFIG_IDS, 62, EINVAL },
	{ KVM_DEV_RISCV_AIA_CONFIG_IDS, 64, EINVAL },
	{ KVM_DEV_RISCV_AIA_CONFIG_IDS, 126, EINVAL },
	{ KVM_DEV_RISCV_AIA_CONFIG_IDS, 2048, EINVAL },
	{ KVM_DEV_RISCV_AIA_CONFIG_IDS, 2111, EINVAL },
	{ KVM_DEV_RISCV_AIA_CONFIG_IDS, ~0U, EINVAL },
	{ KVM_DEV_RISCV_AIA_CONFIG_SRCS, 1024, EINVAL },
	{ KVM_DEV_RISCV_AIA_CONFIG_SRCS, ~0U, EINVAL },
	{ KVM_DEV_RISCV_AIA_CONFIG_GROUP_BITS, 8, EINVAL },
	{ KVM_DEV_RISCV_AIA_CONFIG_GROUP_SHIFT, 23, EINVAL },
	{ KVM_DEV_RISCV_AIA_CONFIG_GROUP_SHIFT, 56, EINVAL },
	{ KVM_DEV_RISCV_AIA_CONFIG_HART_BITS, 16, EINVAL },
	{ KVM_DEV_RISCV_AIA_CONFIG_GUEST_BITS, 8, EINVAL },
	{ NR_CONFIG, 0, ENXIO },
};

TEST(config)
{
	long nr_hgei = provider_global("nr_hgei", "AIA_NR_HGEI");
	long max_ids = provider_global("max_ids", "AIA_MAX_IDS");
	u32 mode, v;
	struct dev d;
	int r, i;

	dev_create(_metadata, &d);

	for (i = 0; i < ARRAY_SIZE(bad_config); i++)
		refuse_config(_metadata, &d, bad_config[i].attr, bad_config[i].val,
			      bad_config[i].err);
	for (mode = KVM_DEV_RISCV_AIA_MODE_HWACCEL; mode <= KVM_DEV_RISCV_AIA_MODE_AUTO; mode++) {
		if (nr_hgei == 0) {
			refuse_config(_metadata, &d, KVM_DEV_RISCV_AIA_CONFIG_MODE, mode, EINVAL);
			continue;
		}
		r = __kvm_device_attr_set(d.fd, KVM_DEV_RISCV_AIA_GRP_CONFIG,
					  KVM_DEV_RISCV_AIA_CONFIG_MODE, &mode);
		if (nr_hgei > 0) {
			ASSERT_EQ(r, 0) TH_LOG("%s refused with %ld HGEI lines: %s",
					       aia_mode_name(mode), nr_hgei, strerror(errno));
		} else if (r) {
			ASSERT_EQ(errno, EINVAL);
		}
		if (!r)
			ASSERT_EQ(get_config(&d, KVM_DEV_RISCV_AIA_CONFIG_MODE), mode);
	}
	set_config(&d, KVM_DEV_RISCV_AIA_CONFIG_MODE, KVM_DEV_RISCV_AIA_MODE_EMUL);
	ksft_print_msg("aia: HGEI lines %ld, max_ids %ld (-1: unknown here)\n", nr_hgei, max_ids);

	if (max_ids > 0) {
		/* The largest valid count below max_ids is taken, the next refused. */
		v = ((max_ids - 64) | 63);
		while (v >= (u32)max_ids)
			v -= 64;
		set_config(&d, KVM_DEV_RISCV_AIA_CONFIG_IDS, v);
		ASSERT_EQ(get_config(&d, KVM_DEV_RISCV_AIA_CONFIG_IDS), v);
		if (v + 64 < KVM_DEV_RISCV_AIA_IDS_MAX)
			refuse_config(_metadata, &d, KVM_DEV_RISCV_AIA_CONFIG_IDS, v + 64, EINVAL);
		refuse_config(_metadata, &d, KVM_DEV_RISCV_AIA_CONFIG_SRCS, max_ids, EINVAL);
		v = max_ids - 1 < 1023 ? max_ids - 1 : 1023;
		set_config(&d, KVM_DEV_RISCV_AIA_CONFIG_SRCS, v);
		ASSERT_EQ(get_config(&d, KVM_DEV_RISCV_AIA_CONFIG_SRCS), v);
	}
	v = 0;
	r = __kvm_device_attr_set(d.fd, 99, 0, &v);
	ASSERT_EQ(r, -1);
	ASSERT_EQ(errno, ENXIO);
	kvm_vm_free(d.vm);
}

TEST(addr)
{
	struct dev d;

	dev_create(_metadata, &d);
	refuse_addr(_metadata, &d, KVM_DEV_RISCV_AIA_ADDR_APLIC, APLIC_BASE + 4, EINVAL);
	refuse_addr(_metadata, &d, KVM_DEV_RISCV_AIA_ADDR_APLIC, APLIC_BASE + 0x800, EINVAL);
	refuse_addr(_metadata, &d, KVM_DEV_RISCV_AIA_ADDR_IMSIC(0), IMSIC_BASE + 8, EINVAL);
	refuse_addr(_metadata, &d, KVM_DEV_RISCV_AIA_ADDR_IMSIC(NR_VCPUS), IMSIC_BASE, ENXIO);
	refuse_addr(_metadata, &d, KVM_DEV_RISCV_AIA_ADDR_IMSIC(1000), IMSIC_BASE, ENXIO);
	kvm_vm_free(d.vm);
}

static void set_addr(struct dev *d, int attr, u64 val)
{
	kvm_device_attr_set(d->fd, KVM_DEV_RISCV_AIA_GRP_ADDR, attr, &val);
}

static void refuse_init(struct __test_metadata *_metadata, struct dev *d, int err,
			const char *why)
{
	int r = __kvm_device_attr_set(d->fd, KVM_DEV_RISCV_AIA_GRP_CTRL,
				      KVM_DEV_RISCV_AIA_CTRL_INIT, NULL);

	ASSERT_EQ(r, -1) TH_LOG("INIT succeeded %s", why);
	ASSERT_EQ(errno, err) TH_LOG("INIT %s: %s", why, strerror(errno));
}

TEST(init)
{
	u32 cfg[NR_CONFIG], v;
	u64 addr[NR_VCPUS + 1], a;
	struct dev d;
	int i, r;

	dev_create(_metadata, &d);
	set_config(&d, KVM_DEV_RISCV_AIA_CONFIG_MODE, KVM_DEV_RISCV_AIA_MODE_EMUL);
	set_config(&d, KVM_DEV_RISCV_AIA_CONFIG_IDS, 63);

	set_config(&d, KVM_DEV_RISCV_AIA_CONFIG_SRCS, 32);
	refuse_init(_metadata, &d, EINVAL, "with sources and no APLIC address");
	set_addr(&d, KVM_DEV_RISCV_AIA_ADDR_APLIC, APLIC_BASE);
	set_config(&d, KVM_DEV_RISCV_AIA_CONFIG_SRCS, 62);
	set_config(&d, KVM_DEV_RISCV_AIA_CONFIG_IDS, 63);
	set_config(&d, KVM_DEV_RISCV_AIA_CONFIG_SRCS, 100);
	refuse_init(_metadata, &d, EINVAL, "with fewer IDs than sources");
	set_config(&d, KVM_DEV_RISCV_AIA_CONFIG_SRCS, 32);

	set_config(&d, KVM_DEV_RISCV_AIA_CONFIG_HART_BITS, 15);
	set_config(&d, KVM_DEV_RISCV_AIA_CONFIG_GROUP_BITS, 1);
	set_config(&d, KVM_DEV_RISCV_AIA_CONFIG_GROUP_SHIFT, 24);
	refuse_init(_metadata, &d, EINVAL, "with group bits over the hart bits");
	set_config(&d, KVM_DEV_RISCV_AIA_CONFIG_GROUP_BITS, 0);
	set_config(&d, KVM_DEV_RISCV_AIA_CONFIG_HART_BITS, 1);

	set_addr(&d, KVM_DEV_RISCV_AIA_ADDR_IMSIC(0), IMSIC_BASE);
	refuse_init(_metadata, &d, EINVAL, "with vCPU 1 without IMSIC address");
	set_addr(&d, KVM_DEV_RISCV_AIA_ADDR_IMSIC(1), IMSIC_BASE + 0x10000000ULL);
	refuse_init(_metadata, &d, EINVAL, "with IMSICs of different base");

	/* None of that left anything behind: a good configuration works. */
	set_addr(&d, KVM_DEV_RISCV_AIA_ADDR_IMSIC(1), IMSIC_BASE + 0x1000);
	kvm_device_attr_set(d.fd, KVM_DEV_RISCV_AIA_GRP_CTRL, KVM_DEV_RISCV_AIA_CTRL_INIT, NULL);

	/* Initialized: every write is EBUSY and changes nothing. */
	get_all(&d, cfg, addr);
	for (i = 0; i < NR_CONFIG; i++) {
		v = get_config(&d, i);
		r = __kvm_device_attr_set(d.fd, KVM_DEV_RISCV_AIA_GRP_CONFIG, i, &v);
		ASSERT_EQ(r, -1) TH_LOG("%s written after INIT", cfg_name(i));
		ASSERT_EQ(errno, EBUSY) TH_LOG("%s after INIT: %s", cfg_name(i), strerror(errno));
	}
	for (i = 0; i <= NR_VCPUS; i++) {
		a = addr[i];
		r = __kvm_device_attr_set(d.fd, KVM_DEV_RISCV_AIA_GRP_ADDR, i, &a);
		ASSERT_EQ(r, -1) TH_LOG("address %d written after INIT", i);
		ASSERT_EQ(errno, EBUSY);
	}
	refuse_init(_metadata, &d, EBUSY, "a second time");
	expect_unchanged(_metadata, &d, cfg, addr, "writes after INIT");
	kvm_vm_free(d.vm);
}

TEST_HARNESS_MAIN
