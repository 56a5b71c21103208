//! CPython's HACL* hash functions, for a libpython built without them: Debian's
//! `libpython3.14.a` and `libpython3.15.a` build the modules `_md5`, `_sha1`, `_sha2`,
//! `_sha3` and `_blake2` in, but leave out the HACL* code they call (Debian links it
//! into the shared library only). Here on RustCrypto's hashes and on `blake2b_simd` and
//! `blake2s_simd` (which take every BLAKE2 parameter, the tree ones included), behind
//! the C interface of CPython's `Modules/_hacl/*.h`, named as
//! `python_hacl_namespaces.h` renames it (`_Py_LibHacl_` before each name):
//!
//! - A state is opaque to C: `malloc` and `copy` move a Rust value to the heap and hand
//!   out its pointer, null where the allocator has no room (the modules raise
//!   `MemoryError` then), and `free` drops it. A copy is independent of its original.
//! - `update(state, data, len)` takes a `uint32_t` length and returns a
//!   `Hacl_Streaming_Types_error_code` (a byte): 0 `Success`, or 3
//!   `MaximumLengthExceeded`, nothing absorbed, where the bytes absorbed since `malloc`
//!   would pass what HACL* counts to: 2^61 - 1 for MD5, SHA-1 and SHA-224/256,
//!   2^64 - 1 for the others.
//! - `digest` finishes a copy: the state takes more input after it.
//! - SHA-224 has its own `malloc_224` and then uses the SHA-256 functions, whose
//!   `digest_256` writes 32 bytes (the digest, then the rest of the state, as HACL*
//!   does); SHA-384 likewise with `malloc_384` and the SHA-512 ones (64 bytes).
//! - SHA-3's `malloc` takes a `Spec_Hash_Definitions_hash_alg` (a byte: 8 SHA3-256, 9
//!   SHA3-224, 10 SHA3-384, 11 SHA3-512, 12 SHAKE128, 13 SHAKE256; null for another);
//!   `digest` writes `hash_len` bytes and returns 0, or 1 `InvalidAlgorithm` for SHAKE;
//!   `squeeze(state, out, len)` writes `len` bytes of SHAKE output and returns 0, or 1
//!   for a fixed-length SHA-3, or 2 `InvalidLength` for a length of 0; `block_len` is
//!   the rate in bytes, `hash_len` the digest length (0 for SHAKE, where HACL* stops
//!   the process), `is_shake` a C `bool`.
//! - BLAKE2's `malloc_with_params_and_key(params, last_node, key)` takes a
//!   `Hacl_Hash_Blake2b_blake2_params` (BLAKE2s too: `Blake2Params` here), `last_node`
//!   as a C `bool`, and a key of `params->key_length` bytes (unread where that is 0);
//!   `salt` and `personal` point to 16 bytes each for BLAKE2b, 8 for BLAKE2s. It gives
//!   null for parameters the function may not be given (a digest length of 0 or over
//!   64 (BLAKE2b) or 32 (BLAKE2s), a longer key or inner length, a BLAKE2s node offset
//!   of 2^48 or more): CPython checks them all before. `digest` writes `digest_length`
//!   bytes and returns that length; `info` returns a `Hacl_Hash_Blake2b_index` by value.
//!   The vectorized variants `Blake2b_Simd256` and `Blake2s_Simd128`, which `_blake2`
//!   picks on a CPU with AVX2 or SSE4.2, are the same functions here (`blake2b_simd`
//!   and `blake2s_simd` pick their own vector code).
//!
//! Every pointer CPython passes is valid for what the header says, and a state is used
//! by one thread at a time (each module locks its objects); a null state or output
//! pointer, which CPython never passes, is answered without a crash. Nothing here
//! unwinds into C: where a panic could start (a RustCrypto constructor), it is caught
//! and answered as a failure.
//!
//! Built into the runners whose libpython lacks these functions (`cfg(bale_hacl)`, which
//! `build.rs` sets from the archive's symbol index), and into `tests/hacl.rs`, which
//! tests them by their Rust names (there they are not exported: a test program links
//! the host's libpython, whose own HACL* they would collide with).

use std::alloc::{Layout, alloc};
use std::mem::{offset_of, size_of};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::null_mut;

use md5::Md5;
use sha1::Sha1;
use sha2::block_api::{Sha256VarCore, Sha512VarCore};
use sha2::digest::block_api::{Buffer, UpdateCore, VariableOutputCore};
use sha2::digest::{Digest, ExtendableOutput, Output, Update, XofReader};
use sha3::{Sha3_224, Sha3_256, Sha3_384, Sha3_512};
use shake::{Shake128, Shake256};

/// `Hacl_Streaming_Types_error_code`.
pub type ErrorCode = u8;
const SUCCESS: ErrorCode = 0;
const INVALID_ALGORITHM: ErrorCode = 1;
const INVALID_LENGTH: ErrorCode = 2;
const MAXIMUM_LENGTH_EXCEEDED: ErrorCode = 3;

/// What HACL* counts to for MD5, SHA-1 and SHA-224/256 (their padding holds a length in
/// bits in 64 bits); the others count to `u64::MAX`.
const MD_LIMIT: u64 = (1 << 61) - 1;

