"""`cpu.cpuid` flag names as NFD reports them, derived from files instead of the CPUID instruction.

x86: NFD lists klauspost/cpuid feature IDs. We map the kernel's /proc/cpuinfo flags to those names and repeat
klauspost's dependency rules (AVX2 needs AVX, FMA3 needs OSXSAVE, ...). docs/gathering.md lists the names
cpuinfo cannot show. Other arches: NFD maps AT_HWCAP/AT_HWCAP2 bits to names; the kernel prints the same bits
by name in cpuinfo (arm, arm64, s390x), and for ppc64le we read the bits from <root>/proc/self/auxv.
"""

from __future__ import annotations

import sys

# cpuinfo flag -> klauspost names it stands for.
_X86_FLAGS = {
    # CPUID 1 EDX/ECX
    "fpu": ("X87",), "cx8": ("CMPXCHG8",), "sep": ("SYSEE",), "cmov": ("CMOV",), "mmx": ("MMX",),
    "fxsr": ("FXSR",), "sse": ("SSE", "FXSROPT"),  # klauspost sets FXSROPT from the SSE bit as well
    "sse2": ("SSE2",), "pni": ("SSE3",), "pclmulqdq": ("CLMUL",), "vmx": ("VMX",), "ssse3": ("SSSE3",),
    "cx16": ("CX16",), "sse4_1": ("SSE4",), "sse4_2": ("SSE42",), "movbe": ("MOVBE",), "popcnt": ("POPCNT",),
    "aes": ("AESNI",), "f16c": ("F16C",), "rdrand": ("RDRAND",), "hypervisor": ("HYPERVISOR",),
    # OSXSAVE is hidden in cpuinfo; Linux sets CR4.OSXSAVE whenever it keeps the xsave flag.
    "xsave": ("XSAVE", "OSXSAVE"), "avx": ("AVX",),
    # CPUID 7.0 EBX/ECX/EDX
    "bmi1": ("BMI1",), "sgx": ("SGX",), "hle": ("HLE",), "erms": ("ERMS",), "rtm": ("RTM",), "mpx": ("MPX",),
    "rdseed": ("RDSEED",), "adx": ("ADX",), "sha_ni": ("SHA",), "waitpkg": ("WAITPKG",), "shstk": ("CETSS",),
    "user_shstk": ("CETSS",), "gfni": ("GFNI",), "vaes": ("VAES",), "vpclmulqdq": ("VPCLMULQDQ",), "tme": ("TME",),
    "cldemote": ("CLDEMOTE",), "movdiri": ("MOVDIRI",), "movdir64b": ("MOVDIR64B",), "enqcmd": ("ENQCMD",),
    "sgx_lc": ("SGXLC",), "fsrm": ("FSRM",), "srbds_ctrl": ("SRBDS_CTRL",), "md_clear": ("MD_CLEAR",),
    "rtm_always_abort": ("RTM_ALWAYS_ABORT",), "serialize": ("SERIALIZE",), "hybrid_cpu": ("HYBRID_CPU",),
    "tsxldtrk": ("TSXLDTRK",), "pconfig": ("PCONFIG",), "ibt": ("CETIBT",), "flush_l1d": ("FLUSH_L1D",),
    "arch_capabilities": ("IA32_ARCH_CAP",), "core_capabilities": ("IA32_CORE_CAP",),
    # Speculation controls: Linux's synthetic flags cover the Intel (7.0 EDX) and AMD (0x80000008) bits alike.
    "ibpb": ("IBPB",), "stibp": ("STIBP",), "ssbd": ("SPEC_CTRL_SSBD",), "amd_stibp_always_on": ("STIBP_ALWAYSON",),
    # CPUID 7.1 and 7.2
    "sm3": ("SM3_X86",), "sm4": ("SM4_X86",), "cmpccxadd": ("CMPCCXADD",), "fzrm": ("MOVSB_ZL",),
    "fsrs": ("STOSB_SHORT",), "fsrc": ("CMPSB_SCADBS_SHORT",), "hreset": ("HRESET",), "avx_ifma": ("AVXIFMA",),
    "lam": ("LAM",), "avx_vnni_int8": ("AVXVNNIINT8",), "avx_ne_convert": ("AVXNECONVERT",),
    "amx_transpose": ("AMXTRANSPOSE",), "amx_tf32": ("AMXTF32",), "amx_complex": ("AMXCOMPLEX",),
    "avx_vnni_int16": ("AVXVNNIINT16",), "prefetchi": ("PREFETCHI",), "avx10": ("AVX10",), "apx": ("APX_F",),
    "psfd": ("PSFD",), "amd_psfd": ("PSFD",), "ipred_ctrl": ("IDPRED_CTRL",), "rrsba_ctrl": ("RRSBA_CTRL",),
    "bhi_ctrl": ("BHI_CTRL",), "mcdt_no": ("MCDT_NO",),
    # CPUID 0xD.1
    "xsaveopt": ("XSAVEOPT",), "xsavec": ("XSAVEC",), "xgetbv1": ("XGETBV1",), "xsaves": ("XSAVES",),
    # CPUID 0x80000001
    "lahf_lm": ("LAHF",), "svm": ("SVM",), "abm": ("LZCNT", "POPCNT"), "sse4a": ("SSE4A",), "ibs": ("IBS",),
    "topoext": ("TOPEXT",), "tbm": ("TBM",), "xop": ("XOP",), "fma4": ("FMA4",), "syscall": ("SYSCALL",),
    "nx": ("NX",), "mmxext": ("MMXEXT",), "fxsr_opt": ("FXSROPT",), "rdtscp": ("RDTSCP",),
    "3dnowext": ("AMD3DNOWEXT",), "3dnow": ("AMD3DNOW",),
    # CPUID 0x80000007 / 0x80000008
    "overflow_recov": ("MCAOVERFLOW",), "succor": ("SUCCOR",), "cpb": ("CPBOOST",), "clzero": ("CLZERO",),
    "irperf": ("MSRIRC",), "invlpgb": ("INVLPGB",), "rdpru": ("RDPRU",), "wbnoinvd": ("WBNOINVD",),
    "amd_ppin": ("PPIN",), "cppc": ("CPPC",),
    # CPUID 0x8000000A (SVM sub-features)
    "npt": ("SVMNP",), "lbrv": ("LBRVIRT",), "svm_lock": ("SVML",), "nrip_save": ("NRIPS",),
    "tsc_scale": ("TSCRATEMSR",), "vmcb_clean": ("VMCBCLEAN",), "flushbyasid": ("SVMFBASID",),
    "decodeassists": ("SVMDA",), "pausefilter": ("SVMPF",), "pfthreshold": ("SVMPFT",),
    # CPUID 0x8000001F / 0x80000021 (klauspost reads these on AMD only)
    "sme": ("SME",), "sev": ("SEV",), "vm_page_flush": ("MSR_PAGEFLUSH",), "sev_es": ("SEV_ES",),
    "sev_snp": ("SEV_SNP",), "sme_coherent": ("SME_COHERENT",), "debug_swap": ("SEV_DEBUGSWAP",),
    "sbpb": ("SBPB",), "ibpb_brtype": ("IBPB_BRTYPE",), "srso_no": ("SRSO_NO",),
    "srso_user_kernel_no": ("SRSO_USER_KERNEL_NO",), "srso_bp_spec_reduce": ("SRSO_MSR_FIX",),
    "verw_clear": ("TSA_VERW_CLEAR",), "tsa_sq_no": ("TSA_SQ_NO",), "tsa_l1_no": ("TSA_L1_NO",),
    "tdx_guest": ("TDX_GUEST",),
    # AVX-512 family (klauspost: only when the OS enabled the ZMM state, see _AVX512_STATE)
    "avx512f": ("AVX512F",), "avx512dq": ("AVX512DQ",), "avx512ifma": ("AVX512IFMA",), "avx512pf": ("AVX512PF",),
    "avx512er": ("AVX512ER",), "avx512cd": ("AVX512CD",), "avx512bw": ("AVX512BW",), "avx512vl": ("AVX512VL",),
    "avx512vbmi": ("AVX512VBMI",), "avx512_vbmi2": ("AVX512VBMI2",), "avx512_vnni": ("AVX512VNNI",),
    "avx512_bitalg": ("AVX512BITALG",), "avx512_vpopcntdq": ("AVX512VPOPCNTDQ",),
    "avx512_vp2intersect": ("AVX512VP2INTERSECT",), "avx512_fp16": ("AVX512FP16",), "avx512_bf16": ("AVX512BF16",),
    "amx_bf16": ("AMXBF16",), "amx_tile": ("AMXTILE",), "amx_int8": ("AMXINT8",), "amx_fp16": ("AMXFP16",),
    "wrmsrns": ("WRMSRNS",), "msrlist": ("MSRLIST",),
    # klauspost reads CPUID.7.0:ECX[3] (the PKU bit) as AMXFP8 inside its AVX-512 block; NFD inherits that.
    "pku": ("AMXFP8",),
    # Features klauspost only sets when another one is there (checked in x86_flags).
    "avx2": ("AVX2",), "fma": ("FMA3",), "bmi2": ("BMI2",), "avx_vnni": ("AVXVNNI",), "ibrs": ("IBRS",),
}

