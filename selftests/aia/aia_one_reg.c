// SPDX-License-Identifier: GPL-2.0
/*
 * aia_one_reg - the vCPU AIA CSRs through KVM_GET/SET_ONE_REG
 * (KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_AIA | n, struct kvm_riscv_aia_csr).
 *
 * reg_list: KVM_GET_REG_LIST has the 7 AIA CSRs, each once, nothing else of
 *   that subtype.
 * roundtrip: each of siselect, iprio1, iprio2, sieh, siph, iprio1h and
 *   iprio2h reads 0 on a new vCPU and keeps every value written (on rv64
 *   the 'h' ones are plain storage), without touching the other registers
 *   or the other vCPU's.
 * invalid: register numbers past the 7 give ENOENT on get and set, a
 *   32-bit access gives EINVAL, and neither changes any register.
 * guest_view, guest_view_aia: what the guest sees of the values, with no
 *   AIA device and with a HWACCEL one: its siselect is the register's
 *   value; its iprio array (siselect 0x30..0x36 + sireg, emulated by KVM
 *   from hviprio1/2) matches the iprio1/iprio2 registers byte for byte
 *   (hardware may keep fewer bits than written, never more), before and
 *   after the guest writes it; the guest's siselect write is what the
 *   register reads after the run; an odd iprio siselect is an illegal
 *   instruction on rv64; the 'h' registers survive the run unchanged.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "aia_lib.h"

#define NR_AIA_CSRS	7

static const char * const csr_names[NR_AIA_CSRS] = {
	"siselect", "iprio1", "iprio2", "sieh", "siph", "iprio1h", "iprio2h",
};

static u64 aia_csr_id(u64 num, u64 size)
{
	return KVM_REG_RISCV | size | KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_AIA | num;
}

#define AIA_CSR(name)	aia_csr_id(KVM_REG_RISCV_CSR_AIA_REG(name), KVM_REG_SIZE_ULONG)

static struct kvm_vm *create_vm(int nr_vcpus, struct kvm_vcpu **vcpus, void *guest_code)
{
	struct kvm_vm *vm = vm_create_with_vcpus(nr_vcpus, guest_code, vcpus);

	__TEST_REQUIRE(__vcpu_has_isa_ext(vcpus[0], KVM_RISCV_ISA_EXT_SSAIA),
		       "Ssaia is not available to guests");
	return vm;
}

static void read_all(struct kvm_vcpu *vcpu, u64 *vals)
{
	int i;

	for (i = 0; i < NR_AIA_CSRS; i++)
		vals[i] = vcpu_get_reg(vcpu, aia_csr_id(i, KVM_REG_SIZE_ULONG));
}

/* Every AIA CSR of @vcpu reads as in @shadow. */
static void expect_all(struct __test_metadata *_metadata, struct kvm_vcpu *vcpu,
		       const u64 *shadow)
{
	u64 now[NR_AIA_CSRS];
	int i;

	read_all(vcpu, now);
	for (i = 0; i < NR_AIA_CSRS; i++) {
		ASSERT_EQ(now[i], shadow[i])
			TH_LOG("%s is %#lx, expected %#lx", csr_names[i], now[i], shadow[i]);
	}
}

TEST(reg_list)
{
	struct kvm_reg_list *list;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int seen[NR_AIA_CSRS] = {};
	u64 id, sub, num;
	int i;

	vm = create_vm(1, &vcpu, NULL);
	list = vcpu_get_reg_list(vcpu);
	for (i = 0; i < list->n; i++) {
		id = list->reg[i];
		if ((id & KVM_REG_RISCV_TYPE_MASK) != KVM_REG_RISCV_CSR)
			continue;
		sub = id & KVM_REG_RISCV_SUBTYPE_MASK;
		if (sub != KVM_REG_RISCV_CSR_AIA)
			continue;
		num = id & ~(KVM_REG_ARCH_MASK | KVM_REG_SIZE_MASK | KVM_REG_RISCV_TYPE_MASK |
			     KVM_REG_RISCV_SUBTYPE_MASK);
		ASSERT_LT(num, NR_AIA_CSRS) TH_LOG("unknown AIA CSR %#lx in the list", id);
		ASSERT_EQ(id & KVM_REG_SIZE_MASK, KVM_REG_SIZE_ULONG);
		seen[num]++;
	}
	for (i = 0; i < NR_AIA_CSRS; i++) {
		ASSERT_EQ(seen[i], 1)
			TH_LOG("%s listed %d times", csr_names[i], seen[i]);
	}
	free(list);
	kvm_vm_free(vm);
}

TEST(roundtrip)
{
	static const u64 patterns[] = {
		0x5555555555555555ULL, 0xaaaaaaaaaaaaaaaaULL, ~0ULL, 0x123,
		0x8000000000000001ULL, 0,
	};
	u64 shadow[NR_AIA_CSRS] = {}, zero[NR_AIA_CSRS] = {};
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm;
	int i, p;

	vm = create_vm(2, vcpus, NULL);
	expect_all(_metadata, vcpus[0], shadow);

	for (p = 0; p < ARRAY_SIZE(patterns); p++) {
		for (i = 0; i < NR_AIA_CSRS; i++) {
			/* Distinct per register, to catch a write landing elsewhere. */
			shadow[i] = patterns[p] ^ ((u64)i << 56);
			vcpu_set_reg(vcpus[0], aia_csr_id(i, KVM_REG_SIZE_ULONG), shadow[i]);
			expect_all(_metadata, vcpus[0], shadow);
		}
	}
	expect_all(_metadata, vcpus[1], zero);
	kvm_vm_free(vm);
}