/// `body`'s answer, or `fallback` where it panics: no panic unwinds into C.
fn guarded<R>(fallback: R, body: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// The value `make` gives, moved to the heap; null where it gives none, panics, or the
/// allocator has no room.
fn to_heap<T>(make: impl FnOnce() -> Option<T>) -> *mut T {
    const { assert!(size_of::<T>() != 0) };
    let Some(value) = guarded(None, make) else {
        return null_mut();
    };
    // SAFETY: the layout is `T`'s, whose size is not zero.
    let place = unsafe { alloc(Layout::new::<T>()) }.cast::<T>();
    if !place.is_null() {
        // SAFETY: `place` is fresh memory of `T`'s size and alignment.
        unsafe { place.write(value) };
    }
    place
}

/// Drops a value of `to_heap`.
///
/// # Safety
/// `state` is null or from `to_heap`, and not dropped before.
unsafe fn drop_heap<T>(state: *mut T) {
    if !state.is_null() {
        // SAFETY: made by `to_heap`, with the global allocator and `T`'s layout, as a
        // `Box` is (the caller says it is not dropped yet).
        drop(unsafe { Box::from_raw(state) });
    }
}

/// The `len` bytes at `data` (none where `len` is 0).
///
/// # Safety
/// `data` points to `len` readable bytes, or `len` is 0.
unsafe fn input<'a>(data: *const u8, len: u32) -> &'a [u8] {
    if data.is_null() || len == 0 {
        return &[];
    }
    // SAFETY: the caller's promise; a `u32` fits a `usize` here (64-bit Linux).
    unsafe { std::slice::from_raw_parts(data, len as usize) }
}

/// The `len` writable bytes at `dst`, if not null.
///
/// # Safety
/// `dst` is null or points to `len` writable bytes that nothing else uses meanwhile.
unsafe fn output<'a>(dst: *mut u8, len: usize) -> Option<&'a mut [u8]> {
    if dst.is_null() {
        return None;
    }
    // SAFETY: the caller's promise.
    Some(unsafe { std::slice::from_raw_parts_mut(dst, len) })
}

/// A hash function's running state, as HACL*'s streaming functions keep one.
pub trait Absorb: Clone {
    /// How many bytes HACL* takes in all.
    const LIMIT: u64;
    /// Takes `data` in.
    fn absorb(&mut self, data: &[u8]);
}

/// A hash state with the bytes absorbed so far: what C holds a pointer to.
#[derive(Clone)]
pub struct State<H> {
    hash: H,
    total: u64,
}

impl<H: Absorb> State<H> {
    fn new(hash: H) -> Self {
        State { hash, total: 0 }
    }

    fn update(&mut self, data: &[u8]) -> ErrorCode {
        let len = data.len() as u64;
        // `total` never passes the limit.
        if len > H::LIMIT - self.total {
            return MAXIMUM_LENGTH_EXCEEDED;
        }
        self.hash.absorb(data);
        self.total += len;
        SUCCESS
    }
}

/// `malloc`: a fresh state of `make`.
fn malloc<H: Absorb>(make: impl FnOnce() -> Option<H>) -> *mut State<H> {
    to_heap(|| make().map(State::new))
}

/// `update`. A null state takes nothing (1, as no algorithm).
///
/// # Safety
/// `state` is null or from `malloc`/`copy` and alive; `data` points to `len` bytes.
unsafe fn update<H: Absorb>(state: *mut State<H>, data: *const u8, len: u32) -> ErrorCode {
    // SAFETY: the caller's promise; used by one thread at a time.
    let Some(state) = (unsafe { state.as_mut() }) else {
        return INVALID_ALGORITHM;
    };
    // SAFETY: the caller's promise.
    let data = unsafe { input(data, len) };
    guarded(INVALID_ALGORITHM, || state.update(data))
}

/// `copy`: an independent state, equal to `state`.
///
/// # Safety
/// `state` is null or from `malloc`/`copy` and alive.
unsafe fn copy<H: Absorb>(state: *mut State<H>) -> *mut State<H> {
    // SAFETY: the caller's promise.
    let Some(state) = (unsafe { state.as_ref() }) else {
        return null_mut();
    };
    to_heap(|| Some(state.clone()))
}

/// Writes what `finish` makes of a state into the `N` bytes at `dst`.
///
/// # Safety
/// `state` is null or from `malloc`/`copy` and alive; `dst` points to `N` writable bytes.
unsafe fn digest<H: Absorb, const N: usize>(state: *mut State<H>, dst: *mut u8, finish: impl FnOnce(&H, &mut [u8])) {
    // SAFETY: the caller's promise.
    let (Some(state), Some(out)) = (unsafe { state.as_ref() }, unsafe { output(dst, N) }) else {
        return;
    };
    guarded((), || finish(&state.hash, out));
}

/// `free`.
///
/// # Safety
/// `state` is null or from `malloc`/`copy`, and not freed before.
unsafe fn free<H>(state: *mut State<H>) {
    // SAFETY: the caller's promise.
    unsafe { drop_heap(state) }
}

/// The finished digest of a copy of `hash`, into `out`.
fn finish_fixed<H: Digest + Clone>(hash: &H, out: &mut [u8]) {
    out.copy_from_slice(&hash.clone().finalize());
}

// MD5 and SHA-1.

impl Absorb for Md5 {
    const LIMIT: u64 = MD_LIMIT;
    fn absorb(&mut self, data: &[u8]) {
        Digest::update(self, data);
    }
}

impl Absorb for Sha1 {
    const LIMIT: u64 = MD_LIMIT;
    fn absorb(&mut self, data: &[u8]) {
        Digest::update(self, data);
    }
}

/// `Hacl_Hash_MD5_malloc`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_MD5_malloc"))]
pub extern "C" fn md5_malloc() -> *mut State<Md5> {
    malloc(|| Some(Md5::new()))
}

/// `Hacl_Hash_MD5_update`.
///
/// # Safety
/// As for `update`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_MD5_update"))]
pub unsafe extern "C" fn md5_update(state: *mut State<Md5>, data: *const u8, len: u32) -> ErrorCode {
    // SAFETY: CPython's promise, passed on.
    unsafe { update(state, data, len) }
}

/// `Hacl_Hash_MD5_digest`: 16 bytes.
///
/// # Safety
/// As for `digest`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_MD5_digest"))]
pub unsafe extern "C" fn md5_digest(state: *mut State<Md5>, dst: *mut u8) {
    // SAFETY: CPython's promise, passed on.
    unsafe { digest::<_, 16>(state, dst, finish_fixed) }
}

/// `Hacl_Hash_MD5_copy`.
///
/// # Safety
/// As for `copy`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_MD5_copy"))]
pub unsafe extern "C" fn md5_copy(state: *mut State<Md5>) -> *mut State<Md5> {
    // SAFETY: CPython's promise, passed on.
    unsafe { copy(state) }
}

/// `Hacl_Hash_MD5_free`.
///
/// # Safety
/// As for `free`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_MD5_free"))]
pub unsafe extern "C" fn md5_free(state: *mut State<Md5>) {
    // SAFETY: CPython's promise, passed on.
    unsafe { free(state) }
}

/// `Hacl_Hash_SHA1_malloc`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA1_malloc"))]
pub extern "C" fn sha1_malloc() -> *mut State<Sha1> {
    malloc(|| Some(Sha1::new()))
}

/// `Hacl_Hash_SHA1_update`.
///
/// # Safety
/// As for `update`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA1_update"))]
pub unsafe extern "C" fn sha1_update(state: *mut State<Sha1>, data: *const u8, len: u32) -> ErrorCode {
    // SAFETY: CPython's promise, passed on.
    unsafe { update(state, data, len) }
}

/// `Hacl_Hash_SHA1_digest`: 20 bytes.
///
/// # Safety
/// As for `digest`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA1_digest"))]
pub unsafe extern "C" fn sha1_digest(state: *mut State<Sha1>, dst: *mut u8) {
    // SAFETY: CPython's promise, passed on.
    unsafe { digest::<_, 20>(state, dst, finish_fixed) }
}

/// `Hacl_Hash_SHA1_copy`.
///
/// # Safety
/// As for `copy`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA1_copy"))]
pub unsafe extern "C" fn sha1_copy(state: *mut State<Sha1>) -> *mut State<Sha1> {
    // SAFETY: CPython's promise, passed on.
    unsafe { copy(state) }
}

/// `Hacl_Hash_SHA1_free`.
///
/// # Safety
/// As for `free`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA1_free"))]
pub unsafe extern "C" fn sha1_free(state: *mut State<Sha1>) {
    // SAFETY: CPython's promise, passed on.
    unsafe { free(state) }
}

// SHA-2.

/// A SHA-2 core and its block buffer: the whole state, which the truncated SHA-224 and
/// SHA-384 digests leave a part of out (HACL*'s `digest_256` and `digest_512` write it).
pub struct Sha2<C: VariableOutputCore> {
    core: C,
    buffer: Buffer<C>,
}

impl<C: VariableOutputCore + Clone> Clone for Sha2<C> {
    fn clone(&self) -> Self {
        Sha2 { core: self.core.clone(), buffer: self.buffer.clone() }
    }
}

impl<C: VariableOutputCore + Clone> Sha2<C> {
    /// The state for a digest of `size` bytes (28 or 32 for SHA-256's core, 48 or 64 for
    /// SHA-512's), which picks the initial values.
    fn new(size: usize) -> Option<Self> {
        let core = C::new(size).ok()?;
        Some(Sha2 { core, buffer: Buffer::<C>::default() })
    }

    /// The whole final state of a copy, into `out` (32 or 64 bytes).
    fn finish(&self, out: &mut [u8]) {
        let (mut core, mut buffer) = (self.core.clone(), self.buffer.clone());
        let mut full = Output::<C>::default();
        core.finalize_variable_core(&mut buffer, &mut full);
        out.copy_from_slice(&full);
    }
}

impl Absorb for Sha2<Sha256VarCore> {
    const LIMIT: u64 = MD_LIMIT;
    fn absorb(&mut self, data: &[u8]) {
        let core = &mut self.core;
        self.buffer.digest_blocks(data, |blocks| core.update_blocks(blocks));
    }
}

impl Absorb for Sha2<Sha512VarCore> {
    const LIMIT: u64 = u64::MAX;
    fn absorb(&mut self, data: &[u8]) {
        let core = &mut self.core;
        self.buffer.digest_blocks(data, |blocks| core.update_blocks(blocks));
    }
}

/// SHA-224 and SHA-256.
pub type Sha256 = Sha2<Sha256VarCore>;
/// SHA-384 and SHA-512.
pub type Sha512 = Sha2<Sha512VarCore>;

/// `Hacl_Hash_SHA2_malloc_224`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA2_malloc_224"))]
pub extern "C" fn sha2_malloc_224() -> *mut State<Sha256> {
    malloc(|| Sha256::new(28))
}

/// `Hacl_Hash_SHA2_malloc_256`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA2_malloc_256"))]
pub extern "C" fn sha2_malloc_256() -> *mut State<Sha256> {
    malloc(|| Sha256::new(32))
}

/// `Hacl_Hash_SHA2_malloc_384`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA2_malloc_384"))]
pub extern "C" fn sha2_malloc_384() -> *mut State<Sha512> {
    malloc(|| Sha512::new(48))
}

/// `Hacl_Hash_SHA2_malloc_512`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA2_malloc_512"))]
pub extern "C" fn sha2_malloc_512() -> *mut State<Sha512> {
    malloc(|| Sha512::new(64))
}

/// `Hacl_Hash_SHA2_update_256`, for SHA-224 too.
///
/// # Safety
/// As for `update`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA2_update_256"))]
pub unsafe extern "C" fn sha2_update_256(state: *mut State<Sha256>, data: *const u8, len: u32) -> ErrorCode {
    // SAFETY: CPython's promise, passed on.
    unsafe { update(state, data, len) }
}

/// `Hacl_Hash_SHA2_update_512`, for SHA-384 too.
///
/// # Safety
/// As for `update`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA2_update_512"))]
pub unsafe extern "C" fn sha2_update_512(state: *mut State<Sha512>, data: *const u8, len: u32) -> ErrorCode {
    // SAFETY: CPython's promise, passed on.
    unsafe { update(state, data, len) }
}

/// `Hacl_Hash_SHA2_digest_256`: 32 bytes, for SHA-224 too (its digest the first 28).
///
/// # Safety
/// As for `digest`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA2_digest_256"))]
pub unsafe extern "C" fn sha2_digest_256(state: *mut State<Sha256>, dst: *mut u8) {
    // SAFETY: CPython's promise, passed on.
    unsafe { digest::<_, 32>(state, dst, Sha256::finish) }
}

/// `Hacl_Hash_SHA2_digest_512`: 64 bytes, for SHA-384 too (its digest the first 48).
///
/// # Safety
/// As for `digest`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA2_digest_512"))]
pub unsafe extern "C" fn sha2_digest_512(state: *mut State<Sha512>, dst: *mut u8) {
    // SAFETY: CPython's promise, passed on.
    unsafe { digest::<_, 64>(state, dst, Sha512::finish) }
}

/// `Hacl_Hash_SHA2_copy_256`.
///
/// # Safety
/// As for `copy`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA2_copy_256"))]
pub unsafe extern "C" fn sha2_copy_256(state: *mut State<Sha256>) -> *mut State<Sha256> {
    // SAFETY: CPython's promise, passed on.
    unsafe { copy(state) }
}

/// `Hacl_Hash_SHA2_copy_512`.
///
/// # Safety
/// As for `copy`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA2_copy_512"))]
pub unsafe extern "C" fn sha2_copy_512(state: *mut State<Sha512>) -> *mut State<Sha512> {
    // SAFETY: CPython's promise, passed on.
    unsafe { copy(state) }
}

/// `Hacl_Hash_SHA2_free_256`.
///
/// # Safety
/// As for `free`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA2_free_256"))]
pub unsafe extern "C" fn sha2_free_256(state: *mut State<Sha256>) {
    // SAFETY: CPython's promise, passed on.
    unsafe { free(state) }
}

/// `Hacl_Hash_SHA2_free_512`.
///
/// # Safety
/// As for `free`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA2_free_512"))]
pub unsafe extern "C" fn sha2_free_512(state: *mut State<Sha512>) {
    // SAFETY: CPython's promise, passed on.
    unsafe { free(state) }
}

// SHA-3.

/// `Spec_Hash_Definitions_hash_alg`'s SHA-3 values.
const SHA3_256: u8 = 8;
const SHA3_224: u8 = 9;
const SHA3_384: u8 = 10;
const SHA3_512: u8 = 11;
const SHAKE128: u8 = 12;
const SHAKE256: u8 = 13;

/// One of the SHA-3 functions.
#[derive(Clone)]
pub enum Sponge {
    Sha3_224(Sha3_224),
    Sha3_256(Sha3_256),
    Sha3_384(Sha3_384),
    Sha3_512(Sha3_512),
    Shake128(Shake128),
    Shake256(Shake256),
}

impl Sponge {
    fn new(algorithm: u8) -> Option<Self> {
        Some(match algorithm {
            SHA3_224 => Sponge::Sha3_224(Sha3_224::new()),
            SHA3_256 => Sponge::Sha3_256(Sha3_256::new()),
            SHA3_384 => Sponge::Sha3_384(Sha3_384::new()),
            SHA3_512 => Sponge::Sha3_512(Sha3_512::new()),
            SHAKE128 => Sponge::Shake128(Shake128::default()),
            SHAKE256 => Sponge::Shake256(Shake256::default()),
            _ => return None,
        })
    }

    /// The rate, in bytes.
    fn block_len(&self) -> u32 {
        match self {
            Sponge::Sha3_224(_) => 144,
            Sponge::Sha3_256(_) | Sponge::Shake256(_) => 136,
            Sponge::Sha3_384(_) => 104,
            Sponge::Sha3_512(_) => 72,
            Sponge::Shake128(_) => 168,
        }
    }

    /// The digest's length, 0 for SHAKE.
    fn hash_len(&self) -> u32 {
        match self {
            Sponge::Sha3_224(_) => 28,
            Sponge::Sha3_256(_) => 32,
            Sponge::Sha3_384(_) => 48,
            Sponge::Sha3_512(_) => 64,
            Sponge::Shake128(_) | Sponge::Shake256(_) => 0,
        }
    }

    fn is_shake(&self) -> bool {
        matches!(self, Sponge::Shake128(_) | Sponge::Shake256(_))
    }

    /// A copy's digest (fixed length) or first `out.len()` bytes of output (SHAKE).
    fn finish(&self, out: &mut [u8]) {
        match self {
            Sponge::Sha3_224(h) => finish_fixed(h, out),
            Sponge::Sha3_256(h) => finish_fixed(h, out),
            Sponge::Sha3_384(h) => finish_fixed(h, out),
            Sponge::Sha3_512(h) => finish_fixed(h, out),
            Sponge::Shake128(h) => h.clone().finalize_xof().read(out),
            Sponge::Shake256(h) => h.clone().finalize_xof().read(out),
        }
    }
}

impl Absorb for Sponge {
    const LIMIT: u64 = u64::MAX;
    fn absorb(&mut self, data: &[u8]) {
        match self {
            Sponge::Sha3_224(h) => Digest::update(h, data),
            Sponge::Sha3_256(h) => Digest::update(h, data),
            Sponge::Sha3_384(h) => Digest::update(h, data),
            Sponge::Sha3_512(h) => Digest::update(h, data),
            Sponge::Shake128(h) => Update::update(h, data),
            Sponge::Shake256(h) => Update::update(h, data),
        }
    }
}

/// The sponge of a live state, if not null.
///
/// # Safety
/// `state` is null or from `sha3_malloc`/`sha3_copy` and alive.
unsafe fn sponge<'a>(state: *mut State<Sponge>) -> Option<&'a Sponge> {
    // SAFETY: the caller's promise.
    unsafe { state.as_ref() }.map(|s| &s.hash)
}

/// `Hacl_Hash_SHA3_malloc`: null for an algorithm that is not SHA-3.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA3_malloc"))]
pub extern "C" fn sha3_malloc(algorithm: u8) -> *mut State<Sponge> {
    malloc(|| Sponge::new(algorithm))
}

/// `Hacl_Hash_SHA3_update`.
///
/// # Safety
/// As for `update`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA3_update"))]
pub unsafe extern "C" fn sha3_update(state: *mut State<Sponge>, data: *const u8, len: u32) -> ErrorCode {
    // SAFETY: CPython's promise, passed on.
    unsafe { update(state, data, len) }
}

/// `Hacl_Hash_SHA3_digest`: `hash_len` bytes; 1 for SHAKE.
///
/// # Safety
/// As for `digest`, with room for the digest at `dst`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA3_digest"))]
pub unsafe extern "C" fn sha3_digest(state: *mut State<Sponge>, dst: *mut u8) -> ErrorCode {
    // SAFETY: CPython's promise, passed on.
    let Some(sponge) = (unsafe { sponge(state) }) else {
        return INVALID_ALGORITHM;
    };
    if sponge.is_shake() {
        return INVALID_ALGORITHM;
    }
    // SAFETY: CPython's promise: room for the digest.
    let Some(out) = (unsafe { output(dst, sponge.hash_len() as usize) }) else {
        return INVALID_LENGTH;
    };
    guarded(INVALID_ALGORITHM, || {
        sponge.finish(out);
        SUCCESS
    })
}

/// `Hacl_Hash_SHA3_squeeze`: `len` bytes of SHAKE output; 1 for a fixed length, 2 for 0.
///
/// # Safety
/// As for `digest`, with `len` bytes at `dst`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA3_squeeze"))]
pub unsafe extern "C" fn sha3_squeeze(state: *mut State<Sponge>, dst: *mut u8, len: u32) -> ErrorCode {
    // SAFETY: CPython's promise, passed on.
    let Some(sponge) = (unsafe { sponge(state) }) else {
        return INVALID_ALGORITHM;
    };
    if !sponge.is_shake() {
        return INVALID_ALGORITHM;
    }
    if len == 0 {
        return INVALID_LENGTH;
    }
    // SAFETY: CPython's promise; a `u32` fits a `usize`.
    let Some(out) = (unsafe { output(dst, len as usize) }) else {
        return INVALID_LENGTH;
    };
    guarded(INVALID_ALGORITHM, || {
        sponge.finish(out);
        SUCCESS
    })
}

/// `Hacl_Hash_SHA3_copy`.
///
/// # Safety
/// As for `copy`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA3_copy"))]
pub unsafe extern "C" fn sha3_copy(state: *mut State<Sponge>) -> *mut State<Sponge> {
    // SAFETY: CPython's promise, passed on.
    unsafe { copy(state) }
}

/// `Hacl_Hash_SHA3_free`.
///
/// # Safety
/// As for `free`.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA3_free"))]
pub unsafe extern "C" fn sha3_free(state: *mut State<Sponge>) {
    // SAFETY: CPython's promise, passed on.
    unsafe { free(state) }
}

/// `Hacl_Hash_SHA3_block_len`: the rate in bytes (0 for a null state).
///
/// # Safety
/// `state` is null or alive.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA3_block_len"))]
pub unsafe extern "C" fn sha3_block_len(state: *mut State<Sponge>) -> u32 {
    // SAFETY: CPython's promise, passed on.
    unsafe { sponge(state) }.map_or(0, Sponge::block_len)
}

/// `Hacl_Hash_SHA3_hash_len`: the digest's length (0 for SHAKE or a null state).
///
/// # Safety
/// `state` is null or alive.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA3_hash_len"))]
pub unsafe extern "C" fn sha3_hash_len(state: *mut State<Sponge>) -> u32 {
    // SAFETY: CPython's promise, passed on.
    unsafe { sponge(state) }.map_or(0, Sponge::hash_len)
}

/// `Hacl_Hash_SHA3_is_shake`.
///
/// # Safety
/// `state` is null or alive.
#[cfg_attr(not(test), unsafe(export_name = "_Py_LibHacl_Hacl_Hash_SHA3_is_shake"))]
pub unsafe extern "C" fn sha3_is_shake(state: *mut State<Sponge>) -> bool {
    // SAFETY: CPython's promise, passed on.
    unsafe { sponge(state) }.is_some_and(Sponge::is_shake)
}

// BLAKE2.

/// `Hacl_Hash_Blake2b_blake2_params`, which BLAKE2s takes too.
#[repr(C)]
pub struct Blake2Params {
    pub digest_length: u8,
    pub key_length: u8,
    pub fanout: u8,
    pub depth: u8,
    pub leaf_length: u32,
    pub node_offset: u64,
    pub node_depth: u8,
    pub inner_length: u8,
    /// 16 bytes for BLAKE2b, 8 for BLAKE2s.
    pub salt: *const u8,
    /// 16 bytes for BLAKE2b, 8 for BLAKE2s.
    pub personal: *const u8,
}

// The layout CPython's `blake2module.c` fills (read in its compiled code too).
const _: () = {
    assert!(size_of::<Blake2Params>() == 40);
    assert!(offset_of!(Blake2Params, key_length) == 1);
    assert!(offset_of!(Blake2Params, fanout) == 2);
    assert!(offset_of!(Blake2Params, depth) == 3);
    assert!(offset_of!(Blake2Params, leaf_length) == 4);
    assert!(offset_of!(Blake2Params, node_offset) == 8);
    assert!(offset_of!(Blake2Params, node_depth) == 16);
    assert!(offset_of!(Blake2Params, inner_length) == 17);
    assert!(offset_of!(Blake2Params, salt) == 24);
    assert!(offset_of!(Blake2Params, personal) == 32);
    assert!(size_of::<Blake2Index>() == 3);
};

/// `Hacl_Hash_Blake2b_index`, what `info` returns (for BLAKE2s too).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Blake2Index {
    pub key_length: u8,
    pub digest_length: u8,
    pub last_node: bool,
}

