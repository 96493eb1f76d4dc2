"""A campaign's message: inlined HTML and a text part, a footer with the recipient's
unsubscribe link and the list's name, the RFC 8058 headers, List-Id and Message-ID, no header
injection, DKIM over both unsubscribe headers, and the fast path equal to plain rendering."""

from __future__ import annotations

import base64
import email
import email.message
import email.policy
import re

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.mail import EmailMultiAlternatives, mailers

from cll.core.mail import dkim_sign
from cll.newsletter.message import (
    campaign_message_build,
    campaign_message_prepare,
    campaign_message_render,
)
from cll.newsletter.models import Campaign, CampaignVersion, Delivery, MailingList, Subscriber
from cll.newsletter.unsubscribe import unsubscribe_key_new

pytestmark = pytest.mark.django_db

SITE = "https://www.cll.be"
SELECTOR = "news2026"
DOMAIN = "cll.be"
BODY = (
    "## Nouveaux cours\n\n"
    "Bonjour, voici nos [sessions](/fr/courses/) et le [blog](https://www.cll.be/fr/blog/).\n\n"
    "- anglais\n- néerlandais\n\n"
    '<script>alert(1)</script><img src="https://tracker.example/p.gif">'
    '<p style="background:url(https://tracker.example/x)">styled</p>\n'
)


@pytest.fixture
def news():
    return MailingList.objects.create(
        slug="news",
        name_fr="Actualités",
        name_en="News",
        name_nl="Nieuws",
        description_fr="d",
        description_en="d",
        description_nl="d",
    )


@pytest.fixture
def version():
    campaign = Campaign.objects.create(title="Rentrée")
    return CampaignVersion.objects.create(
        campaign=campaign, language="fr", subject="La rentrée au CLL", body=BODY
    )


def _subscriber(email_address: str = "reader@example.org") -> Subscriber:
    return Subscriber.objects.create(
        email=email_address, language="fr", unsubscribe_key=unsubscribe_key_new()
    )


@pytest.fixture
def reader():
    return _subscriber()


def _build(recipient, version, news):
    return campaign_message_build(
        delivery_or_subscriber=recipient, campaign_version=version, mailing_list=news, site_url=SITE
    )


def _one_click_url(subscriber: Subscriber) -> str:
    return f"{SITE}/fr/newsletter/unsubscribe/{subscriber.unsubscribe_key}/news/one-click/"


def _page_url(subscriber: Subscriber) -> str:
    return f"{SITE}/fr/newsletter/unsubscribe/{subscriber.unsubscribe_key}/?list=news"


