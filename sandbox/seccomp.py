"""A seccomp filter that refuses new user namespaces, loaded into each command of a sandbox.

As root, a local sandbox has no user namespace of its own (root needs none to make the
others), so bubblewrap's `--disable-userns` cannot apply and the sandbox's user could make
one (`unshare -Ur`), where it is root again. The filter answers EPERM to `unshare` and
`clone` with CLONE_NEWUSER, and ENOSYS to `clone3` (whose flags a filter cannot read), which
makes libc fall back to `clone`; every other call passes. It is loaded in the forked child
before it execs the command line (`Loader`), so that nsenter, setpriv and the command, and
all they start, keep it; that costs no extra process.
"""

from __future__ import annotations

import ctypes
import os
import struct

CLONE_NEWUSER = 0x10000000
_EPERM, _ENOSYS = 1, 38
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
# (audit arch, clone, unshare, clone3) for the machines this runs on; x32 calls are refused.
_ARCHES = {
    "x86_64": (0xC000003E, 56, 272, 435),
    "aarch64": (0xC00000B7, 220, 97, 435),
}
_X32_BIT = 0x40000000
# Classic BPF opcodes.
_LD_W_ABS, _JEQ_K, _JGE_K, _JSET_K, _RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2


def supported() -> bool:
    """Whether this machine's architecture has a filter (else user namespaces stay open)."""
    return os.uname().machine in _ARCHES


def program() -> bytes:
    """The filter as `struct sock_filter[]`: (code u16, jt u8, jf u8, k u32) each."""
    arch, clone, unshare, clone3 = _ARCHES[os.uname().machine]
    refuse = _RET_ERRNO | _EPERM
    steps = [
        (_LD_W_ABS, 0, 0, 4),  # 0: seccomp_data.arch
        (_JEQ_K, 1, 0, arch),  # 1: this machine's calls go on
        (_RET_K, 0, 0, refuse),  # 2: a foreign ABI is refused whole
        (_LD_W_ABS, 0, 0, 0),  # 3: seccomp_data.nr
        (_JGE_K, 0, 1, _X32_BIT),  # 4
        (_RET_K, 0, 0, refuse),  # 5: x32
        (_JEQ_K, 0, 1, clone3),  # 6
        (_RET_K, 0, 0, _RET_ERRNO | _ENOSYS),  # 7
        (_JEQ_K, 2, 0, unshare),  # 8: -> 11
        (_JEQ_K, 1, 0, clone),  # 9: -> 11
        (_RET_K, 0, 0, _RET_ALLOW),  # 10
        (_LD_W_ABS, 0, 0, 16),  # 11: the low half of args[0], the flags
        (_JSET_K, 0, 1, CLONE_NEWUSER),  # 12
        (_RET_K, 0, 0, refuse),  # 13
        (_RET_K, 0, 0, _RET_ALLOW),  # 14
    ]
    return b"".join(struct.pack("=HBBI", *step) for step in steps)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class Loader:
    """Loads the filter on the process that calls it: a command's `preexec_fn`.

    Everything it needs is made here, in the engine, so that the forked child makes one
    call and allocates nothing. Root has CAP_SYS_ADMIN, so the kernel takes the filter
    without no_new_privs (setpriv sets that later, for the sandbox's user).
    """

    def __init__(self) -> None:
        code = program()
        self._code = ctypes.create_string_buffer(code, len(code))
        self._prog = _SockFprog(len(code) // 8, ctypes.addressof(self._code))
        self._prctl = ctypes.CDLL(None, use_errno=True).prctl
        self._prctl.argtypes = [
            ctypes.c_int,
            ctypes.c_ulong,
            ctypes.c_void_p,
            ctypes.c_ulong,
            ctypes.c_ulong,
        ]
        self._address = ctypes.addressof(self._prog)

    def __call__(self) -> None:
        if self._prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, self._address, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "the seccomp filter would not load")