/// A BLAKE2 state and what it was made with.
#[derive(Clone)]
pub struct Blake2<S> {
    hash: S,
    index: Blake2Index,
}

/// What BLAKE2b and BLAKE2s differ in.
pub trait Blake2Kind: Sized + Clone {
    /// The longest digest and key, the inner length's most, in bytes.
    const OUT: u8;
    /// The length of salt and personalization, in bytes.
    const SALT: usize;
    /// The largest node offset the parameter block holds.
    const MAX_NODE_OFFSET: u64;
    /// The state for checked parameters.
    fn make(p: &Blake2Params, salt: &[u8], personal: &[u8], key: &[u8], last_node: bool) -> Self;
    fn update(&mut self, data: &[u8]);
    /// A copy's digest, into `out` (as long as the digest).
    fn finish(&self, out: &mut [u8]);
}

impl Blake2Kind for blake2b_simd::State {
    const OUT: u8 = blake2b_simd::OUTBYTES as u8;
    const SALT: usize = blake2b_simd::SALTBYTES;
    const MAX_NODE_OFFSET: u64 = u64::MAX;

    fn make(p: &Blake2Params, salt: &[u8], personal: &[u8], key: &[u8], last_node: bool) -> Self {
        blake2b_simd::Params::new()
            .hash_length(p.digest_length.into())
            .key(key)
            .salt(salt)
            .personal(personal)
            .fanout(p.fanout)
            .max_depth(p.depth)
            .max_leaf_length(p.leaf_length)
            .node_offset(p.node_offset)
            .node_depth(p.node_depth)
            .inner_hash_length(p.inner_length.into())
            .last_node(last_node)
            .to_state()
    }