def test_it_carries_both_unsubscribe_headers(reader, version, news, settings):
    settings.NEWSLETTER_UNSUBSCRIBE_MAILTO = "unsubscribe@cll.be"
    message = _build(reader, version, news).message()
    assert message["List-Unsubscribe"] == (
        f"<{_one_click_url(reader)}>, "
        f"<mailto:unsubscribe@cll.be?subject=unsubscribe-{reader.unsubscribe_key}>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == '"Actualités" <news.newsletter.cll.be>'
    assert message["To"] == "reader@example.org"
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    assert message["Subject"] == "La rentrée au CLL"
    assert message["Content-Language"] == "fr"


def test_it_leaves_the_mailto_out_when_none_is_set(reader, version, news, settings):
    settings.NEWSLETTER_UNSUBSCRIBE_MAILTO = ""
    message = _build(reader, version, news).message()
    assert message["List-Unsubscribe"] == f"<{_one_click_url(reader)}>"


def test_it_puts_the_personal_link_and_the_list_in_the_footer(reader, version, news):
    message = _build(reader, version, news)
    html, text = message.html, message.text
    assert f'href="{_page_url(reader)}"' in html.replace("&amp;", "&")
    assert _page_url(reader) in text
    assert "Actualités" in html and "Actualités" in text
    assert "CLL Centres de Langues" in html and "CLL Centres de Langues" in text


def test_it_gives_each_recipient_their_own_link(reader, version, news):
    other = _subscriber("other@example.org")
    mine, theirs = _build(reader, version, news), _build(other, version, news)
    assert reader.unsubscribe_key in mine.html and other.unsubscribe_key not in mine.html
    assert other.unsubscribe_key in theirs.html and reader.unsubscribe_key not in theirs.text
    assert theirs.to == ["other@example.org"]


def test_it_renders_the_markdown_with_inline_styles_and_nothing_remote(reader, version, news):
    html = _build(reader, version, news).html
    assert '<h2 style="' in html and '<li style="' in html
    assert f'href="{SITE}/fr/courses/"' in html
    assert "<script" not in html and "<img" not in html and "<link" not in html
    assert "<style" not in html and "tracker.example" not in html
    # Every style attribute is ours: none of the text's survived.
    assert "background:url" not in html
    assert not re.search(r"""(?:src|href)=["']//""", html)


def test_it_writes_a_text_part_with_spelt_out_links(reader, version, news):
    text = _build(reader, version, news).text
    assert f"sessions ({SITE}/fr/courses/)" in text
    assert "blog (https://www.cll.be/fr/blog/)" in text
    assert "<h2" not in text


def test_it_renders_the_same_fast_as_straight(version, news):
    prepared = campaign_message_prepare(campaign_version=version, mailing_list=news, site_url=SITE)
    for subscriber in (_subscriber("a@example.org"), _subscriber("b@example.org")):
        html, text = campaign_message_render(
            subscriber=subscriber, campaign_version=version, mailing_list=news, site_url=SITE
        )
        message = prepared.build(subscriber=subscriber)
        assert message.html == html
        assert message.text == text


def test_it_renders_a_version_once_for_every_recipient(version, news, django_assert_num_queries):
    campaign_message_build(
        delivery_or_subscriber=_subscriber("a@example.org"),
        campaign_version=version,
        mailing_list=news,
        site_url=SITE,
    )
    subscribers = [_subscriber(f"r{n}@example.org") for n in range(3)]
    # Cached: no query (the campaign's public id was read once) and no template rendering.
    with django_assert_num_queries(0):
        for subscriber in subscribers:
            _build(subscriber, version, news)


def test_it_renders_an_edited_version_afresh(reader, version, news):
    assert "Nouveaux cours" in _build(reader, version, news).html
    version.body = "## Changé"
    version.save()
    html = _build(reader, version, news).html
    assert "Changé" in html and "Nouveaux cours" not in html


def test_it_gives_a_delivery_a_stable_message_id(reader, version, news):
    delivery = Delivery.objects.create(campaign=version.campaign, subscriber=reader)
    first = _build(delivery, version, news).message()["Message-ID"]
    again = _build(delivery, version, news).message()["Message-ID"]
    assert first == again == f"<newsletter.{version.campaign_id}.{delivery.pk}@cll.be>"
    assert _build(reader, version, news).message()["Message-ID"].endswith("@cll.be>")
    assert _build(delivery, version, news).to == ["reader@example.org"]


def test_it_keeps_a_line_break_in_the_subject_or_list_name_out_of_the_headers(reader, news):
    campaign = Campaign.objects.create(title="x")
    version = CampaignVersion.objects.create(
        campaign=campaign, language="fr", subject="Promo\r\nBcc: victim@example.org", body="x"
    )
    news.name_fr = 'Actu\nBcc: victim@example.org\r\nX-Evil: "1"'
    news.save()
    message = _build(reader, version, news)
    for raw in (
        message.message().as_bytes(),
        message.message(policy=email.policy.SMTP).as_bytes(),
    ):
        headers = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
        assert not re.search(rb"^(Bcc|X-Evil):", headers, re.MULTILINE | re.IGNORECASE)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert parsed["Subject"] == "Promo Bcc: victim@example.org"
        assert parsed["Bcc"] is None and parsed["X-Evil"] is None


def test_it_refuses_an_address_with_a_line_break(version, news):
    subscriber = Subscriber(
        email="a@example.org\r\nBcc: victim@example.org",
        language="fr",
        unsubscribe_key=unsubscribe_key_new(),
    )
    with pytest.raises(ValueError):
        _build(subscriber, version, news)


# -- DKIM ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _dns(key):
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    def lookup(name, timeout=5):
        return record if name == f"{SELECTOR}._domainkey.{DOMAIN}.".encode() else None

    return lookup


def _signed_headers(content: bytes) -> set[str]:
    signature = email.message_from_bytes(content)["DKIM-Signature"]
    tags = dict(
        part.strip().split("=", 1) for part in "".join(signature.split()).split(";") if part
    )
    return {name.lower() for name in tags["h"].split(":")}


def test_it_is_dkim_signed_over_both_unsubscribe_headers(
    reader, version, news, key, settings, smtp_server, tmp_path
):
    settings.NEWSLETTER_UNSUBSCRIBE_MAILTO = "unsubscribe@cll.be"
    key_file = tmp_path / "dkim.pem"
    key_file.write_bytes(_pem(key))
    settings.MAILERS = {
        "default": {
            "BACKEND": "cll.core.mail.DkimEmailBackend",
            "OPTIONS": {
                **settings.MAILERS["default"]["OPTIONS"],
                "dkim_domain": DOMAIN,
                "dkim_selector": SELECTOR,
                "dkim_key_file": str(key_file),
            },
        }
    }
    connection = mailers.default
    assert connection.send_messages([_build(reader, version, news)]) == 1
    (received,) = smtp_server.wait_for(1)
    content = received.content
    assert dkim.verify(content, dnsfunc=_dns(key))
    assert {"list-unsubscribe", "list-unsubscribe-post"} <= _signed_headers(content)
    # A relay that rewrites the one-click target breaks the signature.
    forged = content.replace(reader.unsubscribe_key.encode(), b"forged-key", 1)
    assert forged != content and not dkim.verify(forged, dnsfunc=_dns(key))


def test_it_signs_the_serialised_message_as_the_backend_does(reader, version, news, key):
    data = _build(reader, version, news).message(policy=email.policy.SMTP).as_bytes()
    signed = dkim_sign(data, domain=DOMAIN, selector=SELECTOR, private_key=_pem(key))
    assert dkim.verify(signed, dnsfunc=_dns(key))
    assert {"list-unsubscribe", "list-unsubscribe-post"} <= _signed_headers(signed)


# -- The SMTP serialisation ---------------------------------------------------------------------


def _parsed(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def _parts(message) -> list[tuple[str, str]]:
    # Line breaks are CRLF on the wire whatever the part's encoding: compare the lines.
    return [
        (part.get_content_type(), part.get_content().replace("\r\n", "\n"))
        for part in message.walk()
        if not part.is_multipart()
    ]


@pytest.mark.parametrize(
    "key", ["preview", "Zq3-x_9LmN2pR7sT4vW8yB1cD5fG6hJ0kA2eI4oU8rY", "k" * 75]
)
def test_it_serialises_for_smtp_what_django_would(reader, news, settings, key):
    settings.NEWSLETTER_UNSUBSCRIBE_MAILTO = "unsubscribe@cll.be"
    campaign = Campaign.objects.create(title="x")
    long_line = "é" * 120 + " fin  "
    version = CampaignVersion.objects.create(
        campaign=campaign,
        language="fr",
        subject="Nouvelles de la rentrée — un sujet assez long pour être replié en deux lignes",
        body=f"{BODY}\n{long_line}\n\n[lien](/fr/x/)",
    )
    reader.unsubscribe_key = key
    message = _build(reader, version, news)
    fast = message.message(policy=email.policy.SMTP)
    assert not isinstance(fast, email.message.Message)  # the pre-encoded path answered
    fast_bytes = fast.as_bytes()
    django_bytes = EmailMultiAlternatives.message(message, policy=email.policy.SMTP).as_bytes()
    ours, theirs = _parsed(fast_bytes), _parsed(django_bytes)
    for name in (
        "Subject",
        "From",
        "To",
        "Message-ID",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "List-Id",
        "Content-Language",
        "MIME-Version",
    ):
        # (Django may fold a long header right after its name: a leading space, no meaning.)
        assert ours[name].strip() == theirs[name].strip(), name
    assert ours.get_content_type() == "multipart/alternative" and ours["Date"]
    assert (
        _parts(ours)
        == _parts(theirs)
        == [
            ("text/plain", message.text),
            ("text/html", message.html),
        ]
    )
    assert not ours.defects and all(not part.defects for part in ours.walk())
    lines = fast_bytes.split(b"\r\n")
    assert max(map(len, lines)) <= 998
    body_lines = fast_bytes.split(b"\r\n\r\n", 1)[1].split(b"\r\n")
    assert max(map(len, body_lines)) <= 76


def test_it_serialises_an_edited_message_the_ordinary_way(reader, version, news):
    message = _build(reader, version, news)
    message.subject = "[Test] " + message.subject
    serialised = message.message(policy=email.policy.SMTP)
    assert isinstance(serialised, email.message.Message)
    assert _parsed(serialised.as_bytes())["Subject"] == "[Test] La rentrée au CLL"


@pytest.mark.parametrize(
    ("language", "why"),
    [
        ("fr", "Vous recevez ce message parce que vous êtes inscrit à la liste"),
        ("en", "You receive this message because you subscribed to the list"),
        ("nl", "U ontvangt dit bericht omdat u zich hebt ingeschreven op de lijst"),
    ],
)
def test_it_writes_the_footer_in_the_version_language(reader, news, language, why):
    campaign = Campaign.objects.create(title="x")
    version = CampaignVersion.objects.create(
        campaign=campaign, language=language, subject="s", body="b"
    )
    message = _build(reader, version, news)
    assert why in message.text and why in message.html
    assert f"/{language}/newsletter/unsubscribe/{reader.unsubscribe_key}/" in message.text
