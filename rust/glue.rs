// SPDX-License-Identifier: GPL-2.0

//! Bindings to the C glue (`glue/aia_glue.c`) and to kvm.ko.
//!
//! C header: `include/kvm_riscv_aia_glue.h` (this repository) and
//! [`arch/riscv/include/asm/kvm_aia.h`](srctree/arch/riscv/include/asm/kvm_aia.h)
//!
//! The out-of-tree build cannot extend the kernel's generated `bindings`
//! crate, so the declarations are written by hand.  The C side pins every
//! layout that Rust relies on with `static_assert`s.  Functions that cannot
//! break memory safety whatever their arguments are wrapped as safe
//! functions here; the others stay `unsafe` with their requirements.

use core::{
    ffi::{c_char, c_int, c_uint, c_ulong, c_void},
    ptr::NonNull,
};
use kernel::{bindings, sync::atomic::Atomic};

use crate::{csr, logic::geometry, percpu::PossibleCpu};

/// `struct kvm_vcpu`, opaque to Rust.
#[repr(C)]
pub(crate) struct KvmVcpu {
    _opaque: [u8; 0],
}

/// `struct kvm_vcpu_aia_csr`: the vCPU's saved AIA CSRs.
///
/// The C glue asserts that the C structure has exactly this layout.
#[repr(C)]
pub(crate) struct VcpuAiaCsr {
    /// Saved `vsiselect`.
    pub(crate) vsiselect: c_ulong,
    /// Saved `hviprio1`.
    pub(crate) hviprio1: c_ulong,
    /// Saved `hviprio2`.
    pub(crate) hviprio2: c_ulong,
    /// `vsieh` (RV32 only).
    pub(crate) vsieh: c_ulong,
    /// `hviph` (RV32 only).
    pub(crate) hviph: c_ulong,
    /// `hviprio1h` (RV32 only).
    pub(crate) hviprio1h: c_ulong,
    /// `hviprio2h` (RV32 only).
    pub(crate) hviprio2h: c_ulong,
}

/// `irq_handler_t`.
pub(crate) type IrqHandler = unsafe extern "C" fn(c_int, *mut c_void) -> bindings::irqreturn_t;

mod ffi {
    use super::*;

