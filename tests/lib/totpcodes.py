"""TOTP codes (RFC 6238: HMAC-SHA-1 over RFC 4226, six digits, 30-second steps) computed here from a
base32 secret, independently of the server's liboath; each step handed out once, as the server takes
each step only once."""
import base64
import hashlib
import hmac
import struct
import time


def totp(secret, step):
    """The six-digit code of a time step."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    o = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


class Codes:
    """The codes of one secret, each step used once: the server takes a step only when it is newer
    than the last it took, and accepts the steps before and after its own."""

    def __init__(self, secret):
        self.secret, self.last = secret, None

    def next(self):
        while True:
            t = time.time()
            if t % 30 > 27:  # near a step's end: the server might already be in the next one
                time.sleep(30 - t % 30 + 0.2)
                continue
            now = int(t) // 30
            step = now - 1 if self.last is None else max(now - 1, self.last + 1)
            if step <= now + 1:
                self.last = step
                return totp(self.secret, step)
            time.sleep(30 - t % 30 + 0.2)  # three steps used: wait for the next one

    def wrong(self):
        """A well-formed code of a step far from now."""
        return totp(self.secret, int(time.time()) // 30 + 40)