# klauspost's dependency rules: name -> NFD names that must also be present.
_REQUIRES = {
    "AVX2": ("AVX",), "FMA3": ("OSXSAVE",), "BMI2": ("BMI1",), "AVXVNNI": ("AVX",), "XOP": ("AVX",),
    "FMA4": ("AVX",), "XSAVEOPT": ("XSAVE",), "XSAVEC": ("XSAVE",), "XGETBV1": ("XSAVE",), "XSAVES": ("XSAVE",),
    "SVMNP": ("SVM",), "LBRVIRT": ("SVM",), "SVML": ("SVM",), "NRIPS": ("SVM",), "TSCRATEMSR": ("SVM",),
    "VMCBCLEAN": ("SVM",), "SVMFBASID": ("SVM",), "SVMDA": ("SVM",), "SVMPF": ("SVM",), "SVMPFT": ("SVM",),
}

# Set by klauspost only if XCR0 has the AVX-512 state enabled; Linux shows avx512f exactly then.
_AVX512_STATE = frozenset(
    "AVX512F AVX512DQ AVX512IFMA AVX512PF AVX512ER AVX512CD AVX512BW AVX512VL AVX512VBMI AVX512VBMI2 AVX512VNNI "
    "AVX512BITALG AVX512VPOPCNTDQ AVX512VP2INTERSECT AVX512FP16 AVX512BF16 AMXBF16 AMXTILE AMXINT8 AMXFP16 AMXFP8 "
    "WRMSRNS MSRLIST".split()
)