    extern "C" {
        pub(super) fn kvm_riscv_aia_glue_get_cpu() -> c_uint;
        pub(super) fn kvm_riscv_aia_glue_put_cpu();
        pub(super) fn kvm_riscv_aia_glue_has_sxaia() -> bool;
        pub(super) fn kvm_riscv_aia_glue_has_sscofpmf() -> bool;

        pub(super) fn kvm_riscv_aia_glue_alloc_percpu(size: usize, align: usize) -> *mut c_void;
        pub(super) fn kvm_riscv_aia_glue_free_percpu(ptr: *mut c_void);

        pub(super) fn kvm_riscv_aia_glue_raw_spin_lock_init(lock: *mut bindings::raw_spinlock);

        pub(super) fn kvm_riscv_aia_glue_map_sgei() -> c_int;
        pub(super) fn kvm_riscv_aia_glue_request_percpu_irq(
            irq: c_uint,
            handler: IrqHandler,
            name: *const c_char,
            dev_id: *mut c_void,
        ) -> c_int;
        pub(super) fn kvm_riscv_aia_glue_free_percpu_irq(irq: c_uint, dev_id: *mut c_void);
        pub(super) fn kvm_riscv_aia_glue_irq_get_trigger_type(irq: c_uint) -> c_uint;

        pub(super) fn kvm_riscv_aia_glue_nacl_csr_read(csr: c_uint) -> c_ulong;
        pub(super) fn kvm_riscv_aia_glue_nacl_csr_write(csr: c_uint, val: c_ulong);

        pub(super) fn kvm_riscv_aia_glue_imsic_global(
            nr_guest_files: *mut u32,
            nr_guest_ids: *mut u32,
        ) -> bool;
        pub(super) fn kvm_riscv_aia_glue_imsic_config() -> *const c_void;
        pub(super) fn kvm_riscv_aia_glue_imsic_local(
            cpu: c_uint,
            msi_pa: *mut u64,
            msi_va: *mut *mut c_void,
            nr_guest_files: *mut u32,
        ) -> bool;
        pub(super) fn kvm_riscv_aia_glue_imsic_geometry(
            base_addr: *mut u64,
            guest_index_bits: *mut u32,
            hart_index_bits: *mut u32,
            group_index_bits: *mut u32,
            group_index_shift: *mut u32,
        ) -> bool;
        pub(super) fn kvm_riscv_aia_glue_hartid(cpu: c_uint) -> c_ulong;

        pub(super) fn kvm_riscv_aia_glue_vcpu_id(vcpu: *mut KvmVcpu) -> c_int;
        pub(super) fn kvm_riscv_aia_glue_vcpu_vm_name(vcpu: *mut KvmVcpu) -> *const c_char;
        pub(super) fn kvm_riscv_aia_glue_register(nr_hgei: c_uint, max_ids: c_uint) -> c_int;
        pub(super) fn kvm_riscv_aia_glue_unregister();

        // kvm.ko (virt/kvm/kvm_main.c), exported to KVM's modules.
        pub(super) fn __kvm_vcpu_kick(vcpu: *mut KvmVcpu, wait: bool);

        // kvm.ko (arch/riscv/kvm/aia_imsic.c), exported to this module.
        pub(super) fn kvm_riscv_vcpu_aia_imsic_has_interrupt(vcpu: *mut KvmVcpu) -> bool;
        pub(super) fn kvm_riscv_vcpu_aia_imsic_load(vcpu: *mut KvmVcpu, cpu: c_int);
        pub(super) fn kvm_riscv_vcpu_aia_imsic_put(vcpu: *mut KvmVcpu);
        pub(super) fn kvm_riscv_vcpu_aia_imsic_release(vcpu: *mut KvmVcpu);
        pub(super) fn kvm_riscv_vcpu_aia_imsic_rmw(
            vcpu: *mut KvmVcpu,
            isel: c_ulong,
            val: *mut c_ulong,
            new_val: c_ulong,
            wr_mask: c_ulong,
        ) -> c_int;
    }
}

// CPUs

/// `nr_cpu_ids`.
#[inline(always)]
pub(crate) fn nr_cpu_ids() -> u32 {
    // SAFETY: a variable set at boot, before any module loads.
    unsafe { core::ptr::addr_of!(bindings::nr_cpu_ids).read() }
}

/// `cpu_possible(cpu)`, false for any `cpu` out of range.
///
/// A possible CPU is below `nr_cpu_ids` (the highest possible CPU plus one,
/// `setup_nr_cpu_ids()`), so only the mask is read: one bound check against
/// the constant `NR_CPUS`, which also bounds the mask's words and
/// `__per_cpu_offset[]`, and one bit test.
#[inline(always)]
pub(crate) fn cpu_possible(cpu: u32) -> bool {
    const BITS: u32 = c_ulong::BITS;
    if cpu >= bindings::NR_CPUS {
        return false;
    }
    // SAFETY: `__cpu_possible_mask` is set at boot, before any module
    // loads; it has `NR_CPUS` bits, none set at or above `nr_cpu_ids`.
    let bits = unsafe { &*core::ptr::addr_of!(bindings::__cpu_possible_mask.bits) };
    bits.get((cpu / BITS) as usize)
        .is_some_and(|w| w & (1 << (cpu % BITS)) != 0)
}

/// `get_cpu()`: disables preemption, returns the current CPU.  Use
/// [`crate::percpu::CpuGuard`], which pairs it with [`put_cpu`].
pub(crate) fn get_cpu() -> u32 {
    // SAFETY: no precondition.
    unsafe { ffi::kvm_riscv_aia_glue_get_cpu() }
}

/// `put_cpu()`: re-enables preemption.  Only called by
/// [`crate::percpu::CpuGuard`]'s `Drop`, paired with [`get_cpu`].
pub(crate) fn put_cpu() {
    // SAFETY: paired with `get_cpu` by `CpuGuard`.
    unsafe { ffi::kvm_riscv_aia_glue_put_cpu() }
}