    fn update(&mut self, data: &[u8]) {
        blake2b_simd::State::update(self, data);
    }

    fn finish(&self, out: &mut [u8]) {
        out.copy_from_slice(self.finalize().as_bytes());
    }
}

impl Blake2Kind for blake2s_simd::State {
    const OUT: u8 = blake2s_simd::OUTBYTES as u8;
    const SALT: usize = blake2s_simd::SALTBYTES;
    const MAX_NODE_OFFSET: u64 = (1 << 48) - 1;

    fn make(p: &Blake2Params, salt: &[u8], personal: &[u8], key: &[u8], last_node: bool) -> Self {
        blake2s_simd::Params::new()
            .hash_length(p.digest_length.into())
            .key(key)
            .salt(salt)
            .personal(personal)
            .fanout(p.fanout)
            .max_depth(p.depth)
            .max_leaf_length(p.leaf_length)
            .node_offset(p.node_offset)
            .node_depth(p.node_depth)
            .inner_hash_length(p.inner_length.into())
            .last_node(last_node)
            .to_state()
    }

    fn update(&mut self, data: &[u8]) {
        blake2s_simd::State::update(self, data);
    }

    fn finish(&self, out: &mut [u8]) {
        out.copy_from_slice(self.finalize().as_bytes());
    }
}