TEST(invalid)
{
	static const u64 bad_nums[] = { NR_AIA_CSRS, NR_AIA_CSRS + 1, 0x3f, 0x100, 0xffff };
	u64 shadow[NR_AIA_CSRS], val;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int i, r;

	vm = create_vm(1, &vcpu, NULL);
	for (i = 0; i < NR_AIA_CSRS; i++) {
		shadow[i] = 0x1111111111111111ULL * (i + 1);
		vcpu_set_reg(vcpu, aia_csr_id(i, KVM_REG_SIZE_ULONG), shadow[i]);
	}

	for (i = 0; i < ARRAY_SIZE(bad_nums); i++) {
		val = 0xdead;
		r = __vcpu_get_reg(vcpu, aia_csr_id(bad_nums[i], KVM_REG_SIZE_ULONG), &val);
		ASSERT_EQ(r, -1);
		ASSERT_EQ(errno, ENOENT) TH_LOG("get of AIA CSR %lu: %s", bad_nums[i],
						strerror(errno));
		ASSERT_EQ(val, 0xdead);
		r = __vcpu_set_reg(vcpu, aia_csr_id(bad_nums[i], KVM_REG_SIZE_ULONG), ~0ULL);
		ASSERT_EQ(r, -1);
		ASSERT_EQ(errno, ENOENT) TH_LOG("set of AIA CSR %lu: %s", bad_nums[i],
						strerror(errno));
		expect_all(_metadata, vcpu, shadow);
	}

	/* A 32-bit access to a valid register. */
	for (i = 0; i < NR_AIA_CSRS; i++) {
		r = __vcpu_get_reg(vcpu, aia_csr_id(i, KVM_REG_SIZE_U32), &val);
		ASSERT_EQ(r, -1);
		ASSERT_EQ(errno, EINVAL);
		r = __vcpu_set_reg(vcpu, aia_csr_id(i, KVM_REG_SIZE_U32), 0);
		ASSERT_EQ(r, -1);
		ASSERT_EQ(errno, EINVAL);
	}
	expect_all(_metadata, vcpu, shadow);
	kvm_vm_free(vm);
}

/* ---- what the guest sees ------------------------------------------------ */

/* Where interrupt i's priority lives in hviprio1 (0..63) / hviprio2 (64..). */
static const int irq2bitpos[32] = {
	0, 8, -1, -1, 16, 24, -1, -1,
	32, -1, -1, -1, -1, 40, 48, 56,
	64, 72, 80, 88, 96, 104, 112, 120,
	-1, -1, -1, -1, -1, -1, -1, -1,
};

/* The iprio array word at siselect 0x30 + 2 * k, from iprio1/iprio2. */
static u64 iprio_word(u64 iprio1, u64 iprio2, int k)
{
	u64 w = 0, reg, prio;
	int i, pos;

	for (i = 0; i < 8; i++) {
		pos = irq2bitpos[8 * k + i];
		if (pos < 0)
			continue;
		reg = pos < 64 ? iprio1 : iprio2;
		prio = (reg >> (pos % 64)) & 0xff;
		w |= prio << (8 * i);
	}
	return w;
}

#define GUEST_SISELECT2		0x1a5
#define GUEST_IPRIO_Q		0x8877665544332211ULL

static u64 nr_illegal;

static void guest_illegal_handler(struct pt_regs *regs)
{
	nr_illegal++;
	regs->epc += 4;
}

static void guest_report_iprio(u64 stage)
{
	ucall(UCALL_SYNC, 5, stage, (u64)aia_imsic_read(0x30), (u64)aia_imsic_read(0x32),
	      (u64)aia_imsic_read(0x34), (u64)aia_imsic_read(0x36));
}

static void guest_csrs(void)
{
	unsigned long siselect = csr_read(CSR_SISELECT);
	int k;

	ucall(UCALL_SYNC, 2, (u64)1, (u64)siselect);
	guest_report_iprio(2);
	guest_report_iprio(3);
	for (k = 0; k < 4; k++)
		aia_imsic_write(0x30 + 2 * k, GUEST_IPRIO_Q + k);
	guest_report_iprio(4);

	/* rv64 has only the even iprio registers. */
	aia_imsic_read(0x31);
	aia_imsic_read(0x3f);
	csr_write(CSR_SISELECT, GUEST_SISELECT2);
	ucall(UCALL_SYNC, 2, (u64)5, nr_illegal);
	GUEST_DONE();
}

