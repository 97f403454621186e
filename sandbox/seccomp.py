"""A seccomp filter that refuses new user namespaces, and a tiny launcher that installs it.

As root, a local sandbox has no user namespace of its own (root needs none to make the
others), so bubblewrap's `--disable-userns` cannot apply and the sandbox's user could make
one (`unshare -Ur`), where it is root again. The filter answers EPERM to `unshare` and
`clone` with CLONE_NEWUSER, and ENOSYS to `clone3` (whose flags a filter cannot read), which
makes libc fall back to `clone`; every other call passes. Run as a script it installs the
filter and execs its arguments, so that everything started below it inherits the filter:

    python -I -S sandbox/seccomp.py -- nsenter ... setpriv ... COMMAND
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys

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
_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2


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


def install() -> None:
    """Load the filter on this process; what it execs and forks keeps it."""
    code = program()

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]

    libc = ctypes.CDLL(None, use_errno=True)
    # Without CAP_SYS_ADMIN the kernel takes a filter only under no_new_privs.
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    prog = SockFprog(len(code) // 8, code)
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")


def launcher_argv() -> list[str]:
    """The words that put the filter in front of a command: `[*launcher_argv(), *command]`."""
    return [sys.executable, "-I", "-S", os.path.abspath(__file__), "--"]


def _main(argv: list[str]) -> None:
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        sys.exit("usage: seccomp.py -- COMMAND [ARGS...]")
    try:
        install()
        os.execvp(argv[0], argv)
    except OSError as exc:
        print(f"aar sandbox: cannot start {argv[0]}: {exc}", file=sys.stderr)
        sys.exit(125)


if __name__ == "__main__":
    _main(sys.argv[1:])
