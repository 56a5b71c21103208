# Describes this interpreter to the packer, as one line of JSON on stdout.
import importlib.machinery
import importlib.util
import json
import platform
import sys
import sysconfig

soabi = sysconfig.get_config_var("SOABI") or ""
multiarch = sysconfig.get_config_var("MULTIARCH")
if not multiarch:
    # Builds without MULTIARCH (macOS, some others): the platform part of SOABI,
    # e.g. "cpython-311-x86_64-linux-gnu" -> "x86_64-linux-gnu".
    parts = soabi.split("-", 2)
    multiarch = parts[2] if len(parts) == 3 else f"{platform.machine()}-{sys.platform}"

print(
    json.dumps(
        {
            "implementation": sys.implementation.name,
            "version": list(sys.version_info[:3]),
            "magic": importlib.util.MAGIC_NUMBER.hex(),
            "cache_tag": sys.implementation.cache_tag,
            "extension_suffixes": importlib.machinery.EXTENSION_SUFFIXES,
            "platform": multiarch,
            "executable": sys.executable,
            "stdlib": sysconfig.get_paths()["stdlib"],
            "platstdlib": sysconfig.get_paths()["platstdlib"],
        }
    )
)
