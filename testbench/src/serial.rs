//! Byte streams to a board: a raw serial port through termios (a USB-UART such as
//! `/dev/ttyUSB1`, or the slave side of a pseudo-terminal) and pseudo-terminal pairs.
//!
//! [`SerialPort`] is `Read + Write`; a read waits at most [`SerialPort::timeout`] and then
//! fails with [`std::io::ErrorKind::TimedOut`], so a host that waits for a reply can
//! never hang on a silent board. [`Pty`] opens a pseudo-terminal whose slave path
//! (`/dev/pts/N`) a [`SerialPort`] opens exactly like a USB-UART: the simulated board
//! (`board_sim`) sits on the master side.
//!
//! Linux only (raw `libc` termios; no serial crate needed). Supported baud rates are the
//! kernel's fixed `Bxxxx` speeds from 9600 to 4 000 000 ([`baud_constant`]).

use std::ffi::CStr;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The termios speed constant for `baud`, or `None` for a rate the kernel has no
/// constant for.
pub fn baud_constant(baud: u32) -> Option<libc::speed_t> {
    Some(match baud {
        9600 => libc::B9600,
        19200 => libc::B19200,
        38400 => libc::B38400,
        57600 => libc::B57600,
        115200 => libc::B115200,
        230400 => libc::B230400,
        460800 => libc::B460800,
        500000 => libc::B500000,
        576000 => libc::B576000,
        921600 => libc::B921600,
        1000000 => libc::B1000000,
        1152000 => libc::B1152000,
        1500000 => libc::B1500000,
        2000000 => libc::B2000000,
        2500000 => libc::B2500000,
        3000000 => libc::B3000000,
        3500000 => libc::B3500000,
        4000000 => libc::B4000000,
        _ => return None,
    })
}

fn cvt(r: libc::c_int, what: &str) -> io::Result<libc::c_int> {
    if r < 0 {
        let e = io::Error::last_os_error();
        Err(io::Error::new(e.kind(), format!("{what}: {e}")))
    } else {
        Ok(r)
    }
}

/// Put `fd` in raw 8N1 mode at `speed`, no flow control, reads returning what is there.
fn make_raw(fd: RawFd, speed: Option<libc::speed_t>) -> io::Result<()> {
    // SAFETY: `t` is a plain C struct filled by tcgetattr before use; `fd` is open.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        cvt(libc::tcgetattr(fd, &mut t), "tcgetattr")?;
        libc::cfmakeraw(&mut t);
        t.c_cflag |= libc::CLOCAL | libc::CREAD;
        t.c_cflag &= !(libc::CSTOPB | libc::PARENB | libc::CRTSCTS);
        t.c_iflag &= !(libc::IXON | libc::IXOFF | libc::IXANY);
        t.c_cc[libc::VMIN] = 0;
        t.c_cc[libc::VTIME] = 0;
        if let Some(s) = speed {
            cvt(libc::cfsetispeed(&mut t, s), "cfsetispeed")?;
            cvt(libc::cfsetospeed(&mut t, s), "cfsetospeed")?;
        }
        cvt(libc::tcsetattr(fd, libc::TCSANOW, &t), "tcsetattr")?;
    }
    Ok(())
}

/// Wait until `fd` is readable (true) or `timeout` passes (false).
pub(crate) fn wait_readable(fd: RawFd, timeout: Duration) -> io::Result<bool> {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
    loop {
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut p, 1, ms) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        return Ok(r > 0);
    }
}

