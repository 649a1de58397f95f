"""The audit page says what each code means, in the reader's language, and every recorded code has a meaning."""

import ast
from pathlib import Path

import pytest
from babel.support import Translations
from flask_babel import force_locale
from markupsafe import escape

from forums.audit.labels import ACTION_LABELS, OBJECT_TYPE_LABELS
from models import AuditEntry, db
from tests.conftest import sign_in_without_password

ROOT = Path(__file__).resolve().parent.parent.parent
FORUMS = ROOT / "forums"
AUDIT_CALLS = {"record", "record_read"}

#: call sites whose action is an f-string, with every value it can take there; a new f-string fails the
#: test until it is listed here (and its codes described in forums/audit/labels.py)
FORMATTED_ACTIONS = {
    # the route only matches <any(grant, revoke):change>
    ("forums/accounts/views.py", "f'user.export_names_{change}'"): {"user.export_names_grant",
                                                                 "user.export_names_revoke"},
}

#: calls that pass codes through rather than record their own: record_read hands its arguments to record
PASSED_THROUGH = {("forums/audit/log.py", "action"), ("forums/audit/log.py", "object_type")}


def _is_audit_call(call: ast.Call) -> bool:
    """``audit.record(...)``, ``audit.record_read(...)``, or the bare names (as forums/audit/log.py calls them)."""
    function = call.func
    if isinstance(function, ast.Attribute):
        return function.attr in AUDIT_CALLS and isinstance(function.value, ast.Name) and function.value.id == "audit"
    return isinstance(function, ast.Name) and function.id in AUDIT_CALLS


def _argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
    """The argument at ``position`` or passed as ``name=``; None when the call leaves it out."""
    if len(call.args) > position:
        return call.args[position]
    return next((keyword.value for keyword in call.keywords if keyword.arg == name), None)


def _values(node: ast.expr) -> set[str] | None:
    """Every string ``node`` can be (literals and ``a if c else b`` of them); None when it is something else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, orelse = _values(node.body), _values(node.orelse)
        return body | orelse if body is not None and orelse is not None else None
    return None


def recorded_codes() -> tuple[set[str], set[str], list[str]]:
    """(action codes, object types, call sites the test cannot read) of every audit call in forums/."""
    actions: set[str] = set()
    object_types: set[str] = set()
    unreadable: list[str] = []
    for path in sorted(FORUMS.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=relative)):
            if not (isinstance(node, ast.Call) and _is_audit_call(node)):
                continue
            where = f"{relative}:{node.lineno}"
            action = _argument(node, 0, "action")
            source = ast.unparse(action) if action is not None else ""
            found = _values(action) if action is not None else None
            if found is None:
                found = FORMATTED_ACTIONS.get((relative, source))
            if found is not None:
                actions |= found
            elif (relative, source) not in PASSED_THROUGH:
                unreadable.append(f"{where} action {source}")
            object_type = _argument(node, 1, "object_type")
            if object_type is None:
                continue
            types = _values(object_type)
            if types is not None:
                object_types |= types - {""}
            elif (relative, ast.unparse(object_type)) not in PASSED_THROUGH:
                unreadable.append(f"{where} object type {ast.unparse(object_type)}")
    return actions, object_types, unreadable


def test_the_source_scan_finds_the_audit_calls():
    actions, object_types, unreadable = recorded_codes()

    assert unreadable == [], "list these call sites' possible codes in FORMATTED_ACTIONS"
    # a scan that found nothing would pass the tests below without checking anything
    assert {"checkin.list", "participant.read", "emergency.wipe", "user.export_names_grant",
            "registration.decline", "participant.link_read", "participant.link_rotate"} <= actions
    assert {"session", "participant", "registration", "forum"} <= object_types


def test_every_recorded_action_has_a_description_and_every_description_a_recorded_action():
    actions, _, _ = recorded_codes()

    assert sorted(actions - ACTION_LABELS.keys()) == [], "describe these codes in forums/audit/labels.py"
    assert sorted(ACTION_LABELS.keys() - actions) == [], "nobody records these codes any more"


def test_every_recorded_object_type_has_a_name_and_every_name_a_recorded_type():
    _, object_types, _ = recorded_codes()

    assert sorted(object_types - OBJECT_TYPE_LABELS.keys()) == [], "name these types in forums/audit/labels.py"
    assert sorted(OBJECT_TYPE_LABELS.keys() - object_types) == [], "nobody records these types any more"


def _catalogue_text(app, label, language: str) -> str:
    """``label`` as the compiled catalogue of ``language`` writes it, and checked to be a translation."""
    with app.test_request_context(), force_locale("en"):
        english = str(label)
    translations = Translations.load(str(ROOT / "translations"), [language])
    translated = translations.gettext(english)
    assert translated != english, f"{english!r} has no {language} translation"
    return translated


@pytest.mark.parametrize("language", ["tg", "ru"])
def test_the_audit_page_describes_actions_and_objects_in_the_readers_language(app, client, create_user, language):
    admin = create_user("admin")
    db.session.add_all([
        AuditEntry(actor="organiser@example.org", action="checkin.list", object_type="session", object_id=7,
                   detail="12 rows"),
        AuditEntry(actor="cli", action="emergency.wipe", detail="participant=3"),
        # a code an older version recorded: no description, shown as it is
        AuditEntry(actor="cli", action="legacy.thing", object_type="gadget", object_id=3),
    ])
    db.session.commit()
    sign_in_without_password(client, admin)

    page = client.get(f"/admin/audit?lang={language}").get_data(as_text=True)

    for label in (ACTION_LABELS["checkin.list"], ACTION_LABELS["emergency.wipe"], OBJECT_TYPE_LABELS["session"]):
        assert str(escape(_catalogue_text(app, label, language))) in page
    # the codes stay visible: the filters take them
    for code in ("<code>checkin.list</code>", "<code>emergency.wipe</code>", "<code>session:7</code>",
                 "<code>legacy.thing</code>", "gadget:3"):
        assert code in page
    assert "12 rows" in page and "participant=3" in page


def test_the_action_filter_still_takes_codes(client, create_user):
    admin = create_user("admin")
    db.session.add_all([AuditEntry(actor="cli", action="checkin.list", object_type="session", object_id=1),
                        AuditEntry(actor="cli", action="emergency.wipe")])
    db.session.commit()
    sign_in_without_password(client, admin)

    page = client.get("/admin/audit?lang=ru&action=checkin.").get_data(as_text=True)

    assert "<code>checkin.list</code>" in page and "emergency.wipe" not in page