/// `irqs_disabled()`: are local interrupts off?  `sstatus.SIE` clear, as
/// `arch_irqs_disabled()` reads it on RISC-V.
#[inline(always)]
pub(crate) fn irqs_disabled() -> bool {
    csr::read::<{ csr::SSTATUS }>() & csr::SR_SIE == 0
}

/// `raw_smp_processor_id()`: `current_thread_info()->cpu`.  In the kernel,
/// `tp` holds `current` on RISC-V (`asm/current.h`), and `thread_info` is
/// in the task (`THREAD_INFO_IN_TASK`) at the offset offsets.c gives.
/// Meaningful as the current CPU only while the task cannot migrate (see
/// [`crate::percpu::PinnedCpu`]).
#[inline(always)]
pub(crate) fn raw_smp_processor_id() -> u32 {
    let task: usize;
    // SAFETY: copies the `tp` register; no memory access.
    unsafe {
        core::arch::asm!("mv {0}, tp", out(reg) task, options(nomem, nostack, preserves_flags))
    };
    // SAFETY: `tp` points to the running task, which is live while it runs,
    // and `thread_info.cpu` is an `int` field at `TASK_TI_CPU`.
    unsafe { (task.wrapping_add(offsets::TASK_TI_CPU) as *const u32).read() }
}

/// Whether the harts implement Ssaia/Smaia (`riscv_isa_extension_available(NULL, SxAIA)`).
pub(crate) fn has_sxaia() -> bool {
    // SAFETY: reads the ISA bitmap fixed at boot.
    unsafe { ffi::kvm_riscv_aia_glue_has_sxaia() }
}

/// Whether the harts implement Sscofpmf.
pub(crate) fn has_sscofpmf() -> bool {
    // SAFETY: reads the ISA bitmap fixed at boot.
    unsafe { ffi::kvm_riscv_aia_glue_has_sscofpmf() }
}

// Per-CPU data

/// `__alloc_percpu(size, align)`; null on failure.
pub(crate) fn alloc_percpu(size: usize, align: usize) -> *mut c_void {
    // SAFETY: no precondition; the result is checked by the caller.
    unsafe { ffi::kvm_riscv_aia_glue_alloc_percpu(size, align) }
}

/// `free_percpu(ptr)`.  Only called by [`crate::percpu::PerCpu`]'s `Drop`
/// and error path, with a pointer from [`alloc_percpu`] whose contents were
/// dropped.
pub(crate) fn free_percpu(ptr: *mut c_void) {
    // SAFETY: see above; `PerCpu` frees each allocation exactly once.
    unsafe { ffi::kvm_riscv_aia_glue_free_percpu(ptr) }
}

/// `per_cpu_ptr(ptr, cpu)`: only computes an address, as
/// `asm-generic/percpu.h` does (`ptr + __per_cpu_offset[cpu]`).  `cpu` is
/// below `nr_cpu_ids`, hence below `NR_CPUS`.
#[inline(always)]
pub(crate) fn per_cpu_ptr(ptr: *mut c_void, cpu: u32) -> *mut c_void {
    // SAFETY: `__per_cpu_offset` is set at boot, before any module loads.
    let offsets = unsafe { &*core::ptr::addr_of!(bindings::__per_cpu_offset) };
    // Dereferencing is the caller's business; a CPU out of range gives a
    // null pointer.
    offsets
        .get(cpu as usize)
        .map_or(core::ptr::null_mut(), |&off| ptr.wrapping_byte_add(off))
}

// Raw spinlocks

/// `raw_spin_lock_init(lock)`.
///
/// # Safety
///
/// `lock` is valid for writes and will not move while in use.
pub(crate) unsafe fn raw_spin_lock_init(lock: *mut bindings::raw_spinlock) {
    // SAFETY: guaranteed by the caller.
    unsafe { ffi::kvm_riscv_aia_glue_raw_spin_lock_init(lock) }
}

/// `raw_spin_lock_irqsave(lock, flags)`; returns `flags`.  The macro is
/// this call where the architecture does not inline spinlocks (RISC-V
/// selects none of the `ARCH_INLINE_SPIN_*` options), so it costs what C
/// pays.
///
/// # Safety
///
/// `lock` is an initialised raw spinlock.
#[inline(always)]
pub(crate) unsafe fn raw_spin_lock_irqsave(
    lock: *mut bindings::raw_spinlock,
) -> kernel::ffi::c_ulong {
    // SAFETY: guaranteed by the caller.
    unsafe { bindings::_raw_spin_lock_irqsave(lock) }
}