# klauspost reads the 0x8000001F / 0x80000021 leaves only on AMD.
_AMD_ONLY = frozenset(
    "SME SEV MSR_PAGEFLUSH SEV_ES SEV_SNP SME_COHERENT SEV_DEBUGSWAP SBPB IBPB_BRTYPE SRSO_NO SRSO_USER_KERNEL_NO "
    "SRSO_MSR_FIX TSA_VERW_CLEAR TSA_SQ_NO TSA_L1_NO".split()
)

_X64_LEVELS = (
    (4, "CMOV CMPXCHG8 X87 FXSR MMX SSE SSE2 CX16 LAHF POPCNT SSE3 SSE4 SSE42 SSSE3 AVX AVX2 BMI1 BMI2 F16C FMA3 "
        "LZCNT MOVBE OSXSAVE AVX512F AVX512BW AVX512CD AVX512DQ AVX512VL"),
    (3, "CMOV CMPXCHG8 X87 FXSR MMX SSE SSE2 CX16 LAHF POPCNT SSE3 SSE4 SSE42 SSSE3 AVX AVX2 BMI1 BMI2 F16C FMA3 "
        "LZCNT MOVBE OSXSAVE"),
    (2, "CMOV CMPXCHG8 X87 FXSR MMX SSE SSE2 CX16 LAHF POPCNT SSE3 SSE4 SSE42 SSSE3"),
    (1, "CMOV CMPXCHG8 X87 FXSR MMX SSE SSE2"),
)