static void run_expect(struct kvm_vcpu *vcpu, u64 stage, struct ucall *uc)
{
	vcpu_run(vcpu);
	switch (get_ucall(vcpu, uc)) {
	case UCALL_SYNC:
		break;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(*uc);
	default:
		TEST_FAIL("unexpected exit %s", exit_reason_str(vcpu->run->exit_reason));
	}
	TEST_ASSERT(uc->args[0] == stage, "guest at stage %lu, expected %lu", uc->args[0], stage);
}

/* The guest's iprio words must be the bytes of the iprio1/iprio2 registers. */
static void check_iprio(struct __test_metadata *_metadata, struct kvm_vcpu *vcpu,
			struct ucall *uc, u64 p1, u64 p2, const char *when)
{
	u64 w1 = vcpu_get_reg(vcpu, AIA_CSR(iprio1));
	u64 w2 = vcpu_get_reg(vcpu, AIA_CSR(iprio2));
	int k;

	ksft_print_msg("aia: %s: iprio1 %#lx (wrote %#lx), iprio2 %#lx (wrote %#lx)\n",
		       when, w1, p1, w2, p2);
	ASSERT_EQ(w1 & ~p1, 0) TH_LOG("iprio1 gained bits");
	ASSERT_EQ(w2 & ~p2, 0) TH_LOG("iprio2 gained bits");
	for (k = 0; k < 4; k++) {
		ASSERT_EQ(uc->args[1 + k], iprio_word(w1, w2, k))
			TH_LOG("%s: guest iprio word %d is %#lx", when, k, uc->args[1 + k]);
	}
}

static void check_guest_view(struct __test_metadata *_metadata, bool with_aia)
{
	const u64 s1 = 0x35, p1 = 0xf0e0d0c0b0a09080ULL, p2 = 0x0102030405060708ULL;
	const u64 p1b = 0x1f2e3d4c5b6a7988ULL, p2b = 0xffffffffffffffffULL;
	u64 h[4] = { 0x1234, 0x5678abcd, ~0ULL, 0x8000000000000000ULL };
	struct kvm_vcpu *vcpu;
	struct aia_vm *a = NULL;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 q1, q2;
	int i;

	if (with_aia) {
		a = aia_vm_create(KVM_DEV_RISCV_AIA_MODE_HWACCEL, 1, guest_csrs);
		aia_enable_all_ids(a);
		aia_vm_init(a);
		vm = a->vm;
		vcpu = a->vcpus[0];
	} else {
		vm = create_vm(1, &vcpu, guest_csrs);
		vm_init_vector_tables(vm);
		vcpu_init_vector_tables(vcpu);
	}
	vm_install_exception_handler(vm, EXC_INST_ILLEGAL, guest_illegal_handler);

	vcpu_set_reg(vcpu, AIA_CSR(siselect), s1);
	vcpu_set_reg(vcpu, AIA_CSR(iprio1), p1);
	vcpu_set_reg(vcpu, AIA_CSR(iprio2), p2);
	for (i = 0; i < 4; i++)
		vcpu_set_reg(vcpu, aia_csr_id(3 + i, KVM_REG_SIZE_ULONG), h[i]);

	run_expect(vcpu, 1, &uc);
	ASSERT_EQ(uc.args[1], s1) TH_LOG("the guest's siselect is %#lx", uc.args[1]);
	run_expect(vcpu, 2, &uc);
	check_iprio(_metadata, vcpu, &uc, p1, p2, "first entry");

	/* Changed while the vCPU is out: seen on the next entry. */
	vcpu_set_reg(vcpu, AIA_CSR(iprio1), p1b);
	vcpu_set_reg(vcpu, AIA_CSR(iprio2), p2b);
	run_expect(vcpu, 3, &uc);
	check_iprio(_metadata, vcpu, &uc, p1b, p2b, "after set");

	/* Written by the guest: the registers follow. */
	run_expect(vcpu, 4, &uc);
	q1 = 0;
	q2 = 0;
	for (i = 0; i < 32; i++) {
		u64 prio = ((GUEST_IPRIO_Q + i / 8) >> (8 * (i % 8))) & 0xff;

		if (irq2bitpos[i] < 0)
			continue;
		if (irq2bitpos[i] < 64)
			q1 |= prio << irq2bitpos[i];
		else
			q2 |= prio << (irq2bitpos[i] - 64);
	}
	check_iprio(_metadata, vcpu, &uc, q1, q2, "guest write");

	run_expect(vcpu, 5, &uc);
	ASSERT_EQ(uc.args[1], 2) TH_LOG("%lu illegal instruction traps for odd iprio siselects",
					uc.args[1]);
	ASSERT_EQ(vcpu_get_reg(vcpu, AIA_CSR(siselect)), GUEST_SISELECT2);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(vcpu_get_reg(vcpu, aia_csr_id(3 + i, KVM_REG_SIZE_ULONG)), h[i])
			TH_LOG("%s changed by running the vCPU", csr_names[3 + i]);
	}

	if (a)
		aia_vm_free(a);
	else
		kvm_vm_free(vm);
}

TEST(guest_view)
{
	check_guest_view(_metadata, false);
}

TEST(guest_view_aia)
{
	check_guest_view(_metadata, true);
}

TEST_HARNESS_MAIN
