"""The dashboard's pages against a real log: incidents and charts, entries, uploads, contacts, check-in, live."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub.events import Event, Severity
from hub.log import IncidentLog
from hub.store import Store
from web import create_app
from tests.conftest import FACES, PHONE, SmtpServer, Webhook, wait_for
from tests.webtools import answering_hub, commands, hub_config, login, make_app, owner, post, said, take_commands
from hub.frames import LiveFrame



@pytest.fixture
def app(data_dir: Path) -> Flask:
    return make_app(data_dir, arming={"pin": "2468", "duress_pin": "1357"})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return owner(app)


def _seed(log: IncidentLog) -> dict[str, int]:
    """A month of a course of conduct: drive-bys on Friday evenings, a face at the door, her notes."""
    now = datetime.now(timezone.utc)
    seqs = {}
    for day in range(0, 28, 7):
        at = (now - timedelta(days=day)).replace(hour=19, minute=30)
        seqs[f"pass{day}"] = log.append(Event("vehicle.match", "street_cam", Severity.WARNING,
                                              {"vehicle": "grey golf", "plate": "KX12ABC"}, at=at))
    jpeg = (FACES / "obama.jpg").read_bytes()
    sha = log.evidence.put_bytes(jpeg)
    seqs["face"] = log.append(Event("face.match", "front_cam", Severity.CRITICAL,
                                    {"person": "him", "distance": 0.41}, evidence=(sha,), at=now - timedelta(days=2)))
    seqs["note"] = log.append(Event("incident.report", "owner", Severity.NOTICE,
                                    {"description": "A letter on the doorstep", "category": "intimidation"},
                                    at=now - timedelta(days=1)))
    log.append(Event("hub.heartbeat", "hub"))
    return seqs


def test_a_look_alike_counts_as_a_drive_by_only_once_she_confirms_it(client: FlaskClient, data_dir: Path) -> None:
    log = IncidentLog(data_dir)
    today = datetime.now(timezone.utc).astimezone().date()
    possible = [log.append(Event("vehicle.possible", "street_cam", Severity.NOTICE,
                                 {"vehicle": "grey golf", "score": 0.7, "plate_read": None})) for _ in range(3)]
    plated = log.append(Event("vehicle.match", "street_cam", Severity.CRITICAL, {"vehicle": "grey golf"}))
    log.append(Event("vehicle.confirmed", "owner", Severity.NOTICE, {"match_seq": possible[0], "vehicle": "grey golf"}))
    log.append(Event("vehicle.rejected", "owner", Severity.NOTICE, {"match_seq": plated, "vehicle": "grey golf"}))
    page = client.get("/incidents").get_data(as_text=True)
    assert f"<title>{today}: 1</title>" in page  # her confirmed one; not the two unreviewed, not the rejected
    assert "possible vehicle" in page or "for your review" in page


def test_timeline_filters_and_pattern_charts(client: FlaskClient, data_dir: Path) -> None:
    log = IncidentLog(data_dir)
    seqs = _seed(log)
    page = client.get("/incidents").get_data(as_text=True)
    assert "6 incidents." in page and "heartbeat" not in page
    assert page.count("<svg") == 3 and "Incidents by weekday and hour" in page and "Vehicle passes per day" in page
    assert re.search(r"<title>\w{3} 19:00: 4</title>", page)  # the Friday-evening pattern shows in the heat map
    only_cars = client.get("/incidents?kind=vehicle.match").get_data(as_text=True)
    assert "4 incidents." in only_cars and "A letter on the doorstep" not in only_cars
    mine = client.get("/incidents?category=intimidation").get_data(as_text=True)
    assert "1 incident." in mine and "A letter on the doorstep" in mine
    recent = (datetime.now() - timedelta(days=3)).date().isoformat()
    assert "3 incidents." in client.get(f"/incidents?from={recent}").get_data(as_text=True)
    bad = client.get("/incidents?from=yesterday&kind=<script>").get_data(as_text=True)
    assert "is not a date like 2026-05-31" in bad and "<script>" not in bad
    detail = client.get(f"/incidents/{seqs['face']}").get_data(as_text=True)
    assert "hash is intact" in detail and "(verified)" in detail and "Is this the person of concern?" in detail
    log.close()


def test_incident_detail_adds_narrative_and_reviews_a_match(client: FlaskClient, data_dir: Path) -> None:
    store = Store(data_dir)
    log = store.log
    seqs = _seed(log)
    post(client, f"/incidents/{seqs['note']}/note", {"type": "narrative", "text": "He also rang twice at 23:10."})
    post(client, f"/incidents/{seqs['pass0']}/review", {"verdict": "confirm", "note": "his car"})
    take_commands(store)
    page = client.get(f"/incidents/{seqs['note']}").get_data(as_text=True)
    assert "He also rang twice at 23:10." in page and "A letter on the doorstep" in page
    assert log.event(seqs["note"]).detail["description"] == "A letter on the doorstep"  # type: ignore[union-attr]
    assert log.verify().ok
    log.checkpoint()
    assert "covered by the signed checkpoint" in client.get(f"/incidents/{seqs['note']}").get_data(as_text=True)
    store.close()


def test_manual_entry_with_attachments_checked_by_content(client: FlaskClient, data_dir: Path) -> None:
    from io import BytesIO

    voicemail = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)
    response = post(client, "/entry", {"description": "He called from a new number", "category": "intimidation",
                                       "tags": ["calls or messages"], "location": "phone",
                                       "witness_name": ["Ann"], "witness_contact": ["555-0101"],
                                       "attachments": [(BytesIO(voicemail), "voicemail.wav"),
                                                       (BytesIO((FACES / "biden.jpg").read_bytes()), "shot.jpg")]},
                    content_type="multipart/form-data")
    assert "Entry saved with 2 attachments" in said(client, response)
    [(kind, detail)] = [c for c in commands(data_dir) if c[0] == "incident.report"]
    assert detail["witnesses"] == [{"name": "Ann", "contact": "555-0101"}]
    assert [a["name"] for a in detail["attachments"]] == ["voicemail.wav", "shot.jpg"]
    with Store(data_dir) as store:
        log = store.log
        [seq] = [s for s in take_commands(store) if log.event(s).kind == "incident.report"]  # type: ignore[union-attr]
        assert len(log.event(seq).evidence) == 2  # type: ignore[union-attr]


def test_what_phones_make_is_kept_as_it_came_and_shown_through_a_viewable_copy(
        client: FlaskClient, data_dir: Path) -> None:
    from io import BytesIO

    import cv2
    import numpy as np

    files = {"damage.heic": "image/heic", "voicemail.amr": "audio/amr", "screen-recording.mov": "video/quicktime"}
    broken = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(200)  # a HEIC that is not one
    response = post(client, "/entry", {"description": "He damaged the car and left a voicemail",
                                       "attachments": [(BytesIO((PHONE / name).read_bytes()), name) for name in files]
                                       + [(BytesIO(broken), "IMG_0001.HEIC")]},
                    content_type="multipart/form-data")
    assert "Entry saved with 4 attachments" in said(client, response)
    wait_for(lambda: sum(k == "evidence.copy" for k, _ in commands(data_dir)) == 4, 60, "the four copy rows")
    with Store(data_dir) as store:
        log = store.log
        [seq] = [s for s in take_commands(store) if log.event(s).kind == "incident.report"]  # type: ignore[union-attr]
        copies = {row.detail["parent"]: row for row in log.events(kind="evidence.copy")}
        report = log.event(seq)
        assert report is not None
        originals = dict(zip([a["name"] for a in report.detail["attachments"]], report.evidence))
        for name, mime in files.items():
            parent = originals[name]
            assert log.evidence.read(parent) == (PHONE / name).read_bytes()  # the original, byte for byte
            assert log.evidence.file_type(parent).mime == mime  # type: ignore[union-attr]
            row = copies[parent]
            assert row.detail["from_type"] == mime and row.evidence, row.detail
        photo = log.evidence.read(copies[originals["damage.heic"]].evidence[0])
        picture = cv2.imdecode(np.frombuffer(photo, np.uint8), cv2.IMREAD_COLOR)
        assert picture.shape[:2] == (768, 432)  # turned upright as the phone showed it
        assert log.evidence.read(copies[originals["voicemail.amr"]].evidence[0])[:4] == b"RIFF"
        assert "problem" in copies[originals["IMG_0001.HEIC"]].detail
    page = client.get(f"/incidents/{seq}").get_data(as_text=True)
    photo_copy = copies[originals["damage.heic"]].evidence[0]
    assert f'<img src="/evidence/{photo_copy}"' in page and "made by pillow-heif" in page
    assert f'<audio src="/evidence/{copies[originals["voicemail.amr"]].evidence[0]}"' in page
    assert f'<video src="/evidence/{copies[originals["screen-recording.mov"]].evidence[0]}"' in page
    assert "No viewable copy: the file could not be read" in page
    assert "image/heic" in page and "audio/amr" in page  # the original's own type, and its download link
    with client.get(f"/evidence/{photo_copy}") as served:
        assert served.mimetype == "image/jpeg"


def test_uploads_of_the_wrong_type_or_too_large_are_refused_and_nothing_is_stored(
        data_dir: Path) -> None:
    from io import BytesIO

    client = owner(make_app(data_dir, web={"tls": False, "max_upload_mb": 1}))
    evidence = data_dir / "evidence"

    def stored() -> int:
        return sum(1 for p in evidence.rglob("*") if p.is_file())

    before = stored()
    disguised = post(client, "/entry", {"description": "x", "attachments": [
        (BytesIO(b"\x7fELF\x02\x01\x01" + bytes(100)), "photo.jpg")]}, content_type="multipart/form-data")
    text = disguised.get_data(as_text=True)
    assert disguised.status_code == 400
    assert "photo.jpg: its content is not a file type this dashboard accepts" in text and "nothing was stored" in text
    mixed = post(client, "/entry", {"description": "x", "attachments": [
        (BytesIO((FACES / "obama.jpg").read_bytes()), "ok.jpg"),
        (BytesIO(b"MZ\x90\x00" + bytes(60)), "invoice.pdf")]}, content_type="multipart/form-data")
    assert mixed.status_code == 400 and "invoice.pdf" in mixed.get_data(as_text=True)
    huge = post(client, "/entry", {"description": "x", "attachments": [
        (BytesIO(b"%PDF-1.4" + bytes(2 * 1024 * 1024)), "order.pdf")]}, content_type="multipart/form-data")
    assert huge.status_code == 413 and "larger than the 1 MB limit. Nothing was stored." in huge.get_data(as_text=True)
    photo = post(client, "/concern/person", {"name": "him", "photos": [(BytesIO(b"GIF89a" + bytes(50)), "him.gif")]},
                 content_type="multipart/form-data")
    assert photo.status_code == 400 and "him.gif: its content is a image/gif file" in photo.get_data(as_text=True)
    assert stored() == before
    assert [k for k, _ in commands(data_dir) if k == "incident.report"] == []
    assert sum(1 for k, _ in commands(data_dir) if k == "input.rejected") == 2


def test_person_of_concern_upload_gives_feedback_per_photo(client: FlaskClient, data_dir: Path) -> None:
    from io import BytesIO

    photos = [(BytesIO((FACES / name).read_bytes()), name) for name in ("obama.jpg", "two_people.jpg", "32bit.png")]
    page = post(client, "/concern/person", {"name": "him", "photos": photos},
                content_type="multipart/form-data").get_data(as_text=True)
    assert "Photo 1 of 3: Accepted: obama.jpg: face found and enrolled" in page
    assert "Photo 2 of 3: Rejected: two_people.jpg: 2 faces found" in page
    assert re.search(r"Photo 3 of 3: .*32bit\.png.*\(\d+\.\d s\)", page)  # how long each took, as it went
    assert "32bit.png" in page
    assert "him: " in page and "photos enrolled." in page
    enrolled = [d for k, d in commands(data_dir) if k == "person.enrolled"]
    assert enrolled and enrolled[0]["person"] == "him"
    vehicle = post(client, "/concern/vehicle", {"name": "grey golf", "plate": "KX12 ABC", "colour": "grey"},
                   content_type="multipart/form-data").get_data(as_text=True)
    assert "grey golf: 0 of 0 photos enrolled, plate KX12 ABC, colour grey." in vehicle
    # Removing asks once more: a slip of the finger removes nothing.
    asked = post(client, "/concern/vehicle/grey_golf/remove")
    assert asked.status_code == 200 and "Remove grey golf?" in asked.get_data(as_text=True)
    assert "No, keep grey golf" in asked.get_data(as_text=True) and (data_dir / "vehicles" / "grey_golf.json").exists()
    assert "Remove him?" in post(client, "/concern/person/him/remove").get_data(as_text=True)
    assert (data_dir / "people" / "him.json").exists()
    # Confirmed, the library forgets them at once, and the removal is on the record.
    assert said(client, post(client, "/concern/vehicle/grey_golf/remove", {"confirmed": "yes"})) == (
        "grey golf removed: the cameras stop looking for it.")
    assert said(client, post(client, "/concern/person/him/remove", {"confirmed": "yes"})) == (
        "him removed: the cameras stop looking for them.")
    page = client.get("/concern").get_data(as_text=True)
    assert "Nobody enrolled yet." in page and "No vehicle enrolled yet." in page
    assert not (data_dir / "vehicles" / "grey_golf.json").exists() and not (data_dir / "people" / "him.json").exists()
    removed = [(k, d) for k, d in commands(data_dir) if k.endswith(".removed")]
    assert removed == [("vehicle.removed", {"vehicle": "grey golf", "plate": "KX12ABC"}),
                       ("person.removed", {"person": "him", "photos_forgotten": 2})]
    assert post(client, "/concern/vehicle/..%2f..%2fkeys/remove").status_code == 404  # never a path
    assert said(client, post(client, "/concern/vehicle/Keys..json/remove")) == "No vehicle by that name is enrolled."
    order = post(client, "/concern/order", {"court": "County Court", "number": "PO-123", "issued": "2026-10-01",
                                            "terms": "no contact, 100 yards"}).get_data(as_text=True)
    assert "Protective order recorded" in order and "PO-123" in order


def test_contacts_added_tested_for_real_and_history_shown(client: FlaskClient, data_dir: Path,
                                                          smtp_server: SmtpServer, webhook: Webhook) -> None:
    # The hub's own mail account first (a local server here; presets for Gmail and others on the page).
    assert "No mail account is set" in client.get("/settings/mail").get_data(as_text=True)
    mail = post(client, "/settings/mail", {"preset": "", "host": "127.0.0.1", "port": str(smtp_server.port),
                                           "security": "insecure", "from_address": "hub@porchlight.local"})
    assert said(client, mail) == "Mail account saved."
    # An email contact through the form: a name and an address, no URL, no id.
    assert "Advanced: Apprise URLs" in client.get("/contacts").get_data(as_text=True)  # still offered, not needed
    assert "Their email address" in client.get("/contacts?add=email").get_data(as_text=True)
    saved = post(client, "/contacts/save", {"name": "Ann next door", "channel": "email", "address": "ann@example.org",
                                            "events": ["panic", "face.match"], "can_acknowledge": "on"})
    assert said(client, saved) == "Contact Ann next door saved. Email to ann@example.org. Now send them a test."
    page = client.get("/contacts").get_data(as_text=True)
    assert "email to ann@example.org" in page and "never sent: send one" in page
    assert "I press a panic button" in page and "a camera sees the person of concern" in page
    tested = post(client, "/contacts/ann_next_door/test")
    assert "Test sent on every channel" in said(client, tested)
    wait_for(lambda: smtp_server.messages, 10, "the test message at the local mail server")
    assert b"This is a test from Porchlight" in smtp_server.messages[0] and b"ann@example.org" in smtp_server.messages[0]
    assert "went out" in client.get("/contacts").get_data(as_text=True)
    assert "No test message has gone out to any contact" not in client.get("/").get_data(as_text=True)
    # An ntfy contact: the hub makes a topic nobody can guess and says what to subscribe to.
    ntfy = post(client, "/contacts/save", {"name": "Bea", "channel": "ntfy", "server": f"http://127.0.0.1:{webhook.port}"})
    words = said(client, ntfy)
    topic = re.search(r"subscribe in the app to (porchlight-[A-Za-z0-9-]{20,})", words)
    assert topic is not None, words
    assert "Test sent" in said(client, post(client, "/contacts/bea/test"))
    wait_for(lambda: webhook.posts, 10, "the ntfy test at the local receiver")
    assert webhook.posts[0][1]["topic"] == topic.group(1) and webhook.posts[0][1]["title"] == "Porchlight test"
    kinds = [k for k, d in commands(data_dir)]
    assert "access.settings_changed" in kinds and "alert.test" in kinds
    from hub.config import parse_config
    from hub.contacts import ContactBook

    book = ContactBook(parse_config({"data_dir": str(data_dir)}))
    assert book.current()["ann_next_door"].events == ["panic", "face.match"]
    assert book.current()["ann_next_door"].notify == ["email:ann@example.org"]  # the mail password is not copied
    assert (data_dir / "contacts.json").stat().st_mode & 0o077 == 0
    assert (data_dir / "mail_account.json").stat().st_mode & 0o077 == 0
    # Removing her neighbour asks once more; confirmed, the contact is gone and the removal is on the record.
    asked = post(client, "/contacts/bea/remove").get_data(as_text=True)
    assert "Remove contact bea?" in asked and "bea" in ContactBook(parse_config({"data_dir": str(data_dir)})).current()
    assert said(client, post(client, "/contacts/bea/remove", {"confirmed": "yes"})) == "Contact bea removed."
    assert "bea" not in ContactBook(parse_config({"data_dir": str(data_dir)})).current()
    assert [d for k, d in commands(data_dir) if k == "access.settings_changed"][-1]["what"] == "contact removed"


def test_a_contact_form_field_cannot_smuggle_a_second_recipient_or_host(client: FlaskClient, data_dir: Path) -> None:
    # What he would type if he got at her dashboard, or talked her into pasting: every field is checked for its shape.
    attempts = [
        ({"channel": "email", "address": "ann@example.org?to=him@example.net"}, "their email address"),
        ({"channel": "email", "address": "ann@example.org/him@example.net"}, "their email address"),
        ({"channel": "ntfy", "server": "https://him@ntfy.sh", "topic": "x" * 30}, "the ntfy server"),
        ({"channel": "ntfy", "server": "https://ntfy.sh/extra/path"}, "the ntfy server"),
        ({"channel": "ntfy", "server": "https://ntfy.sh", "topic": "ann"}, "anyone who guesses it"),
        ({"channel": "ntfy", "server": "https://ntfy.sh", "topic": "a/b?c=d&x=" + "y" * 20}, "the topic"),
        ({"channel": "webhook", "url": "https://user:pass@example.org/hook"}, "the address"),
        ({"channel": "webhook", "url": "file:///etc/passwd"}, "the address"),
        ({"channel": "telegram", "bot_token": "123456:abc/../x", "chat_id": "1"}, "the bot token"),
        ({"channel": "sms_gateway", "phone": "555 123", "gateway": "vtext.com"}, "their mobile number"),
        ({"channel": "pushover", "user_key": "u" * 30, "app_token": "t@evil"}, "your pushover app token"),
        ({"channel": "nonsense"}, "choose how the hub should reach them"),
    ]
    for fields, problem in attempts:
        page = post(client, "/contacts/save", {"name": "Ann", **fields})
        text = page.get_data(as_text=True)
        assert page.status_code == 400 and problem.lower() in text.lower(), (fields, text[-600:])
    assert not (data_dir / "contacts.json").exists()
    # Unencrypted mail to a server on the LAN would hand him every alert and the account's password.
    refused = post(client, "/settings/mail", {"preset": "", "host": "mail.lan", "port": "25", "security": "insecure",
                                              "from_address": "hub@example.org", "password": "x"})
    assert refused.status_code == 400 and "only to a server on this hub" in refused.get_data(as_text=True)
    assert not (data_dir / "mail_account.json").exists()


def test_checkin_timer_and_duress_checkin(client: FlaskClient, data_dir: Path) -> None:
    post(client, "/checkin/start", {"minutes": "30"})
    assert "Timer running" in client.get("/checkin").get_data(as_text=True)
    normal = post(client, "/checkin/done", {"pin": "2468"})
    normal_words = said(client, normal)
    assert "Checked in" in normal_words
    assert "No timer running" in client.get("/checkin").get_data(as_text=True)
    duress = post(client, "/checkin/done", {"pin": "1357"})
    assert duress.headers["Location"] == normal.headers["Location"] and said(client, duress) == normal_words
    assert [k for k, _ in commands(data_dir) if k.startswith(("checkin", "duress"))] == [
        "checkin.start", "checkin.done", "checkin.done", "duress"]


def test_signed_acknowledgement_link_works_once_without_login(data_dir: Path, webhook: Webhook) -> None:
    from hub.alerts.acks import AckSigner
    from hub.alerts.outbox import AlertRequest

    contacts = {"ann": {"notify": [webhook.url()]}}
    app = make_app(data_dir, contacts=contacts)
    store = Store(data_dir)
    log = store.log
    log.append(Event("panic", "dashboard", Severity.CRITICAL),
               [AlertRequest(Severity.CRITICAL, "panic", "panic", "dashboard")])
    token = AckSigner(data_dir / "keys").sign(1, "ann")
    stranger = app.test_client()
    page = stranger.get(f"/ack/{token}")
    assert page.status_code == 200 and "I'm on it" in page.get_data(as_text=True)
    assert [row.status for row in store.outbox.rows()] == ["pending"]  # a link preview must not acknowledge
    with answering_hub(store, hub_config(data_dir, contacts=contacts)):
        done = post(stranger, f"/ack/{token}")
        assert "you are on it" in done.get_data(as_text=True)
        again = post(stranger, f"/ack/{token}")
    assert again.status_code == 400 and "already acknowledged by ann" in again.get_data(as_text=True)
    forged = post(stranger, f"/ack/{token[:-2]}xx")
    assert forged.status_code == 400 and "not valid" in forged.get_data(as_text=True)
    assert [e.detail["contact"] for e in log.events(kind="alert.acknowledged")] == ["ann"]
    store.close()


def test_an_acknowledgement_the_hub_has_not_taken_is_not_called_done(data_dir: Path, webhook: Webhook) -> None:
    """Never a false comfort: with the hub stopped, the page says the others may still be asked."""
    from hub.alerts.acks import AckSigner
    from hub.alerts.outbox import AlertRequest

    contacts = {"ann": {"notify": [webhook.url()]}}
    app = create_app(hub_config(data_dir, contacts=contacts), settings={"COMMAND_WAIT_SECONDS": 0.2})
    store = Store(data_dir)
    store.log.append(Event("panic", "dashboard", Severity.CRITICAL),
                     [AlertRequest(Severity.CRITICAL, "panic", "panic", "dashboard")])
    token = AckSigner(data_dir / "keys").sign(1, "ann")
    page = post(app.test_client(), f"/ack/{token}")
    text = page.get_data(as_text=True)
    assert page.status_code == 202 and "has not confirmed it yet" in text and "you are on it" not in text
    assert store.outbox.acknowledged_by(1) is None
    take_commands(store, hub_config(data_dir, contacts=contacts))  # the hub starts again: the answer is kept
    assert store.outbox.acknowledged_by(1) == "ann"
    store.close()


def test_live_view_streams_frames_and_marks_a_stale_camera(data_dir: Path) -> None:
    from hub.config import parse_config
    from web import create_app
    from tests.webtools import set_up, login

    jpeg = (FACES / "obama-240p.jpg").read_bytes()
    frames = {"porch": LiveFrame(jpeg, 0.4), "yard": LiveFrame(jpeg, 42.0)}
    config = parse_config({"data_dir": str(data_dir), "web": {"tls": False},
                           "cameras": {"porch": {"source": "x.mp4"}, "yard": {"source": "y.mp4"},
                                       "gate": {"source": "z.mp4"}}})
    app = create_app(config, frames=frames.get)
    client = app.test_client()
    set_up(client)
    login(client)
    page = client.get("/live").get_data(as_text=True)
    assert "porch: <span class=\"status-ok\">ok</span>" in page
    assert "yard: <span class=\"status-stale\">stale</span>" in page and "42.0 s old" in page
    assert "Offline: no picture from this camera." in page
    with client.get("/live/porch.mjpg", buffered=False) as stream:
        assert stream.mimetype == "multipart/x-mixed-replace"
        first = next(stream.response)  # type: ignore[call-overload]
        assert b"Content-Type: image/jpeg" in first and jpeg in first
    assert client.get("/live/nope.mjpg").status_code == 404
    home = client.get("/").get_data(as_text=True)
    assert "status-stale" in home and "status-offline" in home


def test_live_streams_are_capped_and_give_their_place_back(data_dir: Path) -> None:
    from hub.config import parse_config
    from web import create_app
    from web.live import MAX_STREAMS
    from tests.webtools import login, set_up

    jpeg = (FACES / "obama-240p.jpg").read_bytes()
    config = parse_config({"data_dir": str(data_dir), "web": {"tls": False},
                           "cameras": {"porch": {"source": "x.mp4"}}})
    client = create_app(config, frames=lambda cid: LiveFrame(jpeg, 0.1)).test_client()
    set_up(client)
    login(client)
    open_streams = [client.get("/live/porch.mjpg", buffered=False) for _ in range(MAX_STREAMS)]
    refused = client.get("/live/porch.mjpg")
    assert refused.status_code == 503 and "close one" in refused.get_data(as_text=True)
    for stream in open_streams:
        stream.close()
    with client.get("/live/porch.mjpg", buffered=False) as again:
        assert again.status_code == 200


def test_editing_a_contact_keeps_channels_never_shows_them(client: FlaskClient, data_dir: Path) -> None:
    secret = "ntfy://ntfy.sh/a-very-secret-topic"
    post(client, "/contacts/save", {"id": "ann", "name": "Ann", "notify": secret, "events": ["panic"]})
    form = client.get("/contacts?edit=ann").get_data(as_text=True)
    assert "Edit Ann" in form and "a-very-secret-topic" not in form and "stop using ntfy on ntfy.sh" in form
    assert "Show the ntfy topic" in form  # only when she asks, and then only to her
    assert said(client, post(client, "/contacts/ann/topic")).startswith(
        "For Ann's ntfy app: topic a-very-secret-topic on https://ntfy.sh.")
    post(client, "/contacts/save", {"id": "ann", "name": "Ann (next door)", "notify": "", "tier": "2",
                                    "events": ["panic", "duress"]})
    from hub.config import parse_config
    from hub.contacts import ContactBook

    ann = ContactBook(parse_config({"data_dir": str(data_dir)})).current()["ann"]
    assert (ann.name, ann.tier, ann.notify, ann.events) == ("Ann (next door)", 2, [secret], ["panic", "duress"])


def test_camera_frames_carry_their_age_and_a_stale_one_is_marked() -> None:
    import time
    from types import SimpleNamespace

    import cv2
    import numpy as np

    from hub.vision.frames import Grabbed
    from hub.vision.live import CameraFrames

    image = np.full((480, 1280, 3), 90, np.uint8)
    fresh = SimpleNamespace(camera_id="porch", grabber=SimpleNamespace(
        latest=lambda: Grabbed(image, time.monotonic() - 0.2, 7)))
    stale = SimpleNamespace(camera_id="yard", grabber=SimpleNamespace(
        latest=lambda: Grabbed(image, time.monotonic() - 95.0, 3)))
    frames = CameraFrames([fresh, stale])
    porch, yard = frames("porch"), frames("yard")
    assert porch is not None and yard is not None and frames("gate") is None
    assert porch.age_seconds < 1 and yard.age_seconds > 90
    decoded = cv2.imdecode(np.frombuffer(yard.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape[1] == 960  # scaled down for the LAN
    corner = decoded[10:35, 10:200]
    assert (corner[:, :, 2] > 200).any() and (corner[:, :, 0] < 60).any()  # the red STALE stamp
    assert frames("porch") is not None and frames("porch").jpeg == porch.jpeg  # type: ignore[union-attr]


def test_an_entry_that_ends_before_it_starts_is_refused_with_a_reason(client: FlaskClient, data_dir: Path) -> None:
    refused = post(client, "/entry", {"description": "x", "started_at": "2026-05-02T21:00",
                                      "ended_at": "2026-05-02T20:00"})
    assert refused.status_code == 400
    assert '<p class="error" role="alert">when it ended is before when it started</p>' in refused.get_data(as_text=True)
    assert "incident.report" not in [k for k, _ in commands(data_dir)]


def test_vehicle_photo_feedback_reads_once_per_photo(client: FlaskClient, data_dir: Path) -> None:
    from io import BytesIO

    import cv2

    from hub.vision.synthetic import car

    ok, jpeg = cv2.imencode(".jpg", car((200, 60, 40), "KP19 XRW"))
    page = post(client, "/concern/vehicle", {"name": "his ford", "plate": "KP19 XRW",
                                             "photos": [(BytesIO(bytes(jpeg)), "ford.jpg")]},
                content_type="multipart/form-data").get_data(as_text=True)
    assert "Accepted: ford.jpg:" in page and "Accepted: accepted" not in page
    [(kind, detail)] = [c for c in commands(data_dir) if c[0] == "vehicle.enrolled"]
    assert detail["photos"][0]["name"] == "ford.jpg"


def test_an_edited_row_is_shown_as_not_checking_out(client: FlaskClient, data_dir: Path) -> None:
    import sqlite3

    log = IncidentLog(data_dir)
    seqs = _seed(log)
    log.close()
    with sqlite3.connect(data_dir / "porchlight.db") as db:
        db.execute("DROP TRIGGER log_no_update")
        db.execute("UPDATE log SET content = replace(content, 'A letter', 'A parcel') WHERE seq = ?", (seqs["note"],))
    page = client.get(f"/incidents/{seqs['note']}").get_data(as_text=True)
    assert "This row does not check out: entry hash does not match its content (the row was edited)." in page
    assert "hash is intact" not in page


def test_health_reads_frame_ages_without_encoding_pictures(data_dir: Path) -> None:
    from hub.config import parse_config
    from web import create_app
    from tests.webtools import login, set_up

    encoded: list[str] = []

    def provider(camera_id: str) -> LiveFrame:
        return LiveFrame(lambda: encoded.append(camera_id) or b"\xff\xd8\xff", 2.5)

    config = parse_config({"data_dir": str(data_dir), "web": {"tls": False},
                           "cameras": {"porch": {"source": "x.mp4"}}})
    client = create_app(config, frames=provider).test_client()
    set_up(client)
    login(client)
    assert "status-ok" in client.get("/").get_data(as_text=True)
    assert "newest frame 2.5 s old" in client.get("/live").get_data(as_text=True)
    assert encoded == []  # only a stream asks for the JPEG


def test_the_neighbour_sheet_shows_what_she_chose_and_prints_as_a_pdf(data_dir: Path) -> None:
    from io import BytesIO

    client = owner(make_app(data_dir))
    post(client, "/concern/person", {"name": "Mark", "photos": [(BytesIO((FACES / "obama.jpg").read_bytes()),
                                                                 "mark.jpg")]}, content_type="multipart/form-data").get_data()
    car = sorted((FACES.parent / "plates").glob("*.png"))[0]
    post(client, "/concern/vehicle", {"name": "grey golf", "plate": "KX12 ABC", "colour": "grey",
                                      "photos": [(BytesIO(car.read_bytes()), "car.png")]},
         content_type="multipart/form-data")
    post(client, "/concern/describe", {"person": "Mark", "text": "Tall, short grey hair, often in a navy cap."})
    post(client, "/concern/order", {"court": "County Court", "number": "PO-123", "terms": "no contact",
                                    "distance": "100 yards"})
    with Store(data_dir) as store:
        take_commands(store)
    page = client.get("/sheet").get_data(as_text=True)
    assert "Please look out for Mark" in page and "Tall, short grey hair" in page
    assert "plate KX12ABC" in page and "Terms: no contact" in page and "Must stay 100 yards away" in page
    assert page.count("data:image/jpeg;base64,") == 2  # his photo and the car's
    assert "do not approach or confront them" in page
    chosen = post(client, "/sheet", {"include_photo": "on", "include_vehicle": "on", "include_her_name": "on",
                                     "her_name": "Sam", "call1": "Sam: 555-0100"}).get_data(as_text=True)
    assert "KX12ABC" not in chosen and "no contact" not in chosen and "Tall, short" not in chosen
    assert "grey golf" in chosen and "Sam: 555-0100" in chosen  # typed now, posted, kept nowhere
    assert "near Sam&#39;s home" in chosen and "Then tell Sam" in chosen
    # A link he sends cannot put words on her sheet: the choices are posted with the form's token.
    crafted = client.get("/sheet?include_her_name=on&her_name=Anna&call1=Call+me+on+555-0666").get_data(as_text=True)
    assert "555-0666" not in crafted and "Anna" not in crafted
    with post(client, "/sheet.pdf", {"include_photo": "on", "include_vehicle": "on", "include_plate": "on"}) as pdf:
        assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert ("access.export", "neighbour sheet") in [(k, d.get("what")) for k, d in commands(data_dir)]
    # Discreet mode starts without the order's terms and her name.
    discreet = make_app(data_dir, alerts={"discreet": True}).test_client()
    login(discreet)
    quiet = discreet.get("/sheet").get_data(as_text=True)
    assert "Protective order" not in quiet and "Tall, short grey hair" in quiet


def test_changing_the_pins_on_the_dashboard_is_checked_counted_and_on_the_record(client: FlaskClient,
                                                                                 data_dir: Path) -> None:
    from hub.commands import PinCheck
    from hub.config import parse_config

    def change(**fields: str) -> str:
        return said(client, post(client, "/settings/pins", fields))

    new = {"pin": "8642", "pin_again": "8642", "duress": "9753", "duress_again": "9753"}
    assert change(current_pin="0000", **new) == "The current PIN was wrong; nothing changed."
    assert change(current_pin="2468", **{**new, "pin_again": "8643"}).startswith("The new PINs were not typed")
    assert change(current_pin="2468", **{**new, "pin": "86a2", "pin_again": "86a2"}).startswith("The PIN must be 4")
    assert change(current_pin="2468", **{**new, "duress": "8642", "duress_again": "8642"}).startswith(
        "The duress PIN must differ")
    assert change(current_pin="2468", **{**new, "duress": "", "duress_again": "", "pin": "1357",
                                         "pin_again": "1357"}).startswith("The new PIN must differ from the duress")
    assert change(current_pin="2468", **new) == "PINs changed. Keypads, Home Assistant and this dashboard use them now."
    with Store(data_dir) as store:
        check = PinCheck(parse_config({"data_dir": str(data_dir), "arming": {"pin": "2468"}}).arming, store.state)
        assert [check.check(p, "keypad").result for p in ("2468", "8642", "9753")] == ["wrong", "normal", "duress"]
        assert "2468" not in (store.state.get_state("pins") or "") and "8642" not in (store.state.get_state("pins") or "")
    # Made to change them with the duress PIN: done as asked, looking the same, and help is called in silence.
    again = {"pin": "1111", "pin_again": "1111", "duress": "", "duress_again": ""}
    assert change(current_pin="9753", **again) == "PINs changed. Keypads, Home Assistant and this dashboard use them now."
    recorded = [(k, d.get("what")) for k, d in commands(data_dir)]
    assert recorded.count(("access.settings_changed", "PINs changed")) == 2  # the same words for either PIN
    assert ("duress", None) in recorded and ("arm.pin_rejected", None) in recorded
    page = client.get("/settings/hub").get_data(as_text=True)
    assert "1111" not in page and "9753" not in page


def test_privacy_masks_are_checked_before_they_are_kept(data_dir: Path) -> None:
    client = owner(make_app(data_dir, cameras={"porch": {"source": "x.mp4", "label": "Porch"}}))
    page = client.get("/settings/camera/porch").get_data(as_text=True)
    assert "No picture from this camera yet" in page and "masks.js" in page
    for bad, why in (("[[[0.1, 0.1], [0.5, 0.1]]]", "at least 3 corners"), ("[[[0.1, 0.1], [1.5, 0.1], [0.2, 0.9]]]",
                     "at least 3 corners"), ("not json", "not understood"), ('{"a": 1}', "not understood")):
        words = said(client, post(client, "/settings/camera/porch/masks", {"masks": bad}))
        assert why in words and "nothing changed" in words, (bad, words)
    mask = "[[[0.6, 0.0], [1.0, 0.0], [1.0, 0.5], [0.6, 0.5]]]"
    assert said(client, post(client, "/settings/camera/porch/masks", {"masks": mask})).startswith(
        "1 privacy mask saved")
    from hub.hub_settings import HubSettings

    with Store(data_dir) as store:
        config = hub_config(data_dir, cameras={"porch": {"source": "x.mp4"}})
        assert HubSettings(config, store.state).camera("porch").masks == [[(0.6, 0.0), (1.0, 0.0), (1.0, 0.5), (0.6, 0.5)]]
    assert ("access.settings_changed", "porch") in [(k, d.get("camera")) for k, d in commands(data_dir)]
    assert client.get("/settings/camera/nope").status_code == 404
    # Motion zones are drawn the same way: only movement inside them counts.
    assert "motion zones" in client.get("/settings/camera/porch?draw=zones").get_data(as_text=True)
    path = "[[[0.0, 0.5], [0.5, 0.5], [0.5, 1.0], [0.0, 1.0]]]"
    assert said(client, post(client, "/settings/camera/porch/zones", {"areas": path})).startswith("1 motion zone saved")
    with Store(data_dir) as store:
        config = hub_config(data_dir, cameras={"porch": {"source": "x.mp4"}})
        camera = HubSettings(config, store.state).camera("porch")
        assert camera.zones == [[(0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (0.0, 1.0)]] and len(camera.masks) == 1
    assert post(client, "/settings/camera/porch/secrets", {"areas": path}).status_code == 404


def test_coming_back_to_the_mail_page_keeps_the_account_in_use(client: FlaskClient, smtp_server: SmtpServer) -> None:
    post(client, "/settings/mail", {"preset": "", "host": "127.0.0.1", "port": str(smtp_server.port),
                                    "security": "insecure", "from_address": "hub@porchlight.local"})
    page = client.get("/settings/mail").get_data(as_text=True)
    assert re.search(r'value=""\s+checked', page) and 'value="insecure" selected' in page
    assert not re.search(r'value="gmail"\s+checked', page)


def test_the_advanced_field_takes_only_service_urls_and_names_lose_hidden_controls(
        client: FlaskClient, data_dir: Path) -> None:
    for line in ("file:///etc/passwd", "file:/etc/porchlight/pin", "env:HOME", "files://x", "just words"):
        page = post(client, "/contacts/save", {"name": "Sam", "notify": line})
        assert page.status_code == 400 and "start with a service" in page.get_data(as_text=True).replace(
            "starts with a service", "start with a service"), line
    saved = said(client, post(client, "/contacts/save", {"name": "Sam\u202enoom", "channel": "webhook",
                                                         "url": "https://example.org/hook"}))
    assert saved.startswith("Contact Samnoom saved.")
