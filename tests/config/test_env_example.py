"""Every environment variable the code reads is documented in .env.example."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_lists_every_variable_the_settings_read():
    source = (ROOT / "config" / "settings.py").read_text()
    read = set(re.findall(r'env_\w+\(\s*"([A-Z_]+)"', source))
    read |= set(re.findall(r'env_master_keys\("([A-Z_]+)", "([A-Z_]+)"\)', source)[0])
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    assert read - documented == set()