/// `raw_spin_unlock_irqrestore(lock, flags)`, as [`raw_spin_lock_irqsave`].
///
/// # Safety
///
/// `lock` is held by this CPU and `flags` was returned when taking it.
#[inline(always)]
pub(crate) unsafe fn raw_spin_unlock_irqrestore(
    lock: *mut bindings::raw_spinlock,
    flags: kernel::ffi::c_ulong,
) {
    // SAFETY: guaranteed by the caller.
    unsafe { bindings::_raw_spin_unlock_irqrestore(lock, flags) }
}

// Per-CPU interrupts

/// Maps the SGEI (`IRQ_S_GEXT`) of the INTC domain; returns the Linux IRQ
/// number or a negative errno.
pub(crate) fn map_sgei() -> c_int {
    // SAFETY: no precondition.
    unsafe { ffi::kvm_riscv_aia_glue_map_sgei() }
}

/// `request_percpu_irq(irq, handler, name, dev_id)`.
///
/// # Safety
///
/// `handler` accepts `dev_id`'s per-CPU slots; `name` is a NUL-terminated
/// string and, like `dev_id`, stays valid until [`free_percpu_irq`].
pub(crate) unsafe fn request_percpu_irq(
    irq: u32,
    handler: IrqHandler,
    name: *const c_char,
    dev_id: *mut c_void,
) -> c_int {
    // SAFETY: guaranteed by the caller.
    unsafe { ffi::kvm_riscv_aia_glue_request_percpu_irq(irq, handler, name, dev_id) }
}

/// `free_percpu_irq(irq, dev_id)`.
///
/// # Safety
///
/// `irq` was requested with `dev_id` and is not freed yet.
pub(crate) unsafe fn free_percpu_irq(irq: u32, dev_id: *mut c_void) {
    // SAFETY: guaranteed by the caller.
    unsafe { ffi::kvm_riscv_aia_glue_free_percpu_irq(irq, dev_id) }
}

/// `irq_get_trigger_type(irq)` (inline in C).
pub(crate) fn irq_get_trigger_type(irq: u32) -> u32 {
    // SAFETY: the IRQ core validates `irq`.
    unsafe { ffi::kvm_riscv_aia_glue_irq_get_trigger_type(irq) }
}

/// `enable_percpu_irq(irq, trigger)` on this CPU (exported; no glue).
#[inline(always)]
pub(crate) fn enable_percpu_irq(irq: u32, trigger: u32) {
    // SAFETY: the IRQ core validates `irq` and `trigger`.
    unsafe { bindings::enable_percpu_irq(irq, trigger) }
}

/// `disable_percpu_irq(irq)` on this CPU (exported; no glue).
#[inline(always)]
pub(crate) fn disable_percpu_irq(irq: u32) {
    // SAFETY: the IRQ core validates `irq`.
    unsafe { bindings::disable_percpu_irq(irq) }
}

// SBI nested acceleration

/// A `DEFINE_STATIC_KEY_FALSE()` of kvm.ko, as `static_branch_unlikely!`
/// names it: a type with a `struct static_key_false` field.
#[repr(transparent)]
pub(crate) struct StaticKeyFalse {
    key: bindings::static_key_false,
}

// kvm.ko's NACL static keys (arch/riscv/kvm/nacl.c, exported to us by the
// KVM core series).
extern "C" {
    static kvm_riscv_nacl_available: StaticKeyFalse;
    static kvm_riscv_nacl_sync_csr_available: StaticKeyFalse;
}

/// `kvm_riscv_nacl_available()`: a patched branch with CONFIG_JUMP_LABEL,
/// as in C, not a call.
#[inline(always)]
pub(crate) fn nacl_available() -> bool {
    // SAFETY: `kvm_riscv_nacl_available` is a static key defined by C.
    unsafe { kernel::static_branch_unlikely!(kvm_riscv_nacl_available, StaticKeyFalse, key) }
}

