"""``/account/tokens``: staff list, name, create and revoke their own API tokens; admins everyone's."""

import re

import sqlalchemy as sa

from forums.accounts.tokens import create_token
from models import ApiToken, AuditEntry, db
from tests.conftest import sign_in_without_password

SHOWN_TOKEN = re.compile(r'<code class="token">([A-Za-z0-9_-]{43})</code>')


def test_a_new_token_is_shown_once_named_with_its_expiry_and_works(app, client, create_user):
    facilitator = create_user("facilitator")
    sign_in_without_password(client, facilitator)
    response = client.post("/account/tokens", data={"name": "door tablet", "expires_in_days": "30"})
    assert response.status_code == 200
    token = SHOWN_TOKEN.search(response.get_data(as_text=True))[1]
    assert "no-store" in response.headers["Cache-Control"]
    stored = db.session.scalars(sa.select(ApiToken)).one()
    assert stored.name == "door tablet" and stored.expires_at is not None and stored.user_id == facilitator.id
    assert stored.token_hash != token
    assert app.test_client().get("/api/v1/sessions", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    listing = client.get("/account/tokens").get_data(as_text=True)
    assert "door tablet" in listing and token not in listing
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.action == "token.create")) is not None


def test_a_name_on_two_lines_is_refused_beside_its_field(client, create_user):
    sign_in_without_password(client, create_user("organiser"))
    response = client.post("/account/tokens", data={"name": "report\r\nsecond line", "expires_in_days": ""})
    assert response.status_code == 200
    assert "one line" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_each_sees_and_revokes_their_own_tokens_and_admins_everyones(app, client, create_user):
    organiser, admin = create_user("organiser"), create_user("admin")
    own, _own_token = create_token(organiser, name="my script")
    others, _others_token = create_token(admin, name="admin tool")
    db.session.commit()

    sign_in_without_password(client, organiser)
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "my script" in page and "admin tool" not in page
    assert client.post(f"/account/tokens/{others.id}/revoke").status_code == 404
    assert client.post(f"/account/tokens/{own.id}/revoke").status_code == 302

    db.session.expire_all()
    assert db.session.get(ApiToken, own.id).revoked_at is not None
    assert db.session.get(ApiToken, others.id).revoked_at is None
    assert "token.revoke" in db.session.scalars(sa.select(AuditEntry.action)).all()

    admin_client = app.test_client()
    sign_in_without_password(admin_client, admin)
    page = admin_client.get("/account/tokens").get_data(as_text=True)
    assert "my script" in page and "admin tool" in page and organiser.email in page
    assert admin_client.post(f"/account/tokens/{others.id}/revoke").status_code == 302
