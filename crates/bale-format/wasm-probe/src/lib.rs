//! The bale reader compiled to WebAssembly, with two exports a JavaScript host can call:
//! `probe_alloc` to get memory for a bale, and `probe_read` to open it, verify it and
//! read every entry. Used by `scripts/check-wasm.sh`, which runs it in Node on the
//! format's test vectors.

use bale_format::Bale;

/// Allocates `len` bytes that the host fills with a bale. Never freed: a probe runs once.
#[unsafe(no_mangle)]
pub extern "C" fn probe_alloc(len: usize) -> *mut u8 {
    Box::leak(vec![0u8; len].into_boxed_slice()).as_mut_ptr()
}

/// Opens, verifies and reads the bale at `ptr`. Returns
/// `modules * 1_000_000 + files * 1_000 + problems`, or -1 if it does not open.
///
/// # Safety
/// `ptr .. ptr + len` must be memory returned by `probe_alloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn probe_read(ptr: *const u8, len: usize) -> i64 {
    // SAFETY: the caller passes a buffer from `probe_alloc` of at least `len` bytes.
    let data = unsafe { std::slice::from_raw_parts(ptr, len) };
    read(data).unwrap_or(-1)
}

/// The same check, callable natively so its results can be compared.
pub fn read(data: &[u8]) -> Option<i64> {
    let bale = Bale::open(data).ok()?;
    let mut problems = bale.verify().len() as i64;
    for m in bale.modules() {
        let ok = m.is_ok_and(|m| bale.module(m.name).is_ok_and(|found| found == Some(m)));
        problems += i64::from(!ok);
    }
    for f in bale.files() {
        let ok = f.is_ok_and(|f| bale.read_file(&f).is_ok());
        problems += i64::from(!ok);
    }
    Some(i64::from(bale.module_count()) * 1_000_000 + i64::from(bale.file_count()) * 1_000 + problems)
}
