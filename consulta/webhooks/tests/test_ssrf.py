"""The SSRF guard (consulta/core/outbound.py): nothing goes to loopback or private addresses unless
WEBHOOK_ALLOWED_NETWORKS allows it, checked when the URL is saved and again at each delivery."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

import pytest

from consulta.core import outbound
from consulta.testing import World
from consulta.webhooks import delivery
from consulta.webhooks.forms import EndpointForm
from consulta.webhooks.tests.helpers import cursor_at_now, endpoint, messages, patient_enters, receiver_settings
from consulta.webhooks.tests.receiver import Receiver, running_receiver

LOOPBACK_ONLY = outbound.networks(["127.0.0.1/32"])


@pytest.fixture(autouse=True)
def _settings(settings: Any, db: None) -> None:
    receiver_settings(settings)
    cursor_at_now()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "a loopback address"),
        ("10.0.0.5", "a private address"),
        ("192.168.1.1", "a private address"),
        ("172.16.0.1", "a private address"),
        ("169.254.169.254", "a link-local address"),  # a cloud's metadata service
        ("100.64.0.1", "a shared (carrier-grade NAT) address"),
        ("0.0.0.0", "an unspecified address"),  # noqa: S104 - an address to refuse, not to bind
        ("224.0.0.1", "a multicast address"),
        ("240.0.0.1", "a reserved address"),
        ("::1", "a loopback address"),
        ("fe80::1", "a link-local address"),
        ("fd00::1", "a private address"),
        ("::ffff:127.0.0.1", "a loopback address"),  # IPv4-mapped
        ("::ffff:10.0.0.1", "a private address"),
    ],
)
def test_addresses_refused(address: str, reason: str) -> None:
    assert outbound.refusal(ipaddress.ip_address(address)) == reason


def test_public_addresses_pass_and_an_allowed_network_lets_its_addresses_through() -> None:
    assert outbound.refusal(ipaddress.ip_address("93.184.216.34")) is None
    assert outbound.refusal(ipaddress.ip_address("2606:2800:220:1::1")) is None
    assert outbound.refusal(ipaddress.ip_address("127.0.0.1"), LOOPBACK_ONLY) is None
    assert outbound.refusal(ipaddress.ip_address("::ffff:127.0.0.1"), LOOPBACK_ONLY) is None
    assert outbound.refusal(ipaddress.ip_address("127.0.0.2"), LOOPBACK_ONLY) == "a loopback address"


def test_a_host_name_is_refused_if_any_of_its_addresses_is() -> None:
    with pytest.raises(outbound.Refused, match="is a loopback address"):
        outbound.resolve("localhost", 443)
    assert outbound.resolve("127.0.0.1", 443, LOOPBACK_ONLY) == "127.0.0.1"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.org/", "must start with https://"),
        ("ftp://hooks.example.org/", "must start with https://"),
        ("https://user:pass@hooks.example.org/", "Leave the user name and password out"),
        ("https://10.0.0.1/hook", "We do not post to 10.0.0.1: it is a private address."),
        ("https://[::1]/hook", "We do not post to ::1: it is a loopback address."),
        ("https:///nohost", "Enter a valid URL."),
        ("https://hooks.example.org:99999/", "Enter a valid URL."),
    ],
)
def test_bad_urls_are_refused_when_saved(url: str, message: str) -> None:
    with pytest.raises(outbound.BadURL, match=message.replace("(", r"\(").replace(".", r"\.")):
        outbound.check_url(url, allow_http=False)


def test_http_is_refused_at_save_unless_the_setting_allows_it(world: World, settings: Any) -> None:
    data = {"url": "http://hooks.example.org/", "event_types": ["consultation.entered"], "scope": "all"}
    settings.WEBHOOK_ALLOW_HTTP = False
    form = EndpointForm(data, organisation=world.organisation)
    assert not form.is_valid()
    assert form.errors["url"] == ["The URL must start with https://."]
    settings.WEBHOOK_ALLOW_HTTP = True
    assert EndpointForm(data, organisation=world.organisation).is_valid()


def _deliver_to(world: World, url: str, receiver: Receiver) -> str:
    hook = endpoint(world.organisation, url)
    receiver.secret = hook.secret
    patient_enters(world.clinic_a)
    delivery.drain()
    delivery.deliver_due()
    [message] = messages(hook)
    assert message.status == "pending"
    return message.last_error


def test_the_receiver_on_loopback_is_refused_without_the_setting(
    world: World, receiver: Receiver, settings: Any
) -> None:
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    assert _deliver_to(world, receiver.url, receiver) == "refused: 127.0.0.1 is a loopback address"
    assert receiver.deliveries == []  # nothing reached it

    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # as the tests set it
    delivery.WebhookMessage.objects.update(next_attempt_at=delivery.timezone.now())
    assert delivery.deliver_due() == 1
    assert len(receiver.accepted()) == 1


def test_localhost_is_refused_by_its_addresses(world: World, receiver: Receiver, settings: Any) -> None:
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    url = receiver.url.replace("127.0.0.1", "localhost")
    assert _deliver_to(world, url, receiver).endswith("is a loopback address")
    assert receiver.deliveries == []


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://10.0.0.1/hook", "refused: 10.0.0.1 is a private address"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "refused: 169.254.169.254 is a link-local address",
        ),
        ("http://[::1]:8080/hook", "refused: ::1 is a loopback address"),
    ],
)
def test_private_urls_stored_anyway_are_refused_at_delivery(
    world: World, receiver: Receiver, url: str, error: str
) -> None:
    """A URL saved before a setting changed (or written past the form): the delivery checks again."""
    assert _deliver_to(world, url, receiver) == error
