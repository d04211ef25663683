"""SSRF guard for target and webhook URLs, checked before any connection is made.

Only http and https. The host is resolved and every address it resolves to must be public:
loopback and private ranges are refused unless `allow_private` (tests and on-premises origins);
link-local addresses (169.254.0.0/16 holds the cloud metadata service) and metadata host names
are refused always. This check runs before anything is sent; app.export.pinned applies the
same rules to the address each connection actually dials (DNS rebinding).
"""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

ALLOWED_SCHEMES = ("https", "http")
METADATA_HOSTS = {"metadata", "metadata.google.internal", "metadata.goog", "instance-data",
                  "instance-data.ec2.internal"}
METADATA_IPS = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                ipaddress.ip_address("100.100.100.200")}


class UrlRefused(ValueError):
    """The URL may not be used as an export target; the message says why."""


def _classify(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is off limits regardless of config, or 'private', or None when public."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA_IPS:
        return "a cloud metadata address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast or ip.is_unspecified:
        return "not a unicast address"
    if ip.is_loopback or ip.is_private:
        return "private"
    if ip.is_reserved:
        return "a reserved address"
    return None


def classify_address(addr: str, allow_private: bool) -> str | None:
    """Why the connection may not go to `addr`, or None when it may."""
    why = _classify(ipaddress.ip_address(addr.split("%", 1)[0]))
    if why == "private":
        return None if allow_private else "a loopback or private address"
    return why


def checked_addresses(host: str, port: int, allow_private: bool, when: str = "") -> list[str]:
    """The addresses `host` stands for (an address literal, or resolved once, in the resolver's
    order), every one allowed by the rules above; else UrlRefused, its message ending in `when`."""
    try:
        addresses = [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise UrlRefused(f"host {host!r} does not resolve: {exc.strerror}") from None
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for addr in addresses:
        why = classify_address(addr, allow_private)
        if why is not None:
            raise UrlRefused(f"host {host!r} resolves to {addr}, {why}; refused{when}")
    return addresses


def check_url(url: str, *, allow_private: bool = False) -> list[str]:
    """Refuse an unsafe URL (UrlRefused) or return the addresses its host resolves to."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(f"not a valid URL: {exc}") from None
    if parts.scheme not in ALLOWED_SCHEMES:
        raise UrlRefused(f"scheme {parts.scheme or '(none)'!r} is not allowed; use https or http")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UrlRefused("the URL has no host")
    if parts.username or parts.password:
        raise UrlRefused("credentials in the URL are not allowed; reference them from the environment")
    if host in METADATA_HOSTS:
        raise UrlRefused(f"host {host!r} is a cloud metadata service")
    return checked_addresses(host, port or (443 if parts.scheme == "https" else 80), allow_private)
