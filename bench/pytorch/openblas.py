"""OpenBLAS's kernels for this CPU, chosen before torch loads it.

OpenBLAS picks its kernels at load time from the CPU's model number. Debian's
0.3.21 does not know recent Xeons (family 6 model 207, seen here) and falls
back to its Prescott kernels, SSE3 only: PyTorch's matrix products then run
at about a third of their speed (64×784 by 784×256 on two cores: 70 against
217 GFLOP/s). Comparing with PyTorch at its best means giving it the kernels
the CPU can run, so a script calls use_best_core() before importing torch:
when OpenBLAS took the CPU for one without AVX2 although it has AVX2 (or
AVX-512), the process runs itself again with OPENBLAS_CORETYPE set to Haswell
(or SkylakeX). A core that OpenBLAS recognised, or a type the user set, is
left alone.
"""
import ctypes
import ctypes.util
import os
import sys

# OpenBLAS's x86-64 targets that use AVX2 and FMA; the older ones are the
# generic fallbacks of an unrecognised CPU.
_AVX2_CORES = {"haswell", "skylakex", "cooperlake", "sapphirerapids", "zen", "excavator", "steamroller"}
_AVX512 = {"avx512f", "avx512bw", "avx512dq", "avx512vl"}
_checked = False


def _library():
    """The OpenBLAS of this process: the one loaded (by torch), else the one
    torch will link (Debian's libblas.so.3 alternative); None if neither is
    an OpenBLAS."""
    with open("/proc/self/maps") as f:
        loaded = sorted({line.split()[-1] for line in f if "openblas" in line})
    for name in loaded + ["libblas.so.3", ctypes.util.find_library("openblas")]:
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_num_threads  # an OpenBLAS, not another BLAS
            return lib
        except (OSError, AttributeError):
            continue
    return None


def core_name():
    """The kernels the OpenBLAS of this process runs ("" when there is none)."""
    lib = _library()
    return lib.openblas_get_corename().decode() if lib else ""


def threads():
    """The thread count of the OpenBLAS of this process, 0 if there is none."""
    lib = _library()
    return lib.openblas_get_num_threads() if lib else 0


def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def best_core(detected, flags):
    """The core type to force, or None to keep what OpenBLAS detected."""
    if not detected or detected.lower() in _AVX2_CORES or not {"avx2", "fma"} <= flags:
        return None
    return "SkylakeX" if _AVX512 <= flags else "Haswell"


def use_best_core():
    """Re-executes this process with better OpenBLAS kernels when OpenBLAS
    fell back to generic ones on a CPU that can run better; call it before
    importing torch. The scripts that import each other call it once each;
    the check runs once per process."""
    global _checked
    if _checked or "OPENBLAS_CORETYPE" in os.environ:
        return
    _checked = True
    core = best_core(core_name(), _cpu_flags())
    if core is None:
        return
    os.environ["OPENBLAS_CORETYPE"] = core
    os.execv(sys.executable, [sys.executable] + sys.argv)