/// `kvm_riscv_nacl_sync_csr_available()`, as [`nacl_available`].
#[inline(always)]
pub(crate) fn nacl_sync_csr_available() -> bool {
    // SAFETY: `kvm_riscv_nacl_sync_csr_available` is a static key defined
    // by C.
    unsafe {
        kernel::static_branch_unlikely!(kvm_riscv_nacl_sync_csr_available, StaticKeyFalse, key)
    }
}

/// `nacl_csr_read(nacl_shmem(), csr)`.
///
/// # Safety
///
/// [`nacl_available`] is true (this CPU has a NACL shared memory) and
/// preemption is disabled.
pub(crate) unsafe fn nacl_csr_read(csr: u16) -> u64 {
    // SAFETY: guaranteed by the caller.
    unsafe { ffi::kvm_riscv_aia_glue_nacl_csr_read(csr.into()) }
}

/// `nacl_csr_write(nacl_shmem(), csr, val)`.
///
/// # Safety
///
/// As for [`nacl_csr_read`].
pub(crate) unsafe fn nacl_csr_write(csr: u16, val: u64) {
    // SAFETY: guaranteed by the caller.
    unsafe { ffi::kvm_riscv_aia_glue_nacl_csr_write(csr.into(), val) }
}

// IMSIC

/// The IMSIC's global configuration: (`nr_guest_files`, `nr_guest_ids`),
/// or `None` without an IMSIC.
pub(crate) fn imsic_global() -> Option<(u32, u32)> {
    let (mut files, mut ids) = (0u32, 0u32);
    // SAFETY: both pointers are valid for writes.
    unsafe { ffi::kvm_riscv_aia_glue_imsic_global(&mut files, &mut ids) }.then_some((files, ids))
}

/// One hart's IMSIC interrupt files.
#[derive(Clone, Copy)]
pub(crate) struct ImsicLocal {
    /// Physical address of the hart's S-level interrupt file (`msi_pa`).
    pub(crate) msi_pa: u64,
    /// Its kernel mapping (`msi_va`), followed by the guest files.
    pub(crate) msi_va: *mut c_void,
    /// Guest interrupt files behind it (`nr_guest_files`).
    pub(crate) nr_guest_files: u32,
}

// SAFETY: the IMSIC driver maps every hart's files at boot and never unmaps
// them; the mapping is an address valid on any CPU.
unsafe impl Send for ImsicLocal {}

/// The IMSIC driver's global configuration (`imsic_get_global_config()`),
/// kept by the provider so that [`ImsicConfig::local`] reads a hart's
/// files without a call, as C's inline `per_cpu_ptr(gc->local, cpu)` does.
///
/// # Invariants
///
/// Points to the driver's `struct imsic_global_config`, which it sets up at
/// boot, before any module loads, and never changes or frees.
#[derive(Clone, Copy)]
pub(crate) struct ImsicConfig(NonNull<c_void>);

// SAFETY: read-only data that lives until reboot (type invariant).
unsafe impl Send for ImsicConfig {}
// SAFETY: as above.
unsafe impl Sync for ImsicConfig {}

impl ImsicConfig {
    /// `imsic_get_global_config()`, or `None` without an IMSIC.
    pub(crate) fn get() -> Option<Self> {
        // SAFETY: no precondition.
        let gc = unsafe { ffi::kvm_riscv_aia_glue_imsic_config() };
        // INVARIANT: the driver's global config, set up at boot.
        NonNull::new(gc.cast_mut()).map(Self)
    }

    /// The IMSIC local configuration of a possible CPU: what
    /// [`imsic_local`] returns, read in place.
    #[inline(always)]
    pub(crate) fn local(self, cpu: PossibleCpu) -> Option<ImsicLocal> {
        self.local_ref(cpu).map(ImsicLocalRef::read)
    }

