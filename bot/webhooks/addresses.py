"""Where a webhook may go: HTTPS to a public address. The host is resolved and every address
it gives must be public (not loopback, private, link-local, reserved or multicast), when the
endpoint is added and again at each delivery (DNS can change: rebinding)."""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp.abc import ResolveResult
from aiohttp.resolver import ThreadedResolver

from bot.errors import UserError
from bot.i18n import _

MAX_URL = 500
#: characters RFC 3986 never allows unencoded (and chat markup uses)
_UNSAFE = frozenset('<>"`{}|\\^')
#: host, port -> the addresses it resolves to
Resolver = Callable[[str, int], Awaitable[list[str]]]


class AddressRefused(UserError):
    """The URL is not one Cocreate sends events to; the message says why."""


async def resolve(host: str, port: int) -> list[str]:
    """The host's addresses, by the event loop's getaddrinfo."""
    try:
        return await _addresses_of(host, port)
    except (OSError, UnicodeError) as err:
        raise _not_found(host, err) from None


async def _addresses_of(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def _not_found(host: str, error: object) -> AddressRefused:
    # TRANSLATORS: {error} is the system's own message, in English.
    return AddressRefused(_("The host `{host}` can't be found ({error}).", host=host, error=error))


@dataclass(frozen=True)
class Looked:
    """A host's addresses, looked up before a command's transaction began (so that no
    database lock waits on DNS); `check` takes its `resolver`, which answers with them, and
    tells a failed or timed-out lookup only then, in the member's language."""

    host: str
    port: int
    addresses: tuple[str, ...] = ()
    #: the system's message when the host was not found
    error: str = ""
    timed_out: bool = False

    async def resolver(self, host: str, port: int) -> list[str]:
        if (host, port) != (self.host, self.port):
            return await resolve(host, port)  # not what was looked up
        if self.timed_out:
            raise TimeoutError
        if self.error:
            raise _not_found(host, self.error)
        return list(self.addresses)


async def look_up(url: str, *, allow_private: bool, timeout_s: float) -> Looked | None:
    """The addresses of the URL's host, looked up for `check`; None when it will need none
    (a URL it refuses as written, an IP address, or any address allowed)."""
    try:
        _, host, port = parse(url, allow_private=allow_private)
    except AddressRefused:
        return None
    if allow_private or literal(host):
        return None
    try:
        found = await asyncio.wait_for(_addresses_of(host, port), timeout_s)
    except TimeoutError:
        return Looked(host, port, timed_out=True)
    except (OSError, UnicodeError) as err:
        return Looked(host, port, error=str(err))
    return Looked(host, port, tuple(found))


def public(address: str) -> bool:
    """Whether Cocreate may send to this IP address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def parse(url: str, *, allow_private: bool) -> tuple[str, str, int]:
    """(url, host, port) of a URL fit to register, or AddressRefused saying what is wrong.
    Only printable ASCII is taken (an internationalised host goes in its xn-- form)."""
    text = url.strip()
    if text.startswith("<") and text.endswith(">"):  # Slack's link markup: <url> or <url|label>
        text = text[1:-1].split("|", 1)[0]
    if not text:
        raise AddressRefused(_("Give the endpoint's URL: `/mod webhook add https://…`."))
    if len(text) > MAX_URL:
        raise AddressRefused(_("That URL is too long: at most {most} characters.", most=MAX_URL))
    if not text.isascii() or not text.isprintable() or any(c.isspace() for c in text):
        raise AddressRefused(
            _(
                "That URL has spaces or characters outside plain ASCII; write an "
                "internationalised host in its `xn--` form."
            )
        )
    if any(c in _UNSAFE for c in text):
        raise AddressRefused(
            _(
                "That URL has characters a URL can't hold as they are (such as `<`, `>` or "
                "quotes); percent-encode them."
            )
        )
    try:
        parts = urlsplit(text)
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise AddressRefused(_("That isn't a valid URL.")) from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme.lower() not in schemes:
        raise AddressRefused(_("Webhooks go to `https://` URLs only."))
    if not host:
        raise AddressRefused(_("That URL has no host."))
    if parts.username or parts.password:
        raise AddressRefused(_("Put no user name or password in the URL: events are signed."))
    if parts.fragment:
        raise AddressRefused(_("A webhook URL can't have a `#fragment`."))
    default = 443 if parts.scheme.lower() == "https" else 80
    return text, host, port or default


async def check(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> str:
    """The URL, once its host resolves to public addresses only (any address when
    `allow_private`); AddressRefused otherwise."""
    text, host, port = parse(url, allow_private=allow_private)
    if allow_private:
        return text
    ip = literal(host)
    addresses = [ip] if ip else await resolver(host, port)
    if not addresses:
        raise AddressRefused(_("The host `{host}` has no address.", host=host))
    private = [a for a in addresses if not public(a)]
    if private and ip:
        raise AddressRefused(
            _(
                "`{host}` is a loopback, private or link-local address: Cocreate only sends "
                "events to public addresses.",
                host=host,
            )
        )
    if private:
        raise AddressRefused(
            _(
                "`{host}` points to {address}, a loopback, private or link-local address: "
                "Cocreate only sends events to public addresses.",
                host=host,
                address=private[0],
            )
        )
    return text


def literal(host: str) -> str | None:
    """The host as an IP address, when it is one."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


class NotPublic(OSError):
    """A host resolved, at the moment of a delivery, to an address that is not public."""


class PublicResolver(ThreadedResolver):
    """aiohttp's resolver, refusing a host that resolves to an address that is not public at
    the moment of the connection (DNS rebinding)."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await super().resolve(host, port, family)
        refused = [r["host"] for r in found if not public(r["host"])]
        if refused:
            raise NotPublic(
                errno.EACCES, f"{host} now points to {refused[0]}, not a public address"
            )
        return found
