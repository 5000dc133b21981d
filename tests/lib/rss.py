"""A process's resident memory (VmRSS) and its peak while a block runs, sampled every 20 ms
from a thread; for the documents test and benchmark, which check that foliod's memory does
not grow with a file's size."""
import threading
import time


def rss_kib(pid):
    """VmRSS of pid in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


class Peak:
    """with Peak(pid) as p: ...  then p.base and p.peak (KiB) and p.growth_mib."""

    def __init__(self, pid):
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def __enter__(self):
        self.base = rss_kib(self.pid)
        self.t = threading.Thread(target=self.run)
        self.t.start()
        return self

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.02)

    def __exit__(self, *a):
        self.stop.set()
        self.t.join()
        self.peak = max(self.peak, rss_kib(self.pid))

    @property
    def growth_mib(self):
        return (self.peak - self.base) / 1024