impl<S: Blake2Kind> Absorb for Blake2<S> {
    const LIMIT: u64 = u64::MAX;
    fn absorb(&mut self, data: &[u8]) {
        self.hash.update(data);
    }
}

/// BLAKE2b (and its `Simd256` variant).
pub type Blake2b = Blake2<blake2b_simd::State>;
/// BLAKE2s (and its `Simd128` variant).
pub type Blake2s = Blake2<blake2s_simd::State>;

/// The `len` bytes at `data` (zeros where it is null), in a buffer of 64.
///
/// # Safety
/// `data` is null or points to `len` (at most 64) readable bytes.
unsafe fn bytes(data: *const u8, len: usize) -> [u8; 64] {
    let mut buffer = [0; 64];
    if !data.is_null() {
        // SAFETY: the caller's promise.
        buffer[..len].copy_from_slice(unsafe { std::slice::from_raw_parts(data, len) });
    }
    buffer
}

/// `malloc_with_params_and_key`: null for parameters out of range.
///
/// # Safety
/// `params` is null or points to parameters whose `salt` and `personal` point to
/// `S::SALT` bytes each (or are null: zeros); `key` to `key_length` bytes.
unsafe fn blake2_malloc<S: Blake2Kind>(
    params: *const Blake2Params,
    last_node: bool,
    key: *const u8,
) -> *mut State<Blake2<S>> {
    // SAFETY: the caller's promise.
    let Some(p) = (unsafe { params.as_ref() }) else {
        return null_mut();
    };
    let fits = (1..=S::OUT).contains(&p.digest_length)
        && p.key_length <= S::OUT
        && p.inner_length <= S::OUT
        && p.node_offset <= S::MAX_NODE_OFFSET
        && (p.key_length == 0 || !key.is_null());
    if !fits {
        return null_mut();
    }
    let key_length = usize::from(p.key_length);
    // SAFETY: the caller's promise, each length at most 64.
    let (salt, personal, key) = unsafe { (bytes(p.salt, S::SALT), bytes(p.personal, S::SALT), bytes(key, key_length)) };
    let index = Blake2Index { key_length: p.key_length, digest_length: p.digest_length, last_node };
    malloc(|| {
        let hash = S::make(p, &salt[..S::SALT], &personal[..S::SALT], &key[..key_length], last_node);
        Some(Blake2 { hash, index })
    })
}

/// `digest`: `digest_length` bytes, which it returns (0 for a null state).
///
/// # Safety
/// `state` is null or alive; `dst` has room for the digest.
unsafe fn blake2_digest<S: Blake2Kind>(state: *mut State<Blake2<S>>, dst: *mut u8) -> u8 {
    // SAFETY: the caller's promise.
    let Some(state) = (unsafe { state.as_ref() }) else {
        return 0;
    };
    let length = state.hash.index.digest_length;
    // SAFETY: the caller's promise: room for the digest.
    let Some(out) = (unsafe { output(dst, length.into()) }) else {
        return 0;
    };
    guarded(0, || {
        state.hash.hash.finish(out);
        length
    })
}

