"""Making a personal link says "the old one no longer works" only when there was an old one (issue 14, item 15)."""

import re

from tests.conftest import sign_in_without_password

OLD_GONE = "the old one no longer works"


def flashes(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", " ".join(re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', html,
                                                                   re.S))).split())


def test_the_first_link_is_announced_as_a_link_not_a_replacement(client, create_user, create_participant):
    sign_in_without_password(client, create_user("organiser"))
    person = create_participant("Sharipov Daler")
    before = client.get(f"/staff/participants/{person.id}").get_data(as_text=True)
    assert "Make a personal link" in before and "Make a new personal link" not in before
    assert "A new link replaces the old one" not in before
    first = client.post(f"/staff/participants/{person.id}/link", follow_redirects=True).get_data(as_text=True)
    assert "A personal link was made" in flashes(first) and OLD_GONE not in flashes(first)
    assert "Make a new personal link" in first
    second = client.post(f"/staff/participants/{person.id}/link", follow_redirects=True).get_data(as_text=True)
    assert OLD_GONE in flashes(second)
