"""Admin-only pages: staff accounts (roles, disabling, permission to export names, the forums an organiser is
limited to, two-factor sign-in)."""


import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3; types-WTForms is 3.2
from wtforms.validators import DataRequired, Length, ValidationError

from forums import validation
from forums.accounts import two_factor
from forums.accounts.auth import MUST_ENROL
from forums.accounts.passwords import MAX_LENGTH, NEW_PASSWORD_HINT, acceptable_password
from forums.accounts.tokens import revoke_tokens
from forums.audit import log as audit
from forums.forms import ActionForm, AppForm
from forums.security import end_all_sessions, hash_password
from forums.web import admins_only
from models import Forum, OrganiserForum, Role, User, db

bp = Blueprint("admin", __name__, url_prefix="/admin")

ROLE_CHOICES = [
    SelectChoice(Role.admin.value, _l("Admin")),
    SelectChoice(Role.organiser.value, _l("Organiser")),
    SelectChoice(Role.facilitator.value, _l("Facilitator")),
]


bp.before_request(admins_only)


class UserCreateForm(AppForm):
    """A new staff account."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=Role.organiser.value)
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH),
                                                            acceptable_password],
                             description=NEW_PASSWORD_HINT)

    def validate_email(self, field: EmailField) -> None:
        """Something like an address, and one account per address."""
        assert field.data is not None  # DataRequired stops the chain before this inline validator
        address = field.data.strip()
        local, _sep, domain = address.partition("@")
        if not local or "." not in domain or any(char.isspace() for char in address):
            raise ValidationError(_("This is not an e-mail address."))
        if db.session.scalar(sa.select(User.id).where(User.email == address.lower())) is not None:
            raise ValidationError(_("There is already an account with this e-mail."))


class RoleForm(AppForm):
    """A new role for an account."""

    role = SelectField(_l("Role"), choices=ROLE_CHOICES)



def _load_user(user_id: int) -> User:
    return db.get_or_404(User, user_id)


def _refuse_self(user: User) -> Response | None:
    """Admins may not disable or demote themselves: the mission must never lose its last admin."""
    if user.id == current_user.id:
        flash(_("You cannot change your own account here; ask another admin."), "error")
        return redirect(url_for("admin.user_list"))
    return None


@bp.route("/users")
def user_list() -> str:
    """Every staff account with its role and state."""
    users = db.session.scalars(sa.select(User).order_by(User.email)).all()
    forums = db.session.execute(sa.select(Forum.id, Forum.title).order_by(Forum.title)).all()
    scopes: dict[int, set[int]] = {}
    for user_id, forum_id in db.session.execute(sa.select(OrganiserForum.user_id, OrganiserForum.forum_id)):
        scopes.setdefault(user_id, set()).add(forum_id)
    return render_template("accounts/users.html", users=users, role_choices=ROLE_CHOICES, forums=forums,
                           scopes=scopes, two_factor_required=two_factor.is_required())


@bp.route("/users/new", methods=("GET", "POST"))
def user_create() -> str | Response:
    """Create a staff account."""
    form = UserCreateForm()
    if form.validate_on_submit():
        # both fields are DataRequired, so a valid form has text in each
        assert form.email.data is not None and form.password.data is not None
        user = User(email=form.email.data.strip().lower(), password_hash=hash_password(form.password.data),
                    role=Role(form.role.data))
        db.session.add(user)
        db.session.flush()
        audit.record("user.create", "user", user.id, detail=f"role={user.role.value}")
        db.session.commit()
        flash(_("The account was created."), "success")
        return redirect(url_for("admin.user_list"))
    return render_template("accounts/user_new.html", form=form)


@bp.route("/users/<int:user_id>/role", methods=("POST",))
def user_role(user_id: int) -> Response:
    """Change an account's role."""
    user = _load_user(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    refused = _refuse_self(user)
    if refused:
        return refused
    old_role = user.role
    user.role = Role(form.role.data)
    audit.record("user.role_change", "user", user.id, detail=f"{old_role.value}->{user.role.value}")
    db.session.commit()
    flash(_("The role was changed."), "success")
    return redirect(url_for("admin.user_list"))


def _confirmed_change(user_id: int) -> User:
    """The account a confirm button acts on, after its CSRF-only form validated."""
    if not ActionForm().validate_on_submit():
        abort(400)
    return _load_user(user_id)


@bp.route("/users/<int:user_id>/disable", methods=("POST",))
def user_disable(user_id: int) -> Response:
    """Disable an account: its sessions end at once and its API tokens are revoked."""
    user = _confirmed_change(user_id)
    refused = _refuse_self(user)
    if refused:
        return refused
    user.is_active = False
    end_all_sessions(user)
    revoked = revoke_tokens(user)
    audit.record("user.disable", "user", user.id, detail=f"tokens_revoked={revoked}")
    db.session.commit()
    flash(_("The account was disabled; it was signed out everywhere."), "success")
    return redirect(url_for("admin.user_list"))


@bp.route("/users/<int:user_id>/enable", methods=("POST",))
def user_enable(user_id: int) -> Response:
    """Enable a disabled account again (its old sessions and tokens stay ended)."""
    user = _confirmed_change(user_id)
    user.is_active = True
    audit.record("user.enable", "user", user.id)
    db.session.commit()
    flash(_("The account was enabled."), "success")
    return redirect(url_for("admin.user_list"))


@bp.route("/users/<int:user_id>/export-names/<any(grant, revoke):change>", methods=("POST",))
def user_export_names(user_id: int, change: str) -> Response:
    """Grant or revoke the permission to export participants' names instead of codes."""
    user = _confirmed_change(user_id)
    user.can_export_names = change == "grant"
    audit.record(f"user.export_names_{change}", "user", user.id)
    db.session.commit()
    flash(_("Permission to export names granted.") if user.can_export_names
          else _("Permission to export names revoked."), "success")
    return redirect(url_for("admin.user_list"))


@bp.route("/users/<int:user_id>/forums", methods=("POST",))
def user_forums(user_id: int) -> Response:
    """Limit an organiser to the forums ticked (need-to-know), or to none of them: every forum."""
    user = _confirmed_change(user_id)
    chosen = {validation.whole_number(value) for value in request.form.getlist("forum_id")}
    known = set(db.session.scalars(sa.select(Forum.id).where(Forum.id.in_([i for i in chosen if i is not None]))))
    if None in chosen or known != chosen:
        abort(400)
    db.session.execute(sa.delete(OrganiserForum).where(OrganiserForum.user_id == user.id))
    db.session.add_all(OrganiserForum(user_id=user.id, forum_id=forum_id) for forum_id in sorted(known))
    audit.record("user.forum_scope", "user", user.id, detail="forums=" + ",".join(map(str, sorted(known))))
    db.session.commit()
    flash(_("The account now sees only the forums ticked.") if known
          else _("The account now sees every forum."), "success")
    return redirect(url_for("admin.user_list"))


@bp.route("/users/<int:user_id>/two-factor-reset", methods=("POST",))
def user_two_factor_reset(user_id: int) -> Response:
    """Turn off someone's second factor (a lost phone): they sign in with the password and enrol again."""
    user = _confirmed_change(user_id)
    two_factor.turn_off(user)
    end_all_sessions(user)
    db.session.commit()
    flash(_("Two-factor sign-in was turned off for this account; it was signed out everywhere."), "success")
    return redirect(url_for("admin.user_list"))


@bp.route("/two-factor/<any(require, optional):policy>", methods=("POST",))
def two_factor_policy(policy: str) -> Response:
    """Require a second factor of every member of staff, or leave it to each."""
    if not ActionForm().validate_on_submit():
        abort(400)
    admin = db.session.get(User, current_user.id)
    assert admin is not None  # admins_only: the signed-in account was loaded in this request
    two_factor.set_required(policy == "require", admin)
    db.session.commit()
    if policy == "optional":
        flash(_("Two-factor sign-in is now each person's choice."), "success")
        return redirect(url_for("admin.user_list"))
    flash(_("Two-factor sign-in is now required for all staff; those without it were signed out and set it up "
            "when they sign in again."), "success")
    if admin.has_two_factor:
        return redirect(url_for("admin.user_list"))
    session[MUST_ENROL] = True
    return redirect(url_for("my_account.two_factor_page"))