/// `info` (zeros for a null state).
///
/// # Safety
/// `state` is null or alive.
unsafe fn blake2_info<S: Blake2Kind>(state: *mut State<Blake2<S>>) -> Blake2Index {
    // SAFETY: the caller's promise.
    unsafe { state.as_ref() }.map(|s| s.hash.index).unwrap_or_default()
}

/// The six BLAKE2 functions under one variant's names.
macro_rules! blake2_functions {
    ($kind:ty, $prefix:literal, $malloc:ident, $update:ident, $digest:ident, $copy:ident, $free:ident, $info:ident) => {
        #[doc = concat!("`Hacl_Hash_", $prefix, "_malloc_with_params_and_key`.")]
        ///
        /// # Safety
        /// As for `blake2_malloc`.
        #[cfg_attr(not(test), unsafe(export_name = concat!("_Py_LibHacl_Hacl_Hash_", $prefix, "_malloc_with_params_and_key")))]
        pub unsafe extern "C" fn $malloc(
            params: *const Blake2Params,
            last_node: bool,
            key: *const u8,
        ) -> *mut State<$kind> {
            // SAFETY: CPython's promise, passed on.
            unsafe { blake2_malloc(params, last_node, key) }
        }

        #[doc = concat!("`Hacl_Hash_", $prefix, "_update`.")]
        ///
        /// # Safety
        /// As for `update`.
        #[cfg_attr(not(test), unsafe(export_name = concat!("_Py_LibHacl_Hacl_Hash_", $prefix, "_update")))]
        pub unsafe extern "C" fn $update(state: *mut State<$kind>, data: *const u8, len: u32) -> ErrorCode {
            // SAFETY: CPython's promise, passed on.
            unsafe { update(state, data, len) }
        }

        #[doc = concat!("`Hacl_Hash_", $prefix, "_digest`.")]
        ///
        /// # Safety
        /// As for `blake2_digest`.
        #[cfg_attr(not(test), unsafe(export_name = concat!("_Py_LibHacl_Hacl_Hash_", $prefix, "_digest")))]
        pub unsafe extern "C" fn $digest(state: *mut State<$kind>, dst: *mut u8) -> u8 {
            // SAFETY: CPython's promise, passed on.
            unsafe { blake2_digest(state, dst) }
        }

        #[doc = concat!("`Hacl_Hash_", $prefix, "_copy`.")]
        ///
        /// # Safety
        /// As for `copy`.
        #[cfg_attr(not(test), unsafe(export_name = concat!("_Py_LibHacl_Hacl_Hash_", $prefix, "_copy")))]
        pub unsafe extern "C" fn $copy(state: *mut State<$kind>) -> *mut State<$kind> {
            // SAFETY: CPython's promise, passed on.
            unsafe { copy(state) }
        }

        #[doc = concat!("`Hacl_Hash_", $prefix, "_free`.")]
        ///
        /// # Safety
        /// As for `free`.
        #[cfg_attr(not(test), unsafe(export_name = concat!("_Py_LibHacl_Hacl_Hash_", $prefix, "_free")))]
        pub unsafe extern "C" fn $free(state: *mut State<$kind>) {
            // SAFETY: CPython's promise, passed on.
            unsafe { free(state) }
        }

        #[doc = concat!("`Hacl_Hash_", $prefix, "_info`.")]
        ///
        /// # Safety
        /// As for `blake2_info`.
        #[cfg_attr(not(test), unsafe(export_name = concat!("_Py_LibHacl_Hacl_Hash_", $prefix, "_info")))]
        pub unsafe extern "C" fn $info(state: *mut State<$kind>) -> Blake2Index {
            // SAFETY: CPython's promise, passed on.
            unsafe { blake2_info(state) }
        }
    };
}

blake2_functions!(
    Blake2b,
    "Blake2b",
    blake2b_malloc,
    blake2b_update,
    blake2b_digest,
    blake2b_copy,
    blake2b_free,
    blake2b_info
);
blake2_functions!(
    Blake2b,
    "Blake2b_Simd256",
    blake2b_256_malloc,
    blake2b_256_update,
    blake2b_256_digest,
    blake2b_256_copy,
    blake2b_256_free,
    blake2b_256_info
);
blake2_functions!(
    Blake2s,
    "Blake2s",
    blake2s_malloc,
    blake2s_update,
    blake2s_digest,
    blake2s_copy,
    blake2s_free,
    blake2s_info
);
blake2_functions!(
    Blake2s,
    "Blake2s_Simd128",
    blake2s_128_malloc,
    blake2s_128_update,
    blake2s_128_digest,
    blake2s_128_copy,
    blake2s_128_free,
    blake2s_128_info
);

#[cfg(test)]
mod tests {
    //! Known answers through the C functions: published vectors (FIPS 180 and 202,
    //! RFC 1321, the BLAKE2 keyed test vectors), and, for the BLAKE2 tree parameters,
    //! what CPython 3.11's `hashlib` (the reference BLAKE2 code) and Debian's 3.14 (its
    //! HACL*) both answer.

    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// `data` through an `update` function, in pieces of at most `piece` bytes.
    fn feed<S>(state: *mut S, data: &[u8], piece: usize, update: unsafe extern "C" fn(*mut S, *const u8, u32) -> u8) {
        for chunk in data.chunks(piece.max(1)) {
            // SAFETY: a live state; the chunk's bytes.
            assert_eq!(unsafe { update(state, chunk.as_ptr(), chunk.len() as u32) }, SUCCESS);
        }
    }

    /// A state's digest through a `digest` function writing `N` bytes.
    fn digest_of<S, const N: usize>(state: *mut S, digest: unsafe extern "C" fn(*mut S, *mut u8)) -> String {
        let mut out = [0xAA; N];
        // SAFETY: a live state; `N` bytes of room.
        unsafe { digest(state, out.as_mut_ptr()) };
        hex(&out)
    }