# cpuinfo vendor_id (CPUID leaf 0 string, trimmed) -> klauspost Vendor name.
X86_VENDORS = {
    "AMDisbetter!": "AMD", "AuthenticAMD": "AMD", "CentaurHauls": "VIA", "GenuineIntel": "Intel",
    "TransmetaCPU": "Transmeta", "GenuineTMx86": "Transmeta", "Geode by NSC": "NSC", "VIA VIA VIA": "VIA",
    "HygonGenuine": "Hygon", "Vortex86 SoC": "SiS", "SiS SiS SiS": "SiS", "RiseRiseRise": "SiS",
    "Genuine  RDC": "RDC",
}


def x64_level(names: set[str]) -> int:
    """klauspost's CPU.X64Level(): 0 without SYSCALL/SYSENTER, else the highest complete level."""
    if not names & {"SYSCALL", "SYSEE"}:
        return 0
    for level, required in _X64_LEVELS:
        if names.issuperset(required.split()):
            return level
    return 0


def x86_flags(flags: frozenset[str], vendor: str, family: int, model: int, threads_per_core: int) -> set[str]:
    """NFD's cpu.cpuid flag names for an x86 CPU described by its cpuinfo flags."""
    names = {name for flag in flags for name in _X86_FLAGS.get(flag, ())}
    if "avx512f" not in flags:
        names -= _AVX512_STATE
    if vendor != "AMD":
        names -= _AMD_ONLY
    if vendor == "Intel":
        names.discard("IBRS")  # Linux derives "ibrs" from Intel's SPEC_CTRL bit, which klauspost calls IBPB
    changed = True
    while changed:
        unmet = {n for n in names if not names.issuperset(_REQUIRES.get(n, ()))}
        changed = bool(unmet)
        names -= unmet
    # HTT: the ht bit plus more than one thread per core (klauspost counts threads via CPUID leaf 0xB).
    if "ht" in flags and vendor in ("Intel", "AMD") and threads_per_core > 1:
        names.add("HTT")
    if "AVX" in names and (
        (vendor == "Intel" and family == 6 and model < 60)
        or (vendor == "AMD" and (family < 23 or (family == 23 and model < 49)))
    ):
        names.add("AVXSLOW")
    # klauspost marks older AMD families as not affected by TSA without a CPUID bit.
    if vendor == "AMD" and (family < 0x19 or (family == 0x1A and (model <= 0x4F or 0x60 <= model <= 0x7F))):
        names.update(("TSA_L1_NO", "TSA_SQ_NO"))
    level = x64_level(names)
    names.update(f"X86_64_V{n}" for n in range(1, level + 1))
    return names


# HWCAP tables: per bit, (name the kernel prints in cpuinfo, name NFD reports).
def _same(words: str) -> tuple[tuple[str, str], ...]:
    return tuple((w, w.upper()) for w in words.split())