    /// Where [`ImsicConfig::local`] reads a possible CPU's files
    /// (`per_cpu_ptr(gc->local, cpu)`; only possible CPUs have a slot).
    #[inline(always)]
    pub(crate) fn local_ref(self, cpu: PossibleCpu) -> Option<ImsicLocalRef> {
        let cpu = cpu.as_u32();
        // SAFETY: `self.0` is the live global config (type invariant), whose
        // `local` field, a `__percpu` pointer, is at `IMSIC_GC_LOCAL`.
        let local =
            unsafe { field::<_, *mut c_void>(self.0.as_ptr(), offsets::IMSIC_GC_LOCAL).read() };
        // INVARIANT: `cpu` is possible, so this is its slot of the driver's
        // per-CPU `struct imsic_local_config`.
        NonNull::new(per_cpu_ptr(local, cpu)).map(ImsicLocalRef)
    }
}

/// One CPU's `struct imsic_local_config` in the IMSIC driver's per-CPU area.
///
/// # Invariants
///
/// Points to a slot the driver filled at boot and never changes or frees.
#[derive(Clone, Copy)]
pub(crate) struct ImsicLocalRef(NonNull<c_void>);

impl ImsicLocalRef {
    /// Its fields, at the offsets offsets.c gives.
    #[inline(always)]
    pub(crate) fn read(self) -> ImsicLocal {
        let lc = self.0.as_ptr();
        // SAFETY: a live, never-changing `struct imsic_local_config` (type
        // invariant), with fields of these types at these offsets
        // (`static_assert`s in offsets.c).
        unsafe {
            ImsicLocal {
                msi_pa: field::<_, u64>(lc, offsets::IMSIC_LC_MSI_PA).read(),
                msi_va: field::<_, *mut c_void>(lc, offsets::IMSIC_LC_MSI_VA).read(),
                nr_guest_files: field::<_, u32>(lc, offsets::IMSIC_LC_NR_GUEST_FILES).read(),
            }
        }
    }
}

/// The IMSIC local configuration of `cpu`, or `None` without an IMSIC or
/// for a CPU out of range.
pub(crate) fn imsic_local(cpu: u32) -> Option<ImsicLocal> {
    let mut l = ImsicLocal {
        msi_pa: 0,
        msi_va: core::ptr::null_mut(),
        nr_guest_files: 0,
    };
    // SAFETY: the pointers are valid for writes; the glue range-checks `cpu`.
    unsafe {
        ffi::kvm_riscv_aia_glue_imsic_local(
            cpu,
            &mut l.msi_pa,
            &mut l.msi_va,
            &mut l.nr_guest_files,
        )
    }
    .then_some(l)
}

/// The IMSIC's address geometry (`base_addr` and the index fields of
/// `struct imsic_global_config`), or `None` without an IMSIC or if the
/// fields fail the checks `imsic_parse_fwnode()` made.
pub(crate) fn imsic_geometry() -> Option<geometry::ImsicGeometry> {
    let (mut base, mut guest, mut hart, mut group, mut shift) = (0u64, 0u32, 0u32, 0u32, 0u32);
    // SAFETY: all pointers are valid for writes.
    let ok = unsafe {
        ffi::kvm_riscv_aia_glue_imsic_geometry(
            &mut base, &mut guest, &mut hart, &mut group, &mut shift,
        )
    };
    ok.then(|| geometry::ImsicGeometry::new(base, guest, hart, group, shift).ok())
        .flatten()
}

/// The hart ID of `cpu` (`cpuid_to_hartid_map(cpu)`), `INVALID_HARTID` (all
/// ones) for a CPU out of range.
pub(crate) fn hartid(cpu: u32) -> u64 {
    // SAFETY: the glue range-checks `cpu`.
    unsafe { ffi::kvm_riscv_aia_glue_hartid(cpu) }
}

// KVM

/// Byte offsets of the kvm.ko fields read below, generated by Kbuild from
/// `glue/offsets.c` against the headers kvm.ko was built from.
mod offsets {
    include!(concat!(env!("KAIA_GEN"), "/offsets.rs"));
}

/// A pointer to the field at byte offset `off` of `*base`.
///
/// # Safety
///
/// `base` points to a live object that has a field of type `T` at `off`.
#[inline(always)]
unsafe fn field<B, T>(base: *mut B, off: usize) -> *mut T {
    // SAFETY: `off` is within the object (caller).
    unsafe { base.cast::<u8>().add(off).cast::<T>() }
}