/// `read(2)` into `buf`.
pub(crate) fn read_fd(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for `buf.len()` bytes.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// `write(2)` from `buf`.
pub(crate) fn write_fd(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for `buf.len()` bytes.
    let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// A serial port in raw 8N1 mode.
#[derive(Debug)]
pub struct SerialPort {
    fd: OwnedFd,
    path: PathBuf,
    baud: u32,
    /// How long a read waits for the first byte before failing with `TimedOut`.
    pub timeout: Duration,
}

impl SerialPort {
    /// Open `path` (e.g. `/dev/ttyUSB1`, or a pty slave) at `baud`, raw 8N1, no flow
    /// control, with a 2 s read timeout; pending input is discarded. A missing device
    /// gives `NotFound` with the path in the message.
    pub fn open(path: impl AsRef<Path>, baud: u32) -> io::Result<Self> {
        let path = path.as_ref();
        let speed = baud_constant(baud).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{} baud is not a standard Linux serial speed (9600 .. 4000000, e.g. \
                     115200, 1000000, 3000000)",
                    baud
                ),
            )
        })?;
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        // SAFETY: `c` is a valid C string.
        let fd = unsafe {
            libc::open(
                c.as_ptr(),
                libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC | libc::O_NONBLOCK,
            )
        };
        if fd < 0 {
            let e = io::Error::last_os_error();
            return Err(io::Error::new(
                e.kind(),
                format!("opening serial port {}: {e}", path.display()),
            ));
        }
        // SAFETY: `fd` was just opened and is owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let raw = fd.as_raw_fd();
        make_raw(raw, Some(speed))
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        // Back to blocking writes (reads go through poll with a timeout).
        // SAFETY: plain fcntl on an open descriptor.
        unsafe {
            let flags = cvt(libc::fcntl(raw, libc::F_GETFL), "fcntl")?;
            cvt(
                libc::fcntl(raw, libc::F_SETFL, flags & !libc::O_NONBLOCK),
                "fcntl",
            )?;
            libc::tcflush(raw, libc::TCIOFLUSH);
        }
        Ok(Self {
            fd,
            path: path.to_owned(),
            baud,
            timeout: Duration::from_secs(2),
        })
    }

    /// The device path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The baud rate it was opened with.
    pub fn baud(&self) -> u32 {
        self.baud
    }

    /// Set the read timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

impl Read for SerialPort {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if !wait_readable(self.fd.as_raw_fd(), self.timeout)? {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{}: no data within {:?}", self.path.display(), self.timeout),
                ));
            }
            match read_fd(self.fd.as_raw_fd(), buf) {
                Ok(0) => continue, // raw mode, VMIN = 0: spurious wake-up
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

impl Write for SerialPort {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            match write_fd(self.fd.as_raw_fd(), buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r,
            }
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        // The kernel sends what was written; nothing is buffered here.
        Ok(())
    }
}

/// A pseudo-terminal pair: the master (for a simulated device) and the slave's path
/// (for the host, opened with [`SerialPort::open`]).
#[derive(Debug)]
pub struct Pty {
    /// Master side, non-blocking.
    pub master: OwnedFd,
    /// An open slave descriptor, kept so that the master never sees a hang-up while the
    /// host reopens the slave.
    pub slave: OwnedFd,
    /// `/dev/pts/N`.
    pub slave_path: PathBuf,
}

impl Pty {
    /// Open a pty pair with the slave in raw mode (no echo, no line editing).
    pub fn open() -> io::Result<Self> {
        let (mut m, mut s) = (-1, -1);
        // SAFETY: out-pointers to two ints; name, termios and winsize may be null.
        cvt(
            unsafe {
                libc::openpty(
                    &mut m,
                    &mut s,
                    std::ptr::null_mut(),
                    std::ptr::null(),
                    std::ptr::null(),
                )
            },
            "openpty",
        )?;
        // SAFETY: both descriptors were just created and are owned here.
        let (master, slave) = unsafe { (OwnedFd::from_raw_fd(m), OwnedFd::from_raw_fd(s)) };
        let mut name = [0 as libc::c_char; 128];
        // SAFETY: `name` is a writable buffer of the given length.
        let r = unsafe { libc::ttyname_r(slave.as_raw_fd(), name.as_mut_ptr(), name.len()) };
        if r != 0 {
            return Err(io::Error::from_raw_os_error(r));
        }
        // SAFETY: ttyname_r wrote a NUL-terminated string.
        let slave_path = PathBuf::from(
            unsafe { CStr::from_ptr(name.as_ptr()) }
                .to_string_lossy()
                .into_owned(),
        );
        make_raw(slave.as_raw_fd(), None)?;
        // SAFETY: plain fcntl on an open descriptor.
        unsafe {
            let flags = cvt(libc::fcntl(m, libc::F_GETFL), "fcntl")?;
            cvt(
                libc::fcntl(m, libc::F_SETFL, flags | libc::O_NONBLOCK),
                "fcntl",
            )?;
        }
        Ok(Self {
            master,
            slave,
            slave_path,
        })
    }
}
