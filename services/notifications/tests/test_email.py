"""An email as it goes on the wire: a long Vietnamese subject arrives exactly as written."""

import uuid
from email import message_from_bytes
from email.policy import default

from ocop_notifications.adapters.email import compose, wire_bytes
from ocop_notifications.settings import ChannelSettings

SUBJECT = ("Kết quả đánh giá sản phẩm OCOP: Bánh cốm làng Vòng của HTX Nông sản sạch "
           "Ba Đình, Hà Nội")


def test_a_long_vietnamese_subject_survives_the_wire() -> None:
    delivery = uuid.uuid4()
    message = compose(ChannelSettings(), delivery_id=delivery, to="htx@example.vn",
                      subject=SUBJECT, body="Sản phẩm đạt 4 sao.")
    raw = wire_bytes(message)
    assert b"\r\n" in raw
    back = message_from_bytes(raw, policy=default)
    assert back["Subject"] == SUBJECT
    assert back["Message-ID"] == f"<{delivery}@ocop.local>"
    assert back.get_content().strip() == "Sản phẩm đạt 4 sao."
