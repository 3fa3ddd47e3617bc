"""Email over SMTP (aiosmtplib): one message per delivery, plain UTF-8 text.

The Message-ID is derived from the delivery id, so a message sent again after a crash carries
the same id and mail clients and the dev sink can tell it is the same notification."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, parseaddr

import aiosmtplib

from ..domain.dispatch import SendFailed
from ..settings import ChannelSettings


def message_id(delivery_id: uuid.UUID, mail_from: str) -> str:
    """`<delivery id@sender's domain>`."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "ocop.local"
    return f"<{delivery_id}@{domain}>"


POLICY = SMTP.clone(max_line_length=998)
"""SMTP line endings; long lines allowed, because folding a long encoded Vietnamese subject
at 78 columns loses the space after a colon (Python's email package, seen on 3.11)."""


def compose(settings: ChannelSettings, *, delivery_id: uuid.UUID, to: str, subject: str,
            body: str) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(delivery_id, settings.mail_from)
    message.set_content(body, subtype="plain", charset="utf-8")
    return message


def wire_bytes(message: EmailMessage) -> bytes:
    """The message as sent (flattened with POLICY: aiosmtplib would fold with its own)."""
    return message.as_bytes(policy=POLICY)


async def send_email(settings: ChannelSettings, *, delivery_id: uuid.UUID, to: str,
                     subject: str, body: str) -> None:
    """Send one message; raise `SendFailed` with a short detail when the server refuses it
    or cannot be reached."""
    message = compose(settings, delivery_id=delivery_id, to=to, subject=subject, body=body)
    try:
        await aiosmtplib.send(
            wire_bytes(message), sender=parseaddr(settings.mail_from)[1], recipients=[to],
            hostname=settings.smtp_host, port=settings.smtp_port,
            username=settings.smtp_username, password=settings.smtp_password,
            use_tls=settings.smtp_use_tls, start_tls=settings.smtp_starttls,
            timeout=settings.send_timeout_seconds,
        )
    except aiosmtplib.SMTPTimeoutError as exc:
        raise SendFailed(f"SMTP timeout after {settings.send_timeout_seconds:g} s") from exc
    except aiosmtplib.SMTPResponseException as exc:
        raise SendFailed(f"SMTP {exc.code} {exc.message}"[:500]) from exc
    except aiosmtplib.SMTPConnectError as exc:
        raise SendFailed(f"SMTP connection failed: {exc}"[:500]) from exc
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise SendFailed(f"SMTP error: {type(exc).__name__}: {exc}"[:500]) from exc
