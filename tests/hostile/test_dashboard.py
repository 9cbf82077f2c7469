"""He guesses her dashboard password from his laptop on her Wi-Fi, many at once."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.webtools import commands, csrf, login, make_app, owner, said, set_up


def test_parallel_guesses_cannot_outrun_the_lockout_nor_lock_her_out(data_dir: Path) -> None:
    app = make_app(data_dir)
    hers = app.test_client()
    codes = set_up(hers)  # the browser she set the hub up from is one she has used
    assert login(hers).headers["Location"] == "/"
    hers.post("/logout", data={"csrf_token": csrf(hers, "/")})
    results: list[int] = []

    def guess(number: int) -> None:
        stranger = app.test_client()
        for attempt in range(4):
            results.append(login(stranger, f"guess {number}-{attempt}").status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(results) == 64 and set(results) == {401}
    failed = [c for c in commands(data_dir) if c[0] == "access.login_failed"]
    assert len(failed) == 5  # counted before the check, in one transaction: the sixth guess never ran
    for _ in range(30):  # locked-out guesses are counted, not written one by one
        login(app.test_client(), "yet another guess")
    assert len([c for c in commands(data_dir) if c[0] == "access.login_failed"]) == 5
    assert login(hers).headers["Location"] == "/"  # her own browser is not locked out by his guesses
    newcomer = app.test_client()  # a browser of hers she never used here: the recovery code still works
    page = newcomer.post("/recover", data={"csrf_token": csrf(newcomer, "/recover"), "code": codes[0],
                                           "password": "a brand new passphrase", "confirm": "a brand new passphrase"})
    assert said(newcomer, page).startswith("Password changed")


def test_a_link_he_sends_her_cannot_put_words_on_her_dashboard(data_dir: Path) -> None:
    # Before, page messages rode in the address: /?done=... showed any text he chose, on her own hub.
    app = make_app(data_dir)
    client = owner(app)
    for path in ("/?done=Help+is+on+its+way:+stay+inside", "/?alarm=Your+hub+is+broken:+call+555-0100",
                 "/alerts?done=Ann+is+on+it", "/contacts?done=Test+delivered", "/checkin?done=Checked+in"):
        page = client.get(path).get_data(as_text=True)
        for words in ("Help is on its way", "555-0100", "Ann is on it", "Test delivered", "Checked in"):
            assert words not in page, (path, words)


def test_a_stranger_cannot_claim_first_run_setup_without_the_code_from_the_pi(data_dir: Path) -> None:
    from hub.accounts import setup_code

    app = make_app(data_dir)
    stranger = app.test_client()
    for guess in ("", "00000-00000", "abcde-12345"):
        page = stranger.post("/setup", data={"csrf_token": csrf(stranger, "/setup"), "code": guess,
                                             "password": "his chosen password", "confirm": "his chosen password"})
        assert page.status_code == 400 and "setup code is wrong" in page.get_data(as_text=True)
    assert stranger.get("/").headers["Location"] == "/setup"  # nobody owns it yet
    code = setup_code(data_dir)
    assert len(code) == 11 and set_up(app.test_client())  # she, with the code from the console, can
    assert not (data_dir / "keys" / "setup-code").exists()  # spent
