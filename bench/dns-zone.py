#!/usr/bin/python3
"""The benchmarks' DNS: the test suite's zone server (tests/integration/dns_zone.py)
as a process of its own.

    bench/dns-zone.py ZONE   # ZONE: one record per line, "NAME TYPE VALUE..."

Prints its port on the first line of stdout, then serves 127.0.0.1 (UDP and
TCP) until it is killed. TXT values are taken as written (long ones are cut
into 255-byte strings); `#` starts a comment line.
"""

import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration"))
from dns_zone import DnsZone  # noqa: E402

zone = DnsZone(ttl=3600)
for line in Path(sys.argv[1]).read_text().splitlines():
    if line.strip() and not line.lstrip().startswith("#"):
        name, rtype, value = line.split(None, 2)
        zone.add(name, rtype, value)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print(zone.port, flush=True)
while True:
    time.sleep(3600)