    #[test]
    fn md5_and_sha1() {
        let md5 = md5_malloc();
        assert_eq!(digest_of::<_, 16>(md5, md5_digest), "d41d8cd98f00b204e9800998ecf8427e");
        feed(md5, b"abc", 1, md5_update);
        assert_eq!(digest_of::<_, 16>(md5, md5_digest), "900150983cd24fb0d6963f7d28e17f72");
        // SAFETY: a live state.
        let other = unsafe { md5_copy(md5) };
        feed(other, b"", 1, md5_update);
        feed(md5, b"def", 2, md5_update);
        assert_eq!(digest_of::<_, 16>(other, md5_digest), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(digest_of::<_, 16>(md5, md5_digest), hex(&Md5::digest(b"abcdef")));
        // SAFETY: live states, freed once.
        unsafe {
            md5_free(md5);
            md5_free(other);
        }

        let sha1 = sha1_malloc();
        feed(sha1, b"abc", 2, sha1_update);
        assert_eq!(digest_of::<_, 20>(sha1, sha1_digest), "a9993e364706816aba3e25717850c26c9cd0d89d");
        // SAFETY: a live state.
        let other = unsafe { sha1_copy(sha1) };
        feed(sha1, b"x", 1, sha1_update);
        assert_eq!(digest_of::<_, 20>(other, sha1_digest), "a9993e364706816aba3e25717850c26c9cd0d89d");
        // SAFETY: live states, freed once.
        unsafe {
            sha1_free(sha1);
            sha1_free(other);
        }
    }

    #[test]
    fn sha2() {
        // SHA-224 through the SHA-256 functions: 32 bytes, the digest and then the
        // state's last word (computed by a separate SHA-256 in Python).
        let sha224 = sha2_malloc_224();
        feed(sha224, b"abc", 1, sha2_update_256);
        assert_eq!(
            digest_of::<_, 32>(sha224, sha2_digest_256),
            "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7d2da082d"
        );
        let sha256 = sha2_malloc_256();
        feed(sha256, b"abc", 3, sha2_update_256);
        assert_eq!(
            digest_of::<_, 32>(sha256, sha2_digest_256),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // SAFETY: a live state.
        let million = unsafe { sha2_copy_256(sha2_malloc_256()) };
        feed(million, &vec![b'a'; 1_000_000], 65_537, sha2_update_256);
        assert_eq!(
            digest_of::<_, 32>(million, sha2_digest_256),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
        let sha384 = sha2_malloc_384();
        feed(sha384, b"abc", 1, sha2_update_512);
        assert!(digest_of::<_, 64>(sha384, sha2_digest_512).starts_with(
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
        ));
        let sha512 = sha2_malloc_512();
        feed(sha512, b"ab", 1, sha2_update_512);
        // SAFETY: a live state.
        let other = unsafe { sha2_copy_512(sha512) };
        feed(sha512, b"c", 1, sha2_update_512);
        feed(other, b"d", 1, sha2_update_512);
        assert_eq!(
            digest_of::<_, 64>(sha512, sha2_digest_512),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
        assert_eq!(digest_of::<_, 64>(other, sha2_digest_512), hex(&sha2::Sha512::digest(b"abd")));
        // SAFETY: live states, freed once.
        unsafe {
            for state in [sha224, sha256, million] {
                sha2_free_256(state);
            }
            for state in [sha384, sha512, other] {
                sha2_free_512(state);
            }
        }
    }

    #[test]
    fn sha3_and_shake() {
        let fixed = [
            (SHA3_224, 144, "e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf"),
            (SHA3_256, 136, "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"),
            (
                SHA3_384,
                104,
                "ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c2596da7cf0e49be4b298d88cea927ac7f539f1edf228376d25",
            ),
            (
                SHA3_512,
                72,
                "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e\
                 10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0",
            ),
        ];
        for (algorithm, rate, expected) in fixed {
            let state = sha3_malloc(algorithm);
            feed(state, b"abc", 2, sha3_update);
            let mut out = [0; 64];
            // SAFETY: a live state, 64 bytes of room, 1 asked.
            unsafe {
                assert_eq!(sha3_block_len(state), rate);
                assert_eq!(sha3_hash_len(state) as usize, expected.len() / 2);
                assert!(!sha3_is_shake(state));
                assert_eq!(sha3_digest(state, out.as_mut_ptr()), SUCCESS);
                assert_eq!(sha3_squeeze(state, out.as_mut_ptr(), 1), INVALID_ALGORITHM);
            }
            assert_eq!(hex(&out[..expected.len() / 2]), expected);
            // SAFETY: freed once.
            unsafe { sha3_free(state) };
        }
        assert!(sha3_malloc(7).is_null());
        assert!(sha3_malloc(14).is_null());

        let shake = sha3_malloc(SHAKE128);
        let mut out = vec![0; 200];
        // SAFETY: a live state; room for what is asked.
        unsafe {
            assert!(sha3_is_shake(shake));
            assert_eq!((sha3_block_len(shake), sha3_hash_len(shake)), (168, 0));
            assert_eq!(sha3_digest(shake, out.as_mut_ptr()), INVALID_ALGORITHM);
            assert_eq!(sha3_squeeze(shake, out.as_mut_ptr(), 0), INVALID_LENGTH);
            assert_eq!(sha3_squeeze(shake, out.as_mut_ptr(), 32), SUCCESS);
        }
        assert_eq!(hex(&out[..32]), "7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26");
        feed(shake, b"abc", 1, sha3_update);
        // SAFETY: as above.
        unsafe { assert_eq!(sha3_squeeze(shake, out.as_mut_ptr(), 200), SUCCESS) };
        let long = hex(&out);
        assert!(long.starts_with("5881092dd818bf5cf8a3ddb793fbcba74097d5c526a6d35f97b83351940f2cc8"));
        assert!(long.ends_with("8cb006aa5b4cd"));
        // SAFETY: as above.
        unsafe { assert_eq!(sha3_squeeze(shake, out.as_mut_ptr(), 1), SUCCESS) };
        assert_eq!(out[0], 0x58);

        let shake256 = sha3_malloc(SHAKE256);
        feed(shake256, b"abc", 1, sha3_update);
        // SAFETY: a live state; room for what is asked.
        let copied = unsafe { sha3_copy(shake256) };
        feed(shake256, b"more", 1, sha3_update);
        // SAFETY: as above.
        unsafe { assert_eq!(sha3_squeeze(copied, out.as_mut_ptr(), 200), SUCCESS) };
        assert!(hex(&out).starts_with("483366601360a8771c6863080cc4114d8db44530f8f1e1ee4f94ea37e78b5739"));
        assert!(hex(&out).ends_with("6bfe119"));
        // SAFETY: live states, freed once.
        for state in [shake, shake256, copied] {
            // SAFETY: live states, freed once.
            unsafe { sha3_free(state) };
        }
    }

    #[test]
    fn maximum_length() {
        let md5 = md5_malloc();
        // SAFETY: a live state, used by this thread alone.
        unsafe { (*md5).total = MD_LIMIT - 1 };
        let data = [0u8; 2];
        // SAFETY: a live state; the bytes of `data`.
        unsafe {
            assert_eq!(md5_update(md5, data.as_ptr(), 2), MAXIMUM_LENGTH_EXCEEDED);
            assert_eq!(md5_update(md5, data.as_ptr(), 1), SUCCESS);
            assert_eq!(md5_update(md5, data.as_ptr(), 1), MAXIMUM_LENGTH_EXCEEDED);
            assert_eq!(md5_update(md5, data.as_ptr(), 0), SUCCESS);
            md5_free(md5);
        }
        let sha512 = sha2_malloc_512();
        // SAFETY: as above.
        unsafe {
            (*sha512).total = MD_LIMIT + 1;
            assert_eq!(sha2_update_512(sha512, data.as_ptr(), 2), SUCCESS);
            (*sha512).total = u64::MAX - 1;
            assert_eq!(sha2_update_512(sha512, data.as_ptr(), 2), MAXIMUM_LENGTH_EXCEEDED);
            sha2_free_512(sha512);
        }
    }

    /// Parameters as CPython's `_blake2` passes them.
    fn params(digest_length: u8, key_length: u8, salt: &[u8; 16], personal: &[u8; 16]) -> Blake2Params {
        Blake2Params {
            digest_length,
            key_length,
            fanout: 1,
            depth: 1,
            leaf_length: 0,
            node_offset: 0,
            node_depth: 0,
            inner_length: 0,
            salt: salt.as_ptr(),
            personal: personal.as_ptr(),
        }
    }

    type Malloc<S> = unsafe extern "C" fn(*const Blake2Params, bool, *const u8) -> *mut State<S>;
    type Functions<S> = (
        Malloc<S>,
        unsafe extern "C" fn(*mut State<S>, *const u8, u32) -> u8,
        unsafe extern "C" fn(*mut State<S>, *mut u8) -> u8,
        unsafe extern "C" fn(*mut State<S>) -> *mut State<S>,
        unsafe extern "C" fn(*mut State<S>),
        unsafe extern "C" fn(*mut State<S>) -> Blake2Index,
    );

    /// The hex digest of `data` under `p`, `last_node` and `key`, with each function of
    /// a variant; checks `info`, `copy` and that `digest` leaves the state going.
    fn blake2<S>(f: &Functions<S>, p: &Blake2Params, last_node: bool, key: &[u8], data: &[u8]) -> String {
        let (malloc, update, digest, copy, free, info) = *f;
        // SAFETY: parameters as CPython makes them, `key` as long as they say.
        let state = unsafe { malloc(p, last_node, key.as_ptr()) };
        assert!(!state.is_null());
        let index = Blake2Index { key_length: p.key_length, digest_length: p.digest_length, last_node };
        let mut out = [0; 64];
        // SAFETY: a live state; 64 bytes of room; freed once.
        unsafe {
            assert_eq!(info(state), index);
            feed(state, &data[..data.len() / 2], 7, update);
            let other = copy(state);
            feed(state, b"elsewhere", 7, update);
            feed(other, &data[data.len() / 2..], 7, update);
            assert_eq!(info(other), index);
            assert_eq!(digest(other, out.as_mut_ptr()), p.digest_length);
            let first = out;
            assert_eq!(digest(other, out.as_mut_ptr()), p.digest_length);
            assert_eq!(first, out);
            free(state);
            free(other);
        }
        hex(&out[..p.digest_length.into()])
    }

    #[test]
    fn blake2b_and_blake2s() {
        let b: [Functions<Blake2b>; 2] = [
            (blake2b_malloc, blake2b_update, blake2b_digest, blake2b_copy, blake2b_free, blake2b_info),
            (
                blake2b_256_malloc,
                blake2b_256_update,
                blake2b_256_digest,
                blake2b_256_copy,
                blake2b_256_free,
                blake2b_256_info,
            ),
        ];
        let s: [Functions<Blake2s>; 2] = [
            (blake2s_malloc, blake2s_update, blake2s_digest, blake2s_copy, blake2s_free, blake2s_info),
            (
                blake2s_128_malloc,
                blake2s_128_update,
                blake2s_128_digest,
                blake2s_128_copy,
                blake2s_128_free,
                blake2s_128_info,
            ),
        ];
        let zeros = [0u8; 16];
        let key: Vec<u8> = (0..64).collect();
        let mut salt = [0u8; 16];
        salt[..4].copy_from_slice(b"salt");
        let mut personal = [0u8; 16];
        personal[..2].copy_from_slice(b"me");
        let tree = |digest_length, key_length, inner_length, node_offset| Blake2Params {
            fanout: 2,
            depth: 3,
            leaf_length: 4096,
            node_offset,
            node_depth: 1,
            inner_length,
            ..params(digest_length, key_length, &salt, &personal)
        };
        for f in &b {
            assert_eq!(
                blake2(f, &params(64, 0, &zeros, &zeros), false, &[], b"abc"),
                "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1\
                 7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
            );
            assert_eq!(
                blake2(f, &params(64, 64, &zeros, &zeros), false, &key, b""),
                "10ebb67700b1868efb4417987acf4690ae9d972fb7a590c2f02871799aaa4786\
                 b5e996e8f0f4eb981fc214b005f42d2ff4233499391653df7aefcbc13fc51568"
            );
            assert_eq!(
                blake2(f, &tree(20, 3, 32, 5), true, b"key", b"abc"),
                "053b13821fe14ec26c26e1554107cf35a93a429f"
            );
            assert_eq!(
                blake2(f, &tree(20, 3, 32, 5), false, b"key", b"abc"),
                "782b07362d30f55142f7036bf8cca72c427583a5"
            );
        }
        for f in &s {
            assert_eq!(
                blake2(f, &params(32, 0, &zeros, &zeros), false, &[], b"abc"),
                "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982"
            );
            assert_eq!(
                blake2(f, &params(32, 32, &zeros, &zeros), false, &key[..32], b""),
                "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49"
            );
            assert_eq!(
                blake2(f, &tree(20, 3, 16, (1 << 48) - 1), true, b"key", b"abc"),
                "ee3b834502eb69cb5e25a811965c0c932180f013"
            );
        }
    }

    /// Parameters CPython refuses before: no state.
    #[test]
    fn blake2_refused_parameters() {
        let zeros = [0u8; 16];
        let key = [7u8; 64];
        let refused = |digest_length, key_length, inner_length, node_offset| Blake2Params {
            inner_length,
            node_offset,
            ..params(digest_length, key_length, &zeros, &zeros)
        };
        // SAFETY: parameters and keys as long as they say.
        unsafe {
            assert!(blake2b_malloc(&refused(0, 0, 0, 0), false, key.as_ptr()).is_null());
            assert!(blake2b_malloc(&refused(65, 0, 0, 0), false, key.as_ptr()).is_null());
            assert!(blake2b_malloc(&refused(64, 65, 0, 0), false, key.as_ptr()).is_null());
            assert!(blake2b_malloc(&refused(64, 1, 0, 0), false, std::ptr::null()).is_null());
            assert!(blake2s_malloc(&refused(33, 0, 0, 0), false, key.as_ptr()).is_null());
            assert!(blake2s_malloc(&refused(32, 0, 33, 0), false, key.as_ptr()).is_null());
            assert!(blake2s_malloc(&refused(32, 0, 0, 1 << 48), false, key.as_ptr()).is_null());
            assert!(blake2s_malloc(std::ptr::null(), false, key.as_ptr()).is_null());
            // No key: the key pointer is not read.
            let state = blake2s_malloc(&refused(32, 0, 0, 0), false, std::ptr::null());
            assert!(!state.is_null());
            blake2s_free(state);
        }
    }

    #[test]
    fn null_states() {
        let mut out = [0u8; 64];
        // SAFETY: null states, which every function answers without reading.
        unsafe {
            assert_eq!(md5_update(null_mut(), out.as_ptr(), 1), INVALID_ALGORITHM);
            md5_digest(null_mut(), out.as_mut_ptr());
            assert!(sha2_copy_256(null_mut()).is_null());
            sha2_free_512(null_mut());
            assert_eq!(sha3_squeeze(null_mut(), out.as_mut_ptr(), 1), INVALID_ALGORITHM);
            assert_eq!(sha3_block_len(null_mut()), 0);
            assert_eq!(blake2b_info(null_mut()), Blake2Index::default());
            assert_eq!(blake2s_digest(null_mut(), out.as_mut_ptr()), 0);
        }
        assert_eq!(out, [0; 64]);
    }
}