/// `&vcpu->arch.aia_context.guest_csr`.
///
/// # Safety
///
/// `vcpu` is a live vCPU.
#[inline(always)]
pub(crate) unsafe fn vcpu_aia_csr(vcpu: *mut KvmVcpu) -> *mut VcpuAiaCsr {
    // SAFETY: `VCPU_AIA_CSR` is that field's offset; the vCPU is live.
    unsafe { field(vcpu, offsets::VCPU_AIA_CSR) }
}

/// `vcpu->arch.guest_csr.vsie`, read once (`READ_ONCE()`).
///
/// # Safety
///
/// `vcpu` is a live vCPU.
#[inline(always)]
pub(crate) unsafe fn vcpu_vsie(vcpu: *mut KvmVcpu) -> u64 {
    // SAFETY: an aligned `unsigned long` field of a live vCPU.
    unsafe { field::<_, c_ulong>(vcpu, offsets::VCPU_VSIE).read_volatile() }
}

/// `vcpu->arch.guest_csr.hvip`, read once (`READ_ONCE()`).
///
/// # Safety
///
/// `vcpu` is a live vCPU.
#[inline(always)]
pub(crate) unsafe fn vcpu_hvip(vcpu: *mut KvmVcpu) -> u64 {
    // SAFETY: an aligned `unsigned long` field of a live vCPU.
    unsafe { field::<_, c_ulong>(vcpu, offsets::VCPU_HVIP).read_volatile() }
}

/// Whether the vCPU's ISA has Ssaia
/// (`riscv_isa_extension_available(vcpu->arch.isa, SSAIA)`).
///
/// # Safety
///
/// `vcpu` is a live vCPU.
#[inline(always)]
pub(crate) unsafe fn vcpu_has_ssaia(vcpu: *mut KvmVcpu) -> bool {
    const BITS: usize = c_ulong::BITS as usize;
    let bit = offsets::ISA_EXT_SSAIA;
    // SAFETY: `vcpu->arch.isa` is a bitmap of `RISCV_ISA_EXT_MAX` bits,
    // above `RISCV_ISA_EXT_SSAIA`, of a live vCPU; set before it runs.
    let word = unsafe {
        field::<_, c_ulong>(vcpu, offsets::VCPU_ISA + bit / BITS * size_of::<c_ulong>())
            .read_volatile()
    };
    word & (1 << (bit % BITS)) != 0
}

/// `kvm_riscv_aia_initialized(vcpu->kvm)`, read once.
///
/// # Safety
///
/// `vcpu` is a live vCPU.
#[inline(always)]
pub(crate) unsafe fn aia_initialized(vcpu: *mut KvmVcpu) -> bool {
    // SAFETY: `vcpu->kvm` is the live VM of a live vCPU, and
    // `arch.aia.initialized` a `bool` of it.
    unsafe {
        let kvm = field::<_, *mut c_void>(vcpu, offsets::VCPU_KVM).read();
        field::<_, bool>(kvm, offsets::KVM_AIA_INITIALIZED).read_volatile()
    }
}

/// `kvm_vcpu_kick(vcpu)`.
///
/// # Safety
///
/// `vcpu` is a live vCPU.
pub(crate) unsafe fn vcpu_kick(vcpu: *mut KvmVcpu) {
    // `kvm_vcpu_kick()` is this, inline.
    // SAFETY: guaranteed by the caller.
    unsafe { ffi::__kvm_vcpu_kick(vcpu, false) }
}

/// `vcpu->vcpu_id`.
///
/// # Safety
///
/// `vcpu` is a live vCPU.
pub(crate) unsafe fn vcpu_id(vcpu: *mut KvmVcpu) -> i32 {
    // SAFETY: guaranteed by the caller.
    unsafe { ffi::kvm_riscv_aia_glue_vcpu_id(vcpu) }
}

/// `vcpu->kvm->stats_id` ("kvm-<pid>"), NUL-terminated, as long as the VM.
///
/// # Safety
///
/// `vcpu` is a live vCPU.
pub(crate) unsafe fn vcpu_vm_name(vcpu: *mut KvmVcpu) -> *const c_char {
    // SAFETY: guaranteed by the caller.
    unsafe { ffi::kvm_riscv_aia_glue_vcpu_vm_name(vcpu) }
}

