//! The only `unsafe` code of the agent: a private shared-memory buffer (memfd + mmap) for
//! MIT-SHM, and poll(2) with a timeout on the X connection.
//!
//! Why a memfd and not a SysV segment: a SysV segment is a global object any local user can
//! attach to if its mode allows (scrap creates its segment 0o777, exposing the screen to
//! everyone on the machine). A memfd has no name anywhere; it reaches the X server only as a
//! file descriptor passed over the connection's socket.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;
use std::time::Duration;

/// Shared memory the X server writes screen images into and we read. Mapped read-only on our
/// side; sized once and sealed against resizing.
pub(super) struct ShmBuffer {
    fd: OwnedFd,
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is owned exclusively by this value (no aliases are handed out beyond
// borrows of `self`), so moving it to another thread is as safe as moving a `Vec<u8>`.
unsafe impl Send for ShmBuffer {}

impl ShmBuffer {
    /// Creates an anonymous memfd of `len` bytes (at least 1) and maps it.
    pub(super) fn new(len: usize) -> io::Result<Self> {
        let len = len.max(1);
        let size = libc::off_t::try_from(len)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "buffer too large"))?;
        // SAFETY: the name is a valid NUL-terminated string; flags are valid memfd flags.
        // CLOEXEC keeps the fd out of child processes.
        let raw = unsafe {
            libc::memfd_create(
                c"tandem-capture".as_ptr(),
                libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a freshly created descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: plain syscall on a valid descriptor we own.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), size) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // Sealing the size means the X server (the only other holder) cannot shrink the file
        // under our mapping, which would turn our reads into SIGBUS.
        let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL;
        // SAFETY: plain fcntl on a valid descriptor we own.
        if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_ADD_SEALS, seals) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: we map `len` bytes of a file that is exactly `len` bytes long (and sealed so);
        // a null hint lets the kernel choose the address. The result is checked below.
        let addr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if addr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(addr.cast::<u8>())
            .ok_or_else(|| io::Error::other("mmap returned a null pointer"))?;
        Ok(ShmBuffer { fd, ptr, len })
    }

    /// A duplicate of the descriptor, to hand to the X server (x11rb closes it after sending).
    pub(super) fn share_fd(&self) -> io::Result<OwnedFd> {
        self.fd.try_clone()
    }

    /// The buffer's bytes.
    ///
    /// Callers read this only after the reply to a ShmGetImage arrived: the server writes
    /// into the segment only while it processes such a request, so no write races the read.
    pub(super) fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` points to a mapping of `len` readable bytes that stays mapped until
        // `self` is dropped; the slice borrows `self`, so it cannot outlive it. The X server writes
        // into it only while handling a ShmGetImage we sent and whose reply we have received
        // (see above), so the bytes are not modified while the slice exists. (Another client
        // of the same server could name our segment in its own ShmGetImage: that would tear
        // pixels, nothing worse, as every byte value is a valid u8 — and such a client can
        // read the screen anyway.)
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for ShmBuffer {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` describe exactly the mapping created in `new`, and no borrow of
        // it can outlive `self`. The fd is closed afterwards by `OwnedFd`'s own Drop.
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.len);
        }
    }
}

/// Blocks until `fd` is readable or `timeout` passes. Returns whether it became readable.
/// An interrupted wait (EINTR) counts as a timeout-free wake-up: the caller re-checks its
/// deadline anyway.
pub(super) fn wait_readable(fd: BorrowedFd<'_>, timeout: Duration) -> io::Result<bool> {
    // Round up so a sub-millisecond remainder does not become a zero-timeout spin.
    let millis = timeout.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int;
    let mut pollfd = libc::pollfd {
        fd: fd.as_fd().as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: `pollfd` is a valid, initialised array of one element that outlives the call.
    let n = unsafe { libc::poll(&mut pollfd, 1, millis) };
    if n < 0 {
        let err = io::Error::last_os_error();
        return if err.kind() == io::ErrorKind::Interrupted {
            Ok(false)
        } else {
            Err(err)
        };
    }
    Ok(n > 0)
}
