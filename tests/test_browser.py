"""The dashboard in a real browser (Debian's chromium driven by Playwright) against a running hub.

Walks what she does: first-run setup, login, arm and disarm, upload his photo, add an entry with an
attachment, open an incident, export and check it, quick exit. Saves a screenshot of every page to a
temporary folder; ``make screenshots`` sets PORCHLIGHT_SCREENSHOTS=docs/screenshots to refresh the
ones the README links, so a plain test run never changes the checkout.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

from hub.events import Event, Severity
from hub.accounts import setup_code
from hub.log import IncidentLog
from tests.conftest import PORCHLIGHT, REPO, FACES, PHONE, SmtpServer, Webhook, free_port, wait_for, write_config

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(os.environ.get("PORCHLIGHT_SCREENSHOTS") or Path(tempfile.gettempdir()) / "porchlight-screenshots")
PASSPHRASE = "the blue kettle under the stairs"
PASSWORD = "a long and private passphrase"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


def _seed(data: Path) -> None:
    """Six weeks of drive-bys and one face at the door, so the charts show a pattern."""
    from hub.vision.synthetic import car

    import cv2

    log = IncidentLog(data)
    now = datetime.now(timezone.utc)
    ok, jpeg = cv2.imencode(".jpg", car((90, 90, 90), "KX12 ABC"))
    snapshot = log.evidence.put_bytes(bytes(jpeg))
    for day in range(42, 0, -1):
        if day % 7 in (2, 5) or day < 6:
            at = (now - timedelta(days=day)).replace(hour=18 + day % 3, minute=10)
            log.append(Event("vehicle.match", "street_cam", Severity.WARNING,
                             {"vehicle": "grey hatchback", "plate": "KX12ABC"}, evidence=(snapshot,), at=at))
    face = log.evidence.put_bytes((FACES / "obama-480p.jpg").read_bytes())
    log.append(Event("face.match", "front_cam", Severity.CRITICAL, {"person": "him", "distance": 0.42},
                     evidence=(face,), at=now - timedelta(days=3, hours=2)))
    log.close()


@pytest.fixture
def weather(webhook: Webhook) -> str:
    """The neutral site quick exit goes to, here a local page (the test machine has no internet)."""
    return webhook.url("/weather").replace("json://", "http://")


@pytest.fixture
def hub_url(tmp_path: Path, weather: str, webhook: Webhook) -> Iterator[str]:
    """A running ``porchlight run`` with a looping street camera, served over HTTPS on loopback."""
    from hub.vision.synthetic import car, drive_by_video

    data = tmp_path / "data"
    _seed(data)
    video = drive_by_video(car((90, 90, 90), "KX12 ABC"), tmp_path / "street.mp4", seconds=4.0)
    port = free_port()
    config = write_config(tmp_path / "porchlight.yaml", {
        "data_dir": str(data), "device_name": "hall", "gpio": {"pin_factory": "mock"},
        "mqtt": {"enabled": False}, "arming": {"pin": "2468", "duress_pin": "1357", "exit_delay_seconds": 0},
        "sensors": {"front_door": {"kind": "door", "label": "Front door", "gpio": {"pin": 17}}},
        "cameras": {"street_cam": {"source": str(video), "label": "Street", "loop": True, "fps": 2,
                                   "faces": False}},
        "contacts": {"ann": {"name": "Ann next door", "notify": [webhook.url("/ann")]},
                     "me": {"name": "Me", "notify": [webhook.url("/me")], "events": ["access.*"]}},
        "alerts": {"dashboard_url": f"https://127.0.0.1:{port}"},
        "web": {"host": "127.0.0.1", "port": port, "tls": True, "exit_url": weather}})
    with _running_hub(config, port) as url:
        yield url


@contextmanager
def _running_hub(config: Path, port: int) -> Iterator[str]:
    """``porchlight run`` on a config, until the block ends; yields the dashboard's address."""
    out = config.parent / "hub.out"
    with out.open("w") as handle:
        process = subprocess.Popen([*PORCHLIGHT, "run", "--config", str(config)], cwd=REPO, stdout=handle,
                                   stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "Dashboard: " in out.read_text(), 120, "the dashboard to start")
        yield f"https://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(30)


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    """A headless chromium page (flags keep it from reaching for Google's services)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        context = browser.new_context(ignore_https_errors=True, viewport={"width": 1100, "height": 800},
                                      accept_downloads=True)
        context.set_default_timeout(15_000)
        yield context.new_page()
        context.close()
        browser.close()


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _set_up_unsealed(page: Any, url: str, data: Path) -> None:
    """First-run setup with the one-time code, her password, and sealing left off (these tests are not about it)."""
    page.goto(url + "/setup")
    page.fill("input[name=code]", setup_code(data))
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.uncheck("input[name=seal]")
    page.click("button[type=submit]")
    page.wait_for_selector("ul.codes")


def _until(page: Any, url: str, text: str, seconds: float = 20) -> None:
    """Reload until the page shows ``text`` (the hub takes dashboard commands within a second)."""
    def shown() -> bool:
        page.goto(url)
        return text in page.content()
    wait_for(shown, seconds, f"{text!r} on {url}", interval=0.5)


def test_her_evening_with_the_dashboard(hub_url: str, page: Any, tmp_path: Path, weather: str,
                                       webhook: Webhook) -> None:
    # First visit: no default password; she creates hers and sees her recovery codes once.
    page.goto(hub_url + "/")
    assert page.url.endswith("/setup")
    _shot(page, "01-setup")
    page.fill("input[name=code]", setup_code(tmp_path / "data"))
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    # Sealing is ticked by default: she chooses the passphrase that opens her records.
    assert page.is_checked("input[name=seal]")
    page.fill("input[name=passphrase]", PASSPHRASE)
    page.fill("input[name=passphrase_again]", PASSPHRASE)
    page.click("button[type=submit]")
    page.wait_for_selector("ul.codes")
    assert page.locator("ul.codes li").count() == 8
    assert len(page.inner_text("#sealing-recovery").split("-")) == 13  # the sealing recovery key, shown once
    _shot(page, "02-recovery-codes")
    page.click("text=I have kept them safe: log in")
    page.wait_for_url("**/login")
    _shot(page, "03-login")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=passphrase]", PASSPHRASE)
    page.click("button[type=submit]")
    page.wait_for_url(hub_url + "/")

    # Arm (no PIN), then disarm with the PIN; the running hub records both.
    page.click("text=Arm away")
    _until(page, hub_url + "/", "Mode: away")
    page.fill("input[name=pin]", "2468")
    page.click("text=Disarm")
    _until(page, hub_url + "/", "Mode: disarmed")
    _shot(page, "04-home")

    # Panic: her neighbour gets the alert with a signed link, and opens it on her own phone.
    page.click("text=Panic: alert your contact now")
    assert "Alerting your contact now." in page.inner_text("p.said")
    message = wait_for(lambda: next((body for path, body in webhook.posts if path == "/ann"), None), 30,
                       "the panic alert at Ann's webhook")
    link = re.search(r"I'm on it: (https://\S+)", message["message"])
    assert link is not None, message
    phone = page.context.browser.new_context(ignore_https_errors=True)
    neighbour = phone.new_page()
    neighbour.goto(link.group(1))
    _shot(neighbour, "18-acknowledge")
    neighbour.click("text=I'm on it")
    assert "you are on it" in neighbour.content()
    phone.close()

    # His photo: accepted with a face found; a group photo is refused with the reason.
    page.goto(hub_url + "/concern")
    page.fill("form[action='/concern/person'] input[name=name]", "him")
    page.set_input_files("form[action='/concern/person'] input[name=photos]",
                         [str(FACES / "obama.jpg"), str(FACES / "two_people.jpg")])
    page.click("form[action='/concern/person'] button")
    page.wait_for_selector("text=photos enrolled.", timeout=60_000)  # each photo's line shows as it is checked
    assert "Accepted: obama.jpg: face found and enrolled" in page.content()
    assert "Rejected: two_people.jpg: 2 faces found" in page.content()
    _shot(page, "05-person-and-vehicle")

    # A manual entry with a screenshot attached.
    page.goto(hub_url + "/entry")
    _shot(page, "06-new-entry")
    page.fill("textarea[name=description]", "A note under the wiper: 'I saw you at the gym'")
    page.select_option("select[name=category]", "intimidation")
    page.set_input_files("input[name=attachments]", str(FACES / "32bit.png"))
    page.click("text=Save the entry")
    assert "Entry saved with 1 attachment" in page.content()
    _until(page, hub_url + "/incidents", "A note under the wiper")
    _shot(page, "07-incidents")

    # The entry in full: the attachment with its hash, verified.
    page.click("text=A note under the wiper")
    assert "(verified)" in page.content() and "hash is intact" in page.content()
    _shot(page, "08-incident-detail")

    # Export everything and check it with its own verify.py.
    page.goto(hub_url + "/export?from=2000-01-01")
    assert "Anything you share may reach him" in page.content()
    _shot(page, "09-export")
    page.click("text=Build the export")
    page.wait_for_selector("#download", timeout=60_000)
    _shot(page, "10-export-ready")
    key_print = page.inner_text("#key-print")
    with page.expect_download() as download_info:
        page.click("#download")
    archive = tmp_path / "export.zip"
    download_info.value.save_as(str(archive))
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(tmp_path / "export")
    [folder] = list((tmp_path / "export").iterdir())
    checked = subprocess.run([sys.executable, "verify.py", "--key", key_print], cwd=folder, capture_output=True,
                             text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout

    # The other pages, for the record.
    for path, name in (("/live", "11-live"), ("/contacts", "12-contacts"), ("/checkin", "13-checkin"),
                       ("/help", "14-safety-help"), ("/settings", "15-settings"), ("/alerts", "16-alerts")):
        page.goto(hub_url + path)
        if path == "/live":
            page.wait_for_function("document.querySelector('img.live') && document.querySelector('img.live').naturalWidth > 0")
        _shot(page, name)
    page.goto(hub_url + "/settings")
    assert page.locator("#fingerprint").inner_text().count(":") == 31  # the certificate's, for her to compare

    # She gives Ann a login of her own: Ann sees the alert she was sent, and nothing else.
    page.fill("form[action='/settings/accounts'] input[name=name]", "ann")
    page.fill("form[action='/settings/accounts'] input[name=password]", "ann's own long password")
    page.click("text=Create the login")
    assert "Login ann created for ann" in page.content()
    phone = page.context.browser.new_context(ignore_https_errors=True)
    ann = phone.new_page()
    ann.goto(hub_url + "/login")
    ann.fill("input[name=name]", "ann")
    ann.fill("input[name=password]", "ann's own long password")
    ann.click("button[type=submit]")
    ann.wait_for_url(hub_url + "/alerts")
    assert "Panic button pressed" in ann.content() and "You are on it." in ann.content()
    _shot(ann, "20-contact-view")
    ann.goto(hub_url + "/incidents")
    assert "for the owner of this hub" in ann.content()
    phone.close()

    # A privacy mask over the neighbour's side of the street, drawn on the camera's still.
    page.goto(hub_url + "/settings/camera/street_cam")
    page.wait_for_function("document.getElementById('still') && document.getElementById('still').naturalWidth > 0")
    box = page.locator("#masks-canvas").bounding_box()
    assert box is not None
    for fx, fy in ((0.6, 0.05), (0.95, 0.05), (0.95, 0.5), (0.6, 0.5)):
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
    page.click("#close-mask")
    _shot(page, "21-privacy-mask")
    page.click("text=Save the masks")
    assert page.inner_text("p.said").startswith("1 privacy mask saved")

    # A new PIN: the old one first; the change is on the record and reaches whoever asked to hear of it (her).
    page.goto(hub_url + "/settings/hub")
    page.fill("input[name=current_pin]", "2468")
    page.fill("input[name=pin]", "8642")
    page.fill("input[name=pin_again]", "8642")
    _shot(page, "22-security-settings")
    page.click("text=Change the PINs")
    assert page.inner_text("p.said").startswith("PINs changed")
    told = wait_for(lambda: next((body for path, body in webhook.posts if path == "/me"
                                  and "PINs changed" in body.get("title", "") + body.get("message", "")), None),
                    30, "the settings-change alert")
    assert "8642" not in str(told) and "2468" not in str(told)
    page.goto(hub_url + "/")
    page.fill("input[name=pin]", "2468")
    page.click("text=Arm away")
    _until(page, hub_url + "/", "Mode: away")
    page.fill("input[name=pin]", "8642")
    page.click("text=Disarm")
    _until(page, hub_url + "/", "Mode: disarmed")

    # Quick exit: Esc twice leaves for a weather page and the session is over.
    page.goto(hub_url + "/incidents")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.wait_for_url(weather)
    page.goto(hub_url + "/incidents")
    assert page.url.endswith("/login")


def test_from_nobody_to_tell_to_two_tested_contacts(tmp_path: Path, page: Any, smtp_server: SmtpServer,
                                                    webhook: Webhook) -> None:
    port = free_port()
    config = write_config(tmp_path / "porchlight.yaml", {
        "data_dir": str(tmp_path / "data"), "gpio": {"pin_factory": "mock"}, "mqtt": {"enabled": False},
        "arming": {"pin": "2468"}, "web": {"host": "127.0.0.1", "port": port, "tls": True}})
    with _running_hub(config, port) as url:
        _set_up_unsealed(page, url, tmp_path / "data")
        page.click("text=I have kept them safe: log in")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(url + "/")
        # Nobody to tell: the page says so before and after she presses panic, and what to do instead.
        assert "No contact is set up, so an alarm or a panic reaches nobody." in page.content()
        page.click("text=Panic: record it now (no contact is set up to be alerted)")
        said = page.inner_text("p.said")
        assert said.startswith("Nobody can be told: no contact is set up to receive this.")
        assert "call the emergency number" in said and "Alerting" not in said
        _shot(page, "23-panic-with-nobody-to-tell")
        page.goto(url + "/alerts")
        assert "Nobody was told: no contact is set up for this." in page.content()

        # The hub's mail account (a local mail server stands in for Gmail here).
        page.goto(url + "/settings/mail")
        page.check("input[name=preset][value='']")
        page.fill("input[name=from_address]", "hub@porchlight.local")
        page.fill("input[name=host]", "127.0.0.1")
        page.fill("input[name=port]", str(smtp_server.port))
        page.select_option("select[name=security]", "insecure")
        _shot(page, "24-mail-account")
        page.click("text=Save the mail account")
        assert page.inner_text("p.said") == "Mail account saved."

        # Ann by email: a name and an address, nothing else to learn.
        page.goto(url + "/contacts")
        page.click("text=Email")
        page.fill("input[name=name]", "Ann next door")
        page.fill("input[name=address]", "ann@example.org")
        _shot(page, "25-add-email-contact")
        page.click("text=Save the contact")
        assert "Contact Ann next door saved. Email to ann@example.org." in page.inner_text("p.said")
        page.click("tr:has-text('Ann next door') >> text=Send a test")
        assert page.inner_text("p.said") == "Test sent on every channel: ask them whether it reached them."
        wait_for(lambda: smtp_server.messages, 15, "Ann's test at the mail server")
        assert b"ann@example.org" in smtp_server.messages[0]

        # Bea on ntfy: the hub makes the topic and tells her what Bea subscribes to.
        page.click("text=ntfy (a phone app)")
        page.fill("input[name=name]", "Bea")
        page.fill("input[name=server]", f"http://127.0.0.1:{webhook.port}")
        page.click("text=Save the contact")
        topic = re.search(r"subscribe in the app to (\S+) on", page.inner_text("p.said"))
        assert topic is not None
        page.click("tr:has-text('Bea') >> text=Send a test")
        assert page.inner_text("p.said") == "Test sent on every channel: ask them whether it reached them."
        wait_for(lambda: webhook.posts, 15, "Bea's test at the ntfy receiver")
        assert webhook.posts[0][1]["topic"] == topic.group(1)
        _shot(page, "26-contacts-tested")

        # The person of concern's vehicle: enrolled with its plate, then removed again (recorded).
        page.goto(url + "/concern")
        page.fill("form[action='/concern/vehicle'] input[name=name]", "grey golf")
        page.fill("form[action='/concern/vehicle'] input[name=plate]", "KX12 ABC")
        page.click("text=Save the vehicle")
        assert "grey golf: 0 of 0 photos enrolled, plate KX12 ABC." in page.content()
        page.goto(url + "/sheet")
        assert "Please look out for the person of concern" in page.content() and "plate KX12ABC" in page.content()
        _shot(page, "27-neighbour-sheet")
        printed = page.pdf()  # what her printer gets: the choices are left off the printed page
        assert printed.startswith(b"%PDF") and len(printed) > 2000
        with page.expect_download() as saved:
            page.click("button:has-text('Save as PDF')")
        assert saved.value.suggested_filename == "neighbour-sheet.pdf"
        page.goto(url + "/concern")
        page.click("text=Remove grey golf")
        assert "Remove grey golf?" in page.content()  # asked once more; a slip removes nothing
        _shot(page, "29-remove-asks-first")
        page.click("text=Yes, remove grey golf")
        assert page.inner_text("p.said") == "grey golf removed: the cameras stop looking for it."

        # What her phone made: an iPhone photo and an Android voicemail, shown through viewable copies.
        page.goto(url + "/entry")
        page.fill("textarea[name=description]", "Damage to the car, and a voicemail from a new number")
        page.set_input_files("input[name=attachments]", [str(PHONE / "damage.heic"), str(PHONE / "voicemail.amr")])
        page.click("text=Save the entry")
        assert "Entry saved with 2 attachments" in page.content()
        _until(page, url + "/incidents", "Damage to the car")
        page.click("text=Damage to the car")
        detail = page.url
        _until(page, detail, "made by pillow-heif")
        _until(page, detail, "amrnb decoder")
        page.wait_for_function("document.querySelector('figure img') && document.querySelector('figure img').naturalWidth > 0")
        assert page.evaluate("document.querySelector('figure img').naturalWidth") == 432  # turned upright
        assert page.locator("figure audio").count() == 1
        _shot(page, "28-phone-evidence")

        page.goto(url + "/")
        assert "reaches nobody" not in page.content() and "No test message has gone out to any contact" not in page.content()
        page.click("text=Panic: alert your 2 contacts now")
        assert page.inner_text("p.said").startswith("Alerting your 2 contacts now.")
        wait_for(lambda: len(smtp_server.messages) >= 2 and len(webhook.posts) >= 2, 30, "the panic at both")


def test_quick_exit_button_and_lockout_in_the_browser(hub_url: str, page: Any, weather: str, tmp_path: Path) -> None:
    _set_up_unsealed(page, hub_url, tmp_path / "data")
    page.goto(hub_url + "/recover")
    _shot(page, "19-recovery")
    page.goto(hub_url + "/login")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(hub_url + "/")
    page.click("#quick-exit")
    page.wait_for_url(weather)
    page.go_back()
    page.goto(hub_url + "/")
    assert page.url.endswith("/login")
    for _ in range(5):
        page.fill("input[name=password]", "his old guess")
        page.click("button[type=submit]")
    assert "Too many wrong passwords" in page.content()
    _shot(page, "17-lockout")