_ARM64 = (
    _same("fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm jscvt fcma lrcpc dcpop "
          "sha3 sm3 sm4 asimddp sha512 sve asimdfhm dit uscat ilrcpc flagm ssbs sb paca pacg"),
    _same("dcpodp sve2 sveaes svepmull svebitperm svesha3 svesm4 flagm2 frint svei8mm svef32mm svef64mm svebf16 "
          "i8mm bf16 dgh rng bti mte ecv afp rpres mte3 sme smei16i64 smef64f64 smei8i32 smef16f32 smeb16f32 "
          "smef32f32 smefa64 wfxt ebf16 sveebf16"),
)
_ARM = (
    (("swp", "SWP"), ("half", "HALF"), ("thumb", "THUMB"), ("26bit", "26BIT"), ("fastmult", "FASTMUL"),
     ("fpa", "FPA"), ("vfp", "VFP"), ("edsp", "EDSP"), ("java", "JAVA"), ("iwmmxt", "IWMMXT"),
     ("crunch", "CRUNCH"), ("thumbee", "THUMBEE"), ("neon", "NEON"), ("vfpv3", "VFPv3"),
     ("vfpv3d16", "VFPv3D16"), ("tls", "TLS"), ("vfpv4", "VFPv4"), ("idiva", "IDIVA"), ("idivt", "IDIVT"),
     ("vfpd32", "VFPD32"), ("lpae", "LPAE"), ("evtstrm", "EVTSTRM")),
    _same("aes pmull sha1 sha2 crc32"),
)
_S390X = (
    (("esan3", "ESAN3"), ("zarch", "ZARCH"), ("stfle", "STFLE"), ("msa", "MSA"), ("ldisp", "LDISP"),
     ("eimm", "EIMM"), ("dfp", "DFP"), ("edat", "EDAT"), ("etf3eh", "ETF3EH"), ("highgprs", "HIGHGPRS"),
     ("te", "TE"), ("vx", "VX"), ("vxd", "VXD"), ("vxe", "VXE"), ("gs", "GS"), ("vxe2", "VXE2"), ("vxp", "VXP"),
     ("sort", "SORT"), ("dflt", "DFLT"), ("vxp2", "VXP2"), ("nnpa", "NNPA"), ("pcimio", "PCIMIO"), ("sie", "SIE")),
    (),
)
# ppc64le: cpuinfo does not list hwcaps (no printed name). Listed from bit 31 down, "-" = unused bit.
def _from_bit31(words: str) -> tuple[tuple[str, str], ...]:
    return tuple(("", w) for w in reversed(words.split()))


_PPC64LE = (
    _from_bit31("PPC32 PPC64 PPC601 ALTIVEC FPU MMU 4xxMAC UCACHE SPE EFPFLOAT EFPDOUBLE NOTB POWER4 POWER5 POWER5+ "
                "CELLBE BOOKE SMT IC_SNOOP ARCH_2_05 PA6T DFP POWER6X ARCH_2_06 VSX ARCHPMU - - - - TRUE_LE PPCLE"),
    _from_bit31("ARCH_2_07 HTM DSCR EBB ISEL TAR VCRYPTO HTM-NOSC ARCH_3_00 IEEE128 DARN SCV HTM-NO-SUSPEND ARCH_3_1 "
                "MMA" + " -" * 17),
)
HWCAP_TABLES = {"arm64": _ARM64, "arm": _ARM, "s390x": _S390X, "ppc64le": _PPC64LE}

_AT_HWCAP, _AT_HWCAP2 = 16, 26


def hwcap_flags_from_cpuinfo(arch: str, words: frozenset[str]) -> set[str]:
    table = HWCAP_TABLES.get(arch, ((), ()))
    return {nfd for part in table for printed, nfd in part if printed and printed in words}


def hwcap_flags_from_auxv(arch: str, auxv: bytes) -> set[str]:
    """Names of the AT_HWCAP/AT_HWCAP2 bits in an auxiliary vector of this (64-bit, native-endian) kernel."""
    values = {}
    for offset in range(0, len(auxv) - 15, 16):
        tag = int.from_bytes(auxv[offset:offset + 8], sys.byteorder)
        values[tag] = int.from_bytes(auxv[offset + 8:offset + 16], sys.byteorder)
    names = set()
    hwcap, hwcap2 = HWCAP_TABLES.get(arch, ((), ()))
    for part, tag in ((hwcap, _AT_HWCAP), (hwcap2, _AT_HWCAP2)):
        bits = values.get(tag, 0)
        names.update(nfd for bit, (_, nfd) in enumerate(part) if nfd != "-" and bits >> bit & 1)
    return names