// kvm.ko's global line count (arch/riscv/kvm/aia.c), exported to us by the
// KVM core series.
extern "C" {
    static mut kvm_riscv_aia_nr_hgei: bindings::atomic_t;
}

/// `kvm_riscv_aia_nr_hgei`: the minimum number of HGEI lines across harts
/// (non-zero: HWACCEL and AUTO are offered).
pub(crate) fn nr_hgei() -> &'static Atomic<i32> {
    // SAFETY: `kvm_riscv_aia_nr_hgei` is an `atomic_t` of kvm.ko, which
    // stays loaded while this module is (we link against it); its `counter`
    // is an `int`, and every access to it, in C and here, is atomic.
    unsafe { Atomic::from_ptr(&raw mut kvm_riscv_aia_nr_hgei.counter) }
}

/// Registers this module's ops table with kvm.ko (`kvm_riscv_aia_register()`).
/// kvm.ko then enables AIA on every CPU that has virtualization enabled,
/// through the `enable` callback.
pub(crate) fn register(nr_hgei: u32, max_ids: u32) -> c_int {
    // SAFETY: the ops table and its callbacks are static; the callbacks only
    // use provider state published before this call (see `crate::ops`).
    unsafe { ffi::kvm_riscv_aia_glue_register(nr_hgei, max_ids) }
}

/// Unregisters from kvm.ko; no callback runs after this returns.
pub(crate) fn unregister() {
    // SAFETY: only called after a successful `register`.
    unsafe { ffi::kvm_riscv_aia_glue_unregister() }
}

// kvm.ko's vCPU IMSIC (arch/riscv/kvm/aia_imsic.c)

/// `kvm_riscv_vcpu_aia_imsic_has_interrupt(vcpu)`.
///
/// # Safety
///
/// `vcpu` is a live vCPU of a VM whose AIA is initialised.
pub(crate) unsafe fn imsic_has_interrupt(vcpu: *mut KvmVcpu) -> bool {
    // SAFETY: guaranteed by the caller.
    unsafe { ffi::kvm_riscv_vcpu_aia_imsic_has_interrupt(vcpu) }
}

/// `kvm_riscv_vcpu_aia_imsic_load(vcpu, cpu)`.
///
/// # Safety
///
/// As for [`imsic_has_interrupt`], from the vCPU load path.
pub(crate) unsafe fn imsic_load(vcpu: *mut KvmVcpu, cpu: c_int) {
    // SAFETY: guaranteed by the caller.
    unsafe { ffi::kvm_riscv_vcpu_aia_imsic_load(vcpu, cpu) }
}

/// `kvm_riscv_vcpu_aia_imsic_put(vcpu)`.
///
/// # Safety
///
/// As for [`imsic_has_interrupt`], from the vCPU put path.
pub(crate) unsafe fn imsic_put(vcpu: *mut KvmVcpu) {
    // SAFETY: guaranteed by the caller.
    unsafe { ffi::kvm_riscv_vcpu_aia_imsic_put(vcpu) }
}

/// `kvm_riscv_vcpu_aia_imsic_release(vcpu)`: makes the vCPU give up its
/// guest file (it frees its HGEI line through the `free_hgei` callback).
///
/// # Safety
///
/// `vcpu` is a live vCPU; no HGEI lock is held (lock order).
pub(crate) unsafe fn imsic_release(vcpu: *mut KvmVcpu) {
    // SAFETY: guaranteed by the caller.
    unsafe { ffi::kvm_riscv_vcpu_aia_imsic_release(vcpu) }
}

/// `kvm_riscv_vcpu_aia_imsic_rmw(vcpu, isel, val, new_val, wr_mask)`.
///
/// # Safety
///
/// As for [`imsic_has_interrupt`]; `val` is null or valid for writes.
pub(crate) unsafe fn imsic_rmw(
    vcpu: *mut KvmVcpu,
    isel: u64,
    val: *mut c_ulong,
    new_val: u64,
    wr_mask: u64,
) -> c_int {
    // SAFETY: guaranteed by the caller.
    unsafe { ffi::kvm_riscv_vcpu_aia_imsic_rmw(vcpu, isel, val, new_val, wr_mask) }
}
